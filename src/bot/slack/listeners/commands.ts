import { readFile } from 'node:fs/promises';
import type { App } from '@slack/bolt';
import { HELP, kbText } from '../../../copilot/answers.js';
import { slackText } from '../channel.js';
import { type SlackContext, slackThread } from '../context.js';

/** `/sre diagnose|status|report|kb|help`: answered to the asker alone, except a diagnosis, which opens a thread. */
export function registerCommandListener(app: App, ctx: SlackContext): void {
  app.command('/sre', async ({ command, ack }) => {
    const [sub = 'help', ...rest] = command.text.trim().split(/\s+/);
    const arg = rest.join(' ').slice(0, 500);
    const { conversation } = ctx;
    switch (sub.toLowerCase()) {
      case 'diagnose': {
        await ack({ response_type: 'ephemeral', text: `Diagnosing${arg ? ` ${arg}` : ''}; follow the thread in this channel.` });
        ctx.background('/sre diagnose', async () => {
          const root = await ctx.client.chat.postMessage({ channel: command.channel_id, text: `🔎 <@${command.user_id}> asked me to diagnose ${arg ? slackText(arg) : 'the firing alert'}.` });
          const thread = slackThread(command.channel_id, String(root.ts));
          const reply = await conversation.message(`diagnose ${arg}`.trim(), { thread, user: command.user_id });
          await ctx.channel.post(thread, { text: reply.text });
        });
        return;
      }
      case 'status':
        return ack({ response_type: 'ephemeral', text: (await conversation.message('status', { thread: null, user: command.user_id })).text });
      case 'report': {
        const session = arg ? conversation.copilot.session(arg) : conversation.copilot.latest;
        if (!session) return ack({ response_type: 'ephemeral', text: arg ? `I know no incident ${arg}.` : 'There is no report yet: ask me to diagnose first.' });
        const body = await readFile(session.report.path, 'utf8').catch(() => '');
        return ack({ response_type: 'ephemeral', text: `*${session.report.title}* (${session.incident.id}) → \`${session.report.path}\`\n\`\`\`\n${body.slice(0, 2500)}\n\`\`\`` });
      }
      case 'kb':
        return ack({ response_type: 'ephemeral', text: await conversation.askKnowledge(arg) });
      default:
        return ack({ response_type: 'ephemeral', text: HELP });
    }
  });
}
