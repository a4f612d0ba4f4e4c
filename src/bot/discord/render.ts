import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIButtonComponentWithCustomId, type APIEmbed } from 'discord.js';
import type { ChatAction, ChatAttachment, ChatMessage, MessageBlock } from '../../chat/channel.js';
import { clip, renderInline } from '../../chat/format.js';

/** Discord's limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits). */
export const DISCORD_LIMITS = {
  content: 2000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  embedTotal: 6000,
  customId: 100,
  buttonLabel: 80,
  buttonsPerRow: 5,
  rows: 5,
  files: 10,
} as const;

export interface DiscordMessagePayload {
  /** plain text; empty when the message is carried by its embed */
  content: string;
  embeds: APIEmbed[];
  components: APIActionRowComponent<APIButtonComponentWithCustomId>[];
  /** nothing the copilot posts may ping anyone, whatever untrusted text it quotes (defuseMentions: nor draw a pill) */
  allowed_mentions: { parse: [] };
  /** files to upload with the message (the channel reads them from disk) */
  files: ChatAttachment[];
}

/**
 * Pure mapping from the chat-agnostic message to a Discord message: the first header becomes the embed title,
 * sections, code blocks, dividers and further headers the description (in order), fields embed fields, context lines
 * the footer; actions one action row of buttons whose custom_id is the action value (shortened to Discord's 100
 * characters when needed, see `discordCustomId`). A message without blocks is plain content.
 */
export function toDiscordMessage(message: ChatMessage): DiscordMessagePayload {
  const blocks = message.blocks ?? [];
  const components = toComponents(message.actions ?? []);
  const files = (message.attachments ?? []).slice(0, DISCORD_LIMITS.files);
  if (blocks.length === 0) {
    return { content: clip(defuseMentions(message.text), DISCORD_LIMITS.content), embeds: [], components, allowed_mentions: { parse: [] }, files };
  }
  const embed: APIEmbed = {};
  const parts: string[] = [];
  const fields: NonNullable<APIEmbed['fields']> = [];
  const footer: string[] = [];
  for (const block of blocks) {
    switch (block.type) {
      case 'header':
        if (embed.title === undefined) embed.title = clip(defuseMentions(block.text), DISCORD_LIMITS.title);
        else parts.push(`**${escapeMarkdown(defuseMentions(block.text))}**`);
        break;
      case 'section':
        parts.push(discordMarkdown(block.text));
        break;
      case 'code':
        parts.push(codeBlock(block.text, block.language)); // code blocks draw no mentions
        break;
      case 'divider':
        parts.push('───');
        break;
      case 'fields':
        for (const f of block.fields) {
          if (fields.length >= DISCORD_LIMITS.fields) break;
          fields.push({
            name: clip(defuseMentions(f.label), DISCORD_LIMITS.fieldName) || '\u200b',
            value: clip(discordMarkdown(f.value), DISCORD_LIMITS.fieldValue) || '—',
            inline: true,
          });
        }
        break;
      case 'context':
        footer.push(defuseMentions(renderInline(block.text)));
        break;
    }
  }
  const footerText = clip(footer.join('\n'), DISCORD_LIMITS.footer);
  if (footerText) embed.footer = { text: footerText };
  if (fields.length) embed.fields = fields;
  const used = (embed.title?.length ?? 0) + footerText.length + fields.reduce((n, f) => n + f.name.length + f.value.length, 0);
  const description = joinWithin(parts, Math.min(DISCORD_LIMITS.description, DISCORD_LIMITS.embedTotal - used));
  if (description) embed.description = description;
  return { content: '', embeds: [embed], components, allowed_mentions: { parse: [] }, files };
}

/** The chat Markdown subset is Discord Markdown already, except for the `&lt;` `&gt;` `&amp;` entities. */
export function discordMarkdown(md: string): string {
  return defuseMentions(md.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'));
}

/** <@id>, <@!id> (users) and <@&id> (roles): the syntax Discord draws as a mention pill. */
const MENTION_PILL = /<(?=@[!&]?\d+>)/g;

/**
 * The copilot's messages never mean to mention anyone (allowed_mentions already stops every ping); a zero-width space
 * after "<" also keeps a user or role id quoted from untrusted text from being drawn as a mention of that person.
 */
export function defuseMentions(text: string): string {
  return text.replace(MENTION_PILL, '<\u200b');
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]~|]/g, (c) => `\\${c}`);
}

/** A fenced block; a fence inside the text is broken with a zero-width space so that it cannot close the block. */
function codeBlock(text: string, language?: string): string {
  const lang = language && /^[\w+-]{1,20}$/.test(language) ? language : '';
  return `\`\`\`${lang}\n${text.replace(/```/g, '`\u200b``')}\n\`\`\``;
}

/** Joins description parts, dropping whole parts (a cut code fence would swallow the rest) past `max`. */
function joinWithin(parts: string[], max: number): string {
  const out: string[] = [];
  let length = 0;
  const more = '…';
  for (const [i, part] of parts.entries()) {
    const sep = out.length ? 1 : 0;
    if (length + sep + part.length <= max - (i < parts.length - 1 ? more.length + 1 : 0)) {
      out.push(part);
      length += sep + part.length;
      continue;
    }
    // the first part that does not fit: clip it when it is prose, drop it when it is a code block
    const room = max - length - sep - more.length - 1;
    if (!part.startsWith('```') && room > 40) out.push(clip(part, room));
    out.push(more);
    break;
  }
  return out.join('\n');
}

function toComponents(actions: ChatAction[]): APIActionRowComponent<APIButtonComponentWithCustomId>[] {
  const buttons: APIButtonComponentWithCustomId[] = actions.slice(0, DISCORD_LIMITS.buttonsPerRow * DISCORD_LIMITS.rows).map((a) => ({
    type: ComponentType.Button,
    style: buttonStyle(a),
    label: clip(a.label, DISCORD_LIMITS.buttonLabel),
    custom_id: discordCustomId(a.value),
  }));
  const rows: APIActionRowComponent<APIButtonComponentWithCustomId>[] = [];
  for (let i = 0; i < buttons.length; i += DISCORD_LIMITS.buttonsPerRow) {
    rows.push({ type: ComponentType.ActionRow, components: buttons.slice(i, i + DISCORD_LIMITS.buttonsPerRow) });
  }
  return rows;
}

function buttonStyle(a: ChatAction): APIButtonComponentWithCustomId['style'] {
  if (a.id === 'approve') return ButtonStyle.Success;
  if (a.id === 'reject' || a.style === 'danger') return ButtonStyle.Danger;
  if (a.style === 'primary') return ButtonStyle.Primary;
  return ButtonStyle.Secondary;
}

const MIN_HASH_CHARS = 16;

/**
 * The action value as a custom_id. Values up to 100 characters pass unchanged. A longer `verb:planId:hash` keeps the
 * verb and as much of the plan id and the hash as fits (at least 16 hash characters): `parseCustomId` returns
 * prefixes, and the bot matches the plan whose id and hash start with them.
 */
export function discordCustomId(value: string): string {
  if (value.length <= DISCORD_LIMITS.customId) return value;
  const m = /^([^:]+):(.*):([0-9a-f]+)$/i.exec(value);
  if (!m) return value.slice(0, DISCORD_LIMITS.customId);
  const [, verb, planId, hash] = m as unknown as [string, string, string, string];
  const room = DISCORD_LIMITS.customId - verb.length - 2;
  const idLength = Math.min(planId.length, Math.max(0, room - MIN_HASH_CHARS));
  return `${verb}:${planId.slice(0, idLength)}:${hash.slice(0, room - idLength)}`;
}

export interface ParsedCustomId {
  verb: string;
  /** the plan id, or its beginning when the custom_id was shortened */
  planId: string;
  /** the plan hash, or its beginning */
  hash: string;
}

export function parseCustomId(customId: string): ParsedCustomId | null {
  const m = /^([a-z]+):(.+):([0-9a-f]{8,})$/i.exec(customId);
  return m ? { verb: m[1]!, planId: m[2]!, hash: m[3]! } : null;
}
