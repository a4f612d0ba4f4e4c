import type { App } from '@slack/bolt';
import type { SlackConfig } from '../../config.js';
import type { Conversation } from '../../copilot/conversation.js';
import type { ThreadRef } from '../../model/incident.js';
import { SLACK_CHANNEL_NAME, type SlackChannel, encodeSlackRef } from './channel.js';

/** What every Slack listener module needs: the Web API client, the thread channel, and the one conversation layer. */
export interface SlackContext {
  client: App['client'];
  channel: SlackChannel;
  conversation: Conversation;
  slack: SlackConfig;
  log(line: string): void;
  /** runs `job` after the listener returned (Slack wants its answer within 3 s); failures are said in `thread` */
  background(what: string, job: () => Promise<unknown>, thread?: ThreadRef): void;
}

/** The copilot's reference to a Slack thread: the channel and the root message's ts. */
export const slackThread = (channelId: string, ts: string): ThreadRef => ({ channel: SLACK_CHANNEL_NAME, threadId: encodeSlackRef(channelId, ts) });

/** Slack's message text → what the sender typed: code fences, link markup and entities undone. */
export function slackToPlain(text: string): string {
  return text
    .trim()
    .replace(/^```[a-z]*\n?([\s\S]*?)\n?```$/, '$1')
    .replace(/<((?:https?|mailto):[^|>]+)(?:\|[^>]*)?>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
