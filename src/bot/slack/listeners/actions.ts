import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { ClickOutcome } from '../../../copilot/conversation.js';
import type { SlackContext } from '../context.js';

/**
 * Approve / Reject / Dry run / Roll back: acknowledged at once, handed to the conversation layer, whose core alone
 * decides who may approve. The plan's message then shows where the decision stands: settled (buttons removed) or
 * waiting for a second approver (buttons kept).
 */
export function registerActionListener(app: App, ctx: SlackContext): void {
  app.action<BlockAction<ButtonAction>>(/^(approve|reject|dryrun|rollback)$/, async ({ ack, body, action }) => {
    await ack();
    const user = body.user.id;
    const channelId = body.channel?.id ?? '';
    const messageTs = body.message?.ts as string | undefined;
    const threadTs = (body.message?.thread_ts as string | undefined) ?? messageTs;
    const ephemeral = (text: string) => ctx.client.chat.postEphemeral({ channel: channelId, user, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
    ctx.background('decision', async () => {
      const outcome = await ctx.conversation.click({ value: String(action.value ?? ''), user });
      if (!outcome.ok) await ephemeral(outcome.reply);
      if (outcome.message && messageTs && channelId) await markMessage(ctx, channelId, messageTs, (body.message?.blocks ?? []) as { type: string; block_id?: string }[], outcome.message);
    });
  });
}

const NOTE_BLOCK = 'sre-decision-note';

async function markMessage(ctx: SlackContext, channel: string, ts: string, blocks: { type: string; block_id?: string }[], state: NonNullable<ClickOutcome['message']>): Promise<void> {
  const note = state.note.replace(/\b([UW][A-Z0-9]{2,})\b/g, '<@$1>');
  const kept = blocks.filter((b) => b.block_id !== NOTE_BLOCK && (state.state === 'pending' || b.type !== 'actions'));
  const next = [...kept, { type: 'context', block_id: NOTE_BLOCK, elements: [{ type: 'mrkdwn', text: note }] }];
  await ctx.client.chat.update({ channel, ts, text: note, blocks: next as never });
}
