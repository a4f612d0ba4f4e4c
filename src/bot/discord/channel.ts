import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Routes } from 'discord.js';
import type { ChatChannel, ChatMessage, PostedRef, ThreadRef } from '../../chat/channel.js';
import { clip } from '../../chat/format.js';
import { redactingLogger } from '../../redaction/log.js';
import { defuseMentions, toDiscordMessage, type DiscordMessagePayload } from './render.js';

export { toDiscordMessage, discordCustomId, parseCustomId, discordMarkdown, type DiscordMessagePayload } from './render.js';

/** What the channel needs from @discordjs/rest's REST (a real one, or one pointed at a local stand-in). */
export interface RestLike {
  post(route: `/${string}`, options?: RestRequest): Promise<unknown>;
  patch(route: `/${string}`, options?: RestRequest): Promise<unknown>;
}
export interface RestRequest {
  body?: unknown;
  files?: { name: string; data: Buffer; contentType?: string }[];
}

export interface Logger {
  warn(message: string): void;
  error(message: string): void;
  info?(message: string): void;
}

export interface DiscordChannelOptions {
  rest: RestLike;
  /** where a message without a thread goes (it then starts a thread); usually the first alert channel */
  defaultChannelId?: string;
  log?: Logger;
}

/** Thread names are at most 100 characters. */
export function threadName(text: string): string {
  const line = (text.split('\n')[0] ?? '').trim() || 'incident';
  return clip(line, 100);
}

/**
 * The copilot's thread in Discord: replies go to the thread (a Discord thread is a channel, so ThreadRef.threadId is
 * the thread's channel id); a message with no thread goes to the default channel and a thread is started on it;
 * `update` edits a message in place. Attachments are uploaded as files. When Discord rejects a rich message the
 * plain-text fallback is sent instead, so that a rendering problem never stops an investigation.
 */
export class DiscordChannel implements ChatChannel {
  readonly name = 'discord';

  linkTo(thread: ThreadRef): string {
    return `<#${thread.threadId}>`;
  }
  private readonly rest: RestLike;
  private readonly log: Logger;
  constructor(private readonly options: DiscordChannelOptions) {
    this.rest = options.rest;
    this.log = redactingLogger(options.log ?? console);
  }

  async post(thread: ThreadRef | null, message: ChatMessage): Promise<PostedRef> {
    if (thread) {
      const posted = await this.send(thread.threadId, message);
      return { threadId: thread.threadId, messageId: posted.id };
    }
    const channelId = this.options.defaultChannelId;
    if (!channelId) throw new Error('the Discord channel has no default channel for a message outside a thread');
    const root = await this.send(channelId, message);
    const threadId = await this.openThread(channelId, root.id, threadName(message.text));
    return { threadId, messageId: root.id };
  }

  async update(ref: PostedRef, message: ChatMessage): Promise<void> {
    const payload = toDiscordMessage(message);
    const route = Routes.channelMessage(ref.threadId, ref.messageId);
    try {
      await this.rest.patch(route, { body: editBody(payload) });
    } catch (err) {
      this.log.warn(`discord: editing message ${ref.messageId} failed (${(err as Error).message}); retrying as plain text`);
      await this.rest.patch(route, { body: { content: plainFallback(message), embeds: [], components: [], allowed_mentions: { parse: [] } } });
    }
  }

  /** Starts a thread on an existing message; returns the thread's channel id. */
  async openThread(channelId: string, messageId: string, name: string): Promise<string> {
    const thread = (await this.rest.post(Routes.threads(channelId, messageId), { body: { name: threadName(name), auto_archive_duration: 1440 } })) as { id: string };
    return thread.id;
  }

  /** Posts a message to any channel or thread; returns the Discord message. */
  async send(channelId: string, message: ChatMessage): Promise<{ id: string }> {
    const payload = toDiscordMessage(message);
    const route = Routes.channelMessages(channelId);
    const files = await this.readFiles(payload);
    try {
      return (await this.rest.post(route, { body: createBody(payload, files), ...(files.length ? { files: files.map(({ name, data, contentType }) => ({ name, data, contentType })) } : {}) })) as {
        id: string;
      };
    } catch (err) {
      this.log.warn(`discord: posting to ${channelId} failed (${(err as Error).message}); retrying as plain text`);
      return (await this.rest.post(route, { body: { content: plainFallback(message), allowed_mentions: { parse: [] } } })) as { id: string };
    }
  }

  private async readFiles(payload: DiscordMessagePayload): Promise<UploadFile[]> {
    const out: UploadFile[] = [];
    for (const a of payload.files) {
      try {
        const data = await readFile(a.path);
        out.push({ name: path.basename(a.path), title: a.title, data, contentType: contentTypeOf(a.path) });
      } catch (err) {
        this.log.warn(`discord: attachment ${a.path} not sent (${(err as Error).message})`);
      }
    }
    return out;
  }
}

/** The plain-text fallback when Discord refused the rich message. */
function plainFallback(message: ChatMessage): string {
  return clip(defuseMentions(message.text), 2000);
}

interface UploadFile {
  name: string;
  title: string;
  data: Buffer;
  contentType: string;
}

function createBody(payload: DiscordMessagePayload, files: UploadFile[]): Record<string, unknown> {
  const body: Record<string, unknown> = { allowed_mentions: payload.allowed_mentions };
  if (payload.content) body['content'] = payload.content;
  if (payload.embeds.length) body['embeds'] = payload.embeds;
  if (payload.components.length) body['components'] = payload.components;
  if (files.length) body['attachments'] = files.map((f, id) => ({ id, filename: f.name, description: clip(f.title, 1024) }));
  if (!payload.content && !payload.embeds.length && !files.length) body['content'] = '\u200b';
  return body;
}

/** An edit replaces content, embeds and components (clearing what the new message lacks); attachments stay. */
function editBody(payload: DiscordMessagePayload): Record<string, unknown> {
  return { content: payload.content, embeds: payload.embeds, components: payload.components, allowed_mentions: payload.allowed_mentions };
}

function contentTypeOf(file: string): string {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.png') return 'image/png';
  if (ext === '.svg') return 'image/svg+xml';
  if (ext === '.md') return 'text/markdown';
  if (ext === '.json') return 'application/json';
  return 'application/octet-stream';
}
