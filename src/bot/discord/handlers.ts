import path from 'node:path';
import { stripMention } from '../../chat/intents.js';
import { clip } from '../../chat/format.js';
import type { DiscordConfig } from '../../config.js';
import { HELP, kbText, statusText } from '../../copilot/answers.js';
import type { Copilot } from '../../copilot/copilot.js';
import type { Conversation } from '../../copilot/conversation.js';
import type { Runbook } from '../../knowledge/runbooks.js';
import type { ThreadRef } from '../../model/incident.js';
import { threadName, type DiscordChannel, type Logger } from './channel.js';
import { parseCustomId } from './render.js';

export { kbText } from '../../copilot/answers.js';

/**
 * Discord event handlers as plain functions over small "injected client" interfaces: the discord.js Client (bot.ts)
 * adapts its Message and Interaction objects to these, and tests call the handlers with fakes. Every handler catches
 * its own errors, logs them, and answers with an error, so one bad event never stops the bot.
 */

export interface MessageLike {
  id: string;
  channelId: string;
  content: string;
  author: { id: string; bot: boolean; username?: string };
  /** set for webhook posts (Alertmanager, Grafana), which are bots we do listen to */
  webhookId?: string | null;
  /** whether this message mentions the bot (user mention or its managed role) */
  mentionsBot: boolean;
  reply(content: string): Promise<unknown>;
  startThread(options: { name: string; autoArchiveDuration?: number }): Promise<{ id: string }>;
}

export interface ReplyOptions {
  content: string;
  ephemeral?: boolean;
  files?: { attachment: string; name: string }[];
}

export interface ButtonInteractionLike {
  customId: string;
  channelId: string | null;
  user: { id: string; username?: string };
  /** role ids of the clicking member (empty outside a guild) */
  memberRoles: string[];
  deferUpdate(): Promise<unknown>;
  followUp(options: ReplyOptions): Promise<unknown>;
  /** edits the message the button is on (after deferUpdate); used to remove the buttons once a plan is decided */
  editMessage?(options: { components: [] }): Promise<unknown>;
}

export interface CommandInteractionLike {
  commandName: string;
  subcommand: string | null;
  getString(name: string): string | null;
  channelId: string | null;
  user: { id: string; username?: string };
  deferReply(options?: { ephemeral?: boolean }): Promise<unknown>;
  /** edits the deferred reply; returns the reply message (a thread can be started on it) */
  editReply(options: ReplyOptions): Promise<{ id: string }>;
}

/** Role ids seen on a member's latest interaction, so that the Copilot's `isInApproverGroup` can check them. */
export class RoleDirectory {
  private readonly roles = new Map<string, string[]>();
  remember(userId: string, roles: string[]): void {
    this.roles.set(userId, [...roles]);
  }
  /** `isInApproverGroup` for the Copilot deps: whether `actor` holds one of the listed role ids. */
  readonly isInApproverGroup = async (actor: string, approvers: string[]): Promise<boolean> => {
    const roles = this.roles.get(actor) ?? [];
    return roles.some((r) => approvers.includes(r));
  };
}

export interface DiscordContext {
  /** the one conversation layer: commands, alert parsing, de-duplication and decisions */
  conversation: Conversation;
  channel: DiscordChannel;
  config: DiscordConfig;
  roles: RoleDirectory;
  runbooks: Runbook[];
  log: Logger;
  /** incidents opened through this bot, newest last, and the thread each lives in */
  incidents: { id: string; threadId: string }[];
}

export function createContext(init: Omit<DiscordContext, 'incidents' | 'roles'> & { roles?: RoleDirectory }): DiscordContext {
  return { ...init, roles: init.roles ?? new RoleDirectory(), incidents: [] };
}

const copilotOf = (ctx: DiscordContext): Copilot => ctx.conversation.copilot;
const discordThread = (ctx: DiscordContext, threadId: string): ThreadRef => ({ channel: ctx.channel.name, threadId });

// ---------------------------------------------------------------------------------------------------------------- messages

/** A message in a channel the bot can read. Returns what it did, for logs and tests. */
export async function handleMessage(ctx: DiscordContext, message: MessageLike): Promise<'ignored' | 'alert' | 'question' | 'replied' | 'error'> {
  // `alert`: an incident was opened from an alert; `question`: from a question; `replied`: an answer, no incident
  try {
    if (message.author.bot && !message.webhookId) return 'ignored';
    const watched = ctx.config.alertChannels.includes(message.channelId);
    if (!watched && !message.mentionsBot) return 'ignored';
    const text = message.mentionsBot ? stripMention(message.content) : message.content.trim();
    if (text === '') {
      if (message.mentionsBot) await message.reply(HELP);
      return message.mentionsBot ? 'replied' : 'ignored';
    }
    if (looksLikeAlert(text) || (watched && !message.mentionsBot)) {
      const problem = ctx.conversation.alertProblem(text);
      if (!problem) return await openAlert(ctx, message, text);
      // chatter in an alert channel that is not an alert is none of our business; a broken alert gets an answer
      if (!message.mentionsBot && !looksLikeAlert(text) && /does not look like an alert/.test(problem)) return 'ignored';
      await message.reply(`⚠️ I could not read that alert: ${problem}`);
      return 'replied';
    }
    return await answerMention(ctx, message, text);
  } catch (err) {
    return failed(ctx, `message ${message.id}`, err, (text) => message.reply(text));
  }
}

/** JSON, or a bracketed marker such as "[FIRING] …": meant as an alert, so a parse failure deserves an answer. */
function looksLikeAlert(text: string): boolean {
  return /^\s*[{[]/.test(text);
}

async function openAlert(ctx: DiscordContext, message: MessageLike, text: string): Promise<'alert' | 'replied' | 'error'> {
  // Alertmanager repeats a firing alert: the repeat is pointed at the open incident before any thread is started
  const open = ctx.conversation.duplicateOf(text);
  if (open) {
    await message.reply(`This alert is already being handled as ${open.incidentId} in <#${open.thread.threadId}>.`);
    return 'replied';
  }
  const thread = await message.startThread({ name: threadName(`🚨 ${text.slice(0, 80)}`), autoArchiveDuration: 1440 });
  const opened = await ctx.conversation.alert(text, discordThread(ctx, thread.id));
  if (opened.kind === 'opened' && opened.outcome.ok) {
    remember(ctx, 'queued' in opened.outcome ? opened.outcome.queued.id : opened.outcome.session.incident.id, thread.id);
    return 'alert';
  }
  return opened.kind === 'duplicate' ? 'replied' : 'error';
}

async function answerMention(ctx: DiscordContext, message: MessageLike, text: string): Promise<'question' | 'replied'> {
  const inThread = discordThread(ctx, message.channelId);
  let opened: string | null = null;
  const reply = await ctx.conversation.message(text, {
    thread: inThread,
    user: message.author.id,
    // a new investigation gets a thread on the asking message (inside a thread it continues there)
    openThread: async (title) => {
      const thread = await message.startThread({ name: threadName(title), autoArchiveDuration: 1440 });
      opened = thread.id;
      return discordThread(ctx, thread.id);
    },
  });
  if (opened) {
    const id = ctx.conversation.incidentIdFor(discordThread(ctx, opened));
    if (id) remember(ctx, id, opened);
    return 'question';
  }
  await message.reply(reply.text);
  return 'replied';
}

function remember(ctx: DiscordContext, incidentId: string, threadId: string): void {
  if (!ctx.incidents.some((i) => i.id === incidentId)) ctx.incidents.push({ id: incidentId, threadId });
}

// ---------------------------------------------------------------------------------------------------------------- buttons

/**
 * An Approve / Reject / Dry run / Roll back click. Acknowledged at once; the conversation layer's core alone decides
 * who may approve (the clicker's roles are remembered first, so role holders are recognised). A settled plan loses its
 * buttons; a high-risk plan with its first approval keeps them for the second approver.
 */
export async function handleButton(ctx: DiscordContext, interaction: ButtonInteractionLike): Promise<'decided' | 'refused' | 'ignored' | 'error'> {
  let acked = false;
  const tell = (content: string) => interaction.followUp({ content, ephemeral: true });
  try {
    await interaction.deferUpdate();
    acked = true;
    const parsed = parseCustomId(interaction.customId);
    if (!parsed) return 'ignored';
    ctx.roles.remember(interaction.user.id, interaction.memberRoles);
    const outcome = await ctx.conversation.click({ value: `${parsed.verb}:${parsed.planId}:${parsed.hash}`, user: interaction.user.id });
    if (!outcome.ok) {
      await tell(outcome.reply);
      return 'refused';
    }
    if (outcome.message?.state === 'settled') {
      await interaction.editMessage?.({ components: [] }).catch((err: unknown) => ctx.log.warn(`discord: could not remove the buttons: ${(err as Error).message}`));
    }
    return 'decided';
  } catch (err) {
    return failed(ctx, `button ${interaction.customId}`, err, (text) => (acked ? tell(text) : Promise.resolve()));
  }
}

// ---------------------------------------------------------------------------------------------------------------- /sre

/** The `/sre` command definition, registered through REST when an application id is configured. */
export const SRE_COMMAND = {
  name: 'sre',
  description: 'SRE Copilot: diagnose, status, knowledge base, reports',
  options: [
    { type: 1, name: 'diagnose', description: 'Diagnose a service', options: [{ type: 3, name: 'service', description: 'service name', required: true }] },
    { type: 1, name: 'status', description: 'Where the current incident stands' },
    { type: 1, name: 'kb', description: 'Search the runbooks', options: [{ type: 3, name: 'question', description: 'what to look for', required: true }] },
    { type: 1, name: 'report', description: "An incident's report", options: [{ type: 3, name: 'incident', description: 'incident id (default: the latest)', required: false }] },
  ],
} as const;

export async function handleCommand(ctx: DiscordContext, interaction: CommandInteractionLike): Promise<'answered' | 'ignored' | 'error'> {
  let deferred = false;
  try {
    if (interaction.commandName !== 'sre') return 'ignored';
    // answers are for the asker alone, except a diagnosis: its reply carries the incident's thread
    await interaction.deferReply({ ephemeral: interaction.subcommand !== 'diagnose' });
    deferred = true;
    switch (interaction.subcommand) {
      case 'diagnose': {
        const service = (interaction.getString('service') ?? '').trim();
        if (!service) {
          await interaction.editReply({ content: 'Which service? `/sre diagnose <service>`' });
          return 'answered';
        }
        const text = `diagnose ${service}`;
        const root = await interaction.editReply({ content: `🔎 Diagnosing ${clip(service, 100)} (asked by <@${interaction.user.id}>); follow the thread.` });
        if (!interaction.channelId) throw new Error('no channel to start a thread in');
        const threadId = await ctx.channel.openThread(interaction.channelId, root.id, `🔎 ${text}`);
        const thread = discordThread(ctx, threadId);
        const reply = await ctx.conversation.message(text, { thread, user: interaction.user.id });
        const id = ctx.conversation.incidentIdFor(thread);
        if (id) remember(ctx, id, threadId);
        else await ctx.channel.post(thread, { text: reply.text });
        return 'answered';
      }
      case 'status': {
        const thread = interaction.channelId ? discordThread(ctx, interaction.channelId) : null;
        await interaction.editReply({ content: await statusWithThread(ctx, thread, interaction.user.id) });
        return 'answered';
      }
      case 'kb':
        await interaction.editReply({ content: await ctx.conversation.askKnowledge(interaction.getString('question') ?? '') });
        return 'answered';
      case 'report': {
        const id = interaction.getString('incident')?.trim();
        const session = id ? copilotOf(ctx).session(id) : ctx.conversation.sessionFor(interaction.channelId ? discordThread(ctx, interaction.channelId) : null);
        if (id && !session) {
          await interaction.editReply({ content: `I know no incident ${clip(id, 80)}.` });
          return 'answered';
        }
        const files = session?.report ? [{ attachment: session.report.path, name: path.basename(session.report.path) }] : [];
        await interaction.editReply({ content: reportText(session), ...(files.length ? { files } : {}) });
        return 'answered';
      }
      default:
        await interaction.editReply({ content: HELP });
        return 'answered';
    }
  } catch (err) {
    return failed(ctx, `/sre ${interaction.subcommand ?? ''}`, err, (text) => (deferred ? interaction.editReply({ content: text }) : Promise.resolve()));
  }
}

/** Where the thread's incident stands (the newest outside an incident thread), with a link to its thread. */
async function statusWithThread(ctx: DiscordContext, thread: ThreadRef | null, user: string): Promise<string> {
  const session = ctx.conversation.sessionFor(thread);
  if (!session) return (await ctx.conversation.message('status', { thread, user })).text;
  const known = ctx.incidents.find((i) => i.id === session.incident.id);
  return `${statusText(session)}${known ? `\nThread: <#${known.threadId}>` : ''}`;
}

function reportText(s: ReturnType<Conversation['sessionFor']>): string {
  if (!s) return 'There is no report yet: ask me to diagnose first.';
  return `📝 **${clip(s.report.title, 200)}** (${s.incident.id}) — written by ${s.report.author}; ${s.report.charts.length} chart(s). The Markdown report is attached.`;
}

// ---------------------------------------------------------------------------------------------------------------- errors

async function failed(ctx: DiscordContext, what: string, err: unknown, answer: (text: string) => Promise<unknown>): Promise<'error'> {
  const reason = err instanceof Error ? err.message : String(err);
  ctx.log.error(`discord: ${what} failed: ${reason}`);
  try {
    await answer(`⚠️ Something went wrong: ${clip(reason, 300)}`);
  } catch (e) {
    ctx.log.error(`discord: could not report the failure: ${(e as Error).message}`);
  }
  return 'error';
}
