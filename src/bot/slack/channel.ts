import { basename } from 'node:path';
import type { App } from '@slack/bolt';
import type { ChatChannel, ChatMessage, MessageBlock, PostedRef, ThreadRef } from '../../chat/channel.js';
import { redactingLog } from '../../redaction/log.js';

type WebClient = App['client'];

/**
 * Slack as a ChatChannel. One instance serves every Slack channel: a thread id is `<channel id>/<thread ts>` and a
 * message id `<channel id>/<message ts>`, so the chat-agnostic core can keep one ThreadRef per incident.
 *
 * Thread mapping: the core posts an incident's root with `post(triggeringThread, …)`. In Slack the root already exists
 * (the alert or the mention), so a plain ThreadRef `{ channel: 'C…', threadId: '<ts>' }` handed in by the adapter is
 * answered as a reply under that message, and the returned thread id points at that same Slack thread.
 *
 * Mentions: a ChatMessage comes from the chat-agnostic core, which quotes alert, log and generated text and never
 * means to ping anyone, so every mention in it (<!channel>, <!here>, <!everyone>, <!subteam^…>, <@U…>, and the words
 * @channel, @here, @everyone) is sent as text. The adapter's own deliberate mentions ("Approved by <@U…>") are built
 * from trusted ids in app.ts and posted with the client directly, not through this channel. Channel links (<#C…>)
 * stay links: they ping no one.
 */
export interface SlackChannelOptions {
  client: WebClient;
  /** where `post(null, …)` goes (e.g. the first alert channel); without one such posts fail */
  defaultChannel?: string;
  log?: (line: string) => void;
}

/** The Web API client's options, for the adapter and for workers alike: the API base, and 429 answered by waiting. */
export function slackClientOptions(apiUrl: string | undefined, retryConfig?: { retries: number; factor?: number; minTimeout?: number; maxTimeout?: number }) {
  return {
    ...(apiUrl ? { slackApiUrl: apiUrl.endsWith('/') ? apiUrl : `${apiUrl}/` } : {}),
    retryConfig: retryConfig ?? { retries: 5, factor: 2, minTimeout: 500, maxTimeout: 30_000 },
    rejectRateLimitedCalls: false, // 429: wait Retry-After seconds, then retry
  };
}

export const SLACK_CHANNEL_NAME = 'slack';

export function encodeSlackRef(channel: string, ts: string): string {
  return `${channel}/${ts}`;
}

/** `C123/1700000000.000100` → channel + ts; a bare ts needs the ThreadRef's channel. */
export function decodeSlackRef(ref: string, fallbackChannel?: string): { channel: string; ts: string } {
  const slash = ref.indexOf('/');
  if (slash > 0) return { channel: ref.slice(0, slash), ts: ref.slice(slash + 1) };
  if (!fallbackChannel || fallbackChannel === SLACK_CHANNEL_NAME) throw new Error(`Slack reference "${ref}" names no channel`);
  return { channel: fallbackChannel, ts: ref };
}

export class SlackChannel implements ChatChannel {
  readonly name = SLACK_CHANNEL_NAME;

  linkTo(thread: ThreadRef): string {
    const { channel, ts } = decodeSlackRef(thread.threadId, thread.channel);
    return `<#${channel}> (thread of ${ts})`;
  }
  private readonly log: ((line: string) => void) | undefined;
  constructor(private readonly opts: SlackChannelOptions) {
    this.log = opts.log ? redactingLog(opts.log) : undefined;
  }

  async post(thread: ThreadRef | null, message: ChatMessage): Promise<PostedRef> {
    const { client } = this.opts;
    let channel: string;
    let threadTs: string | undefined;
    if (thread) {
      const d = decodeSlackRef(thread.threadId, thread.channel);
      channel = d.channel;
      threadTs = d.ts;
    } else {
      if (!this.opts.defaultChannel) throw new Error('Slack: no thread and no default channel to start one in');
      channel = this.opts.defaultChannel;
    }
    const res = await client.chat.postMessage({
      channel,
      text: slackText(message.text),
      blocks: toBlockKit(message) as never,
      unfurl_links: false,
      link_names: false,
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    const ts = String(res.ts);
    const postedChannel = typeof res.channel === 'string' ? res.channel : channel;
    const rootTs = threadTs ?? ts;
    if (message.attachments?.length) await this.upload(postedChannel, rootTs, message);
    return { threadId: encodeSlackRef(postedChannel, rootTs), messageId: encodeSlackRef(postedChannel, ts) };
  }

  async update(ref: PostedRef, message: ChatMessage): Promise<void> {
    const { channel, ts } = decodeSlackRef(ref.messageId);
    await this.opts.client.chat.update({ channel, ts, text: slackText(message.text), blocks: toBlockKit(message) as never, link_names: false });
  }

  /** Files go into the thread; a failed upload is reported, never fatal (the message itself is already posted). */
  private async upload(channel: string, threadTs: string, message: ChatMessage): Promise<void> {
    try {
      await this.opts.client.files.uploadV2({
        channel_id: channel,
        thread_ts: threadTs,
        file_uploads: message.attachments!.map((a) => ({ file: a.path, filename: basename(a.path), title: defuseBroadcastWords(a.title) })),
      } as never);
    } catch (err) {
      this.log?.(`slack: could not upload ${message.attachments!.length} file(s): ${(err as Error).message}`);
    }
  }
}

// ---- Block Kit -------------------------------------------------------------------------------------------------

type SlackText = { type: 'mrkdwn' | 'plain_text'; text: string; emoji?: boolean };
export type SlackBlock =
  | { type: 'header'; text: SlackText }
  | { type: 'section'; text?: SlackText; fields?: SlackText[] }
  | { type: 'context'; elements: SlackText[] }
  | { type: 'divider' }
  | { type: 'actions'; elements: SlackButton[] };
export interface SlackButton {
  type: 'button';
  action_id: string;
  text: SlackText;
  value: string;
  style?: 'primary' | 'danger';
}

const MAX_BLOCKS = 50;
const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

/** The shared Markdown subset → Slack mrkdwn: `**b**` → `*b*`, `[t](u)` → `<u|t>`, `\x` → `x` (entities stay). */
export function toMrkdwn(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && i + 1 < text.length) {
      out += text[++i];
    } else if (c === '*' && text[i + 1] === '*') {
      out += '*';
      i++;
    } else if (c === '[') {
      const m = /^\[([^\]]*)\]\(([^)\s]+)\)/.exec(text.slice(i));
      if (m) {
        out += `<${m[2]}|${m[1]}>`;
        i += m[0].length - 1;
      } else out += c;
    } else out += c;
  }
  return out;
}

/** Plain text for header/labels: Slack wants entities only for `<>&`, which plain_text shows literally. */
function plain(text: string): string {
  return defuseBroadcastWords(text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')).replace(/<(?=[!@])/g, '<\u200b');
}

/** `<!…>` and `<@…>` (also unterminated) as entities, so Slack shows them as text instead of pinging anyone. */
const SLACK_MENTION = /<([!@][^<>]*)(>?)/g;
/** "@channel", "@here", "@everyone" typed as words; a zero-width space after "@" keeps them from linking. */
const BROADCAST_WORD = /@(?=(?:channel|here|everyone)\b)/gi;

function defuseBroadcastWords(text: string): string {
  return text.replace(BROADCAST_WORD, '@\u200b');
}

/** mrkdwn as it goes to Slack: every mention defused (see SlackChannel), links and channel links kept. */
export function slackText(mrkdwn: string): string {
  return defuseBroadcastWords(mrkdwn.replace(SLACK_MENTION, (_m, body: string, close: string) => `&lt;${body}${close ? '&gt;' : ''}`));
}

/** A pure mapping of the chat-agnostic message onto Block Kit. */
export function toBlockKit(message: ChatMessage): SlackBlock[] {
  const blocks: SlackBlock[] = (message.blocks ?? []).map(toSlackBlock);
  if (blocks.length === 0 && !message.actions?.length) return [];
  if (message.actions?.length) {
    if (blocks.length === 0) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: clip(slackText(message.text), 3000) } });
    blocks.push({
      type: 'actions',
      elements: message.actions.slice(0, 25).map((a) => ({
        type: 'button',
        action_id: a.id,
        text: { type: 'plain_text', text: clip(plain(a.label), 75), emoji: true },
        value: clip(a.value, 2000),
        ...(a.style ? { style: a.style } : {}),
      })),
    });
  }
  // keep the actions (last) when there are too many blocks
  return blocks.length > MAX_BLOCKS ? [...blocks.slice(0, MAX_BLOCKS - 1), blocks.at(-1)!] : blocks;
}

function toSlackBlock(b: MessageBlock): SlackBlock {
  switch (b.type) {
    case 'header':
      return { type: 'header', text: { type: 'plain_text', text: clip(plain(b.text), 150), emoji: true } };
    case 'section':
      return { type: 'section', text: { type: 'mrkdwn', text: clip(slackText(toMrkdwn(b.text)), 3000) } };
    case 'context':
      return { type: 'context', elements: [{ type: 'mrkdwn', text: clip(slackText(toMrkdwn(b.text)), 2000) }] };
    case 'divider':
      return { type: 'divider' };
    case 'fields':
      return {
        type: 'section',
        fields: b.fields.slice(0, 10).map((f) => ({ type: 'mrkdwn', text: clip(slackText(`*${f.label.replace(/[*_~`]/g, '')}*\n${toMrkdwn(f.value)}`), 2000) })),
      };
    case 'code': {
      // literal text: only <, >, & need escaping in mrkdwn; fences would close early on ``` so break them up
      const body = defuseBroadcastWords(b.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/```/g, '`\u200b``'));
      return { type: 'section', text: { type: 'mrkdwn', text: `\`\`\`\n${clip(body, 2990)}\n\`\`\`` } };
    }
  }
}
