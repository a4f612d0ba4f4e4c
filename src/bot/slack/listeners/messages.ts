import type { App } from '@slack/bolt';
import { stripMention } from '../../../chat/intents.js';
import { type SlackContext, slackThread, slackToPlain } from '../context.js';

/**
 * Mentions are conversation (commands and questions, answered in the thread); top-level messages in alert channels
 * that read as alerts open incidents. An alert is persisted before the listener returns, so Slack's delivery is
 * acknowledged only once the alert cannot be lost.
 */
export function registerMessageListeners(app: App, ctx: SlackContext): void {
  app.event('app_mention', async ({ event }) => {
    const thread = slackThread(event.channel, event.thread_ts ?? event.ts);
    const user = event.user ?? 'unknown';
    ctx.background(
      'mention',
      async () => {
        const reply = await ctx.conversation.message(stripMention(slackToPlain(event.text ?? '')), { thread, user });
        await ctx.channel.post(thread, { text: reply.text });
      },
      thread,
    );
  });

  app.message(async ({ message, context }) => {
    const m = message as { channel: string; ts: string; text?: string; thread_ts?: string; subtype?: string; attachments?: { text?: string; fallback?: string }[] };
    if (!ctx.slack.alertChannels.includes(m.channel)) return;
    if (m.subtype && m.subtype !== 'bot_message') return;
    if (m.thread_ts && m.thread_ts !== m.ts) return; // replies are conversation, not alerts
    const raw = [m.text ?? '', ...(m.attachments ?? []).map((a) => a.text ?? a.fallback ?? '')].filter(Boolean).join('\n');
    if (context.botUserId && raw.includes(`<@${context.botUserId}>`)) return; // app_mention handles it
    const text = slackToPlain(raw);
    if (!ctx.conversation.looksLikeAlert(text)) return; // ordinary chatter
    const thread = slackThread(m.channel, m.ts);
    await new Promise<void>((resolve) => {
      const accepted = () => resolve();
      ctx.background('alert', () => ctx.conversation.alert(text, thread, { onAccepted: accepted }).finally(accepted), thread);
    });
  });
}
