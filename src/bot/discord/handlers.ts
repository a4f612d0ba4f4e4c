import path from 'node:path';
import { parseAlert } from '../../alerts/index.js';
import type { DiscordConfig } from '../../config.js';
import type { Copilot, IncidentSession } from '../../copilot/copilot.js';
import { openIncident } from '../../copilot/incident.js';
import type { Runbook } from '../../knowledge/runbooks.js';
import type { IncidentStore } from '../../storage/types.js';
import type { ThreadRef } from '../../model/incident.js';
import { faultLabel } from '../../report/labels.js';
import { remediationStage } from '../../copilot/status.js';
import { clip } from '../../chat/format.js';
import { parseIntent, stripMention } from '../intents.js';
import { threadName, type DiscordChannel, type Logger } from './channel.js';
import { parseCustomId } from './render.js';

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
  copilot: Copilot;
  channel: DiscordChannel;
  config: DiscordConfig;
  roles: RoleDirectory;
  runbooks: Runbook[];
  /** the copilot's clock for question signals (scenario time in the scenario world) */
  now: () => number;
  /** known service names for intents; default: none */
  knownServices?: () => Promise<string[]>;
  log: Logger;
  /** where refused clicks are audited (the Copilot's store); without it they are only logged */
  audit?: Pick<IncidentStore, 'appendAudit'>;
  /** incidents opened through this bot, newest last, and the thread each lives in */
  incidents: { id: string; threadId: string }[];
  /** plan decisions in flight, so that a double click is answered rather than queued */
  deciding: Set<string>;
}

export function createContext(init: Omit<DiscordContext, 'incidents' | 'deciding' | 'roles'> & { roles?: RoleDirectory }): DiscordContext {
  return { ...init, roles: init.roles ?? new RoleDirectory(), incidents: [], deciding: new Set() };
}

export function isApprover(config: DiscordConfig, userId: string, roles: string[]): boolean {
  return config.approvers.includes(userId) || roles.some((r) => config.approvers.includes(r));
}

const HELP = [
  'Mention me with a question ("why is checkout failing?"), paste an alert in an alert channel, or use `/sre`:',
  '`/sre diagnose <service>` · `/sre status` · `/sre kb <question>` · `/sre report [incident]`',
].join('\n');

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
      const parsed = parseAlert(text);
      if (parsed.ok) return await openAlert(ctx, message, text);
      // chatter in an alert channel that is not an alert is none of our business; a broken alert gets an answer
      if (!message.mentionsBot && !looksLikeAlert(text) && /does not look like an alert/.test(parsed.error)) return 'ignored';
      await message.reply(`⚠️ I could not read that alert: ${parsed.error}`);
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
  const parsed = parseAlert(text);
  if (!parsed.ok) return 'error';
  const alert = parsed.alerts[0]!;
  // Alertmanager repeats a firing alert; the same alert (name, service, start) is the same incident
  const incidentId = openIncident({ kind: 'alert', alert, receivedAt: alert.startsAt }, { channel: ctx.channel.name, threadId: '' }, []).id;
  const open = ctx.incidents.find((i) => i.id === incidentId);
  if (open) {
    await message.reply(`This alert is already being handled as ${incidentId} in <#${open.threadId}>.`);
    return 'replied';
  }
  const name = `🚨 ${alert.name}`;
  const thread = await message.startThread({ name: threadName(name), autoArchiveDuration: 1440 });
  const ref: ThreadRef = { channel: ctx.channel.name, threadId: thread.id };
  const outcome = await ctx.copilot.handleAlertText(text, ref);
  if (outcome.ok) remember(ctx, outcome.session, thread.id);
  return outcome.ok ? 'alert' : 'error';
}

async function answerMention(ctx: DiscordContext, message: MessageLike, text: string): Promise<'question' | 'replied'> {
  const services = (await ctx.knownServices?.()) ?? [];
  const intent = parseIntent(text, services);
  switch (intent.kind) {
    case 'diagnose': {
      const thread = await message.startThread({ name: threadName(`🔎 ${text}`), autoArchiveDuration: 1440 });
      await investigateQuestion(ctx, { channel: ctx.channel.name, threadId: thread.id }, text, message.author.id);
      return 'question';
    }
    case 'status':
      await message.reply(statusText(ctx, latestSession(ctx, message.channelId)));
      return 'replied';
    case 'report':
      await message.reply(reportText(latestSession(ctx, message.channelId)));
      return 'replied';
    case 'approve':
    case 'reject':
    case 'rollback':
      await message.reply('Use the Approve / Reject (or Roll back) buttons on the plan: they check who you are.');
      return 'replied';
    case 'dry_run': {
      const session = latestSession(ctx, message.channelId);
      if (session?.result.plan) await ctx.copilot.dryRun(session.incident.id);
      else await message.reply('There is no proposed plan to dry-run yet.');
      return 'replied';
    }
    default:
      await message.reply(HELP);
      return 'replied';
  }
}

async function investigateQuestion(ctx: DiscordContext, thread: ThreadRef, text: string, user: string): Promise<void> {
  const outcome = await ctx.copilot.handleSignal({ kind: 'question', text, user, receivedAt: ctx.now() }, thread);
  if (outcome.ok) remember(ctx, outcome.session, thread.threadId);
}

function remember(ctx: DiscordContext, session: IncidentSession, threadId: string): void {
  ctx.incidents.push({ id: session.incident.id, threadId });
}

// ---------------------------------------------------------------------------------------------------------------- buttons

/** An Approve / Reject click. Acknowledged at once; only approvers reach the core, which refuses a second decision. */
export async function handleButton(ctx: DiscordContext, interaction: ButtonInteractionLike): Promise<'decided' | 'refused' | 'ignored' | 'error'> {
  let acked = false;
  const tell = (content: string) => interaction.followUp({ content, ephemeral: true });
  try {
    await interaction.deferUpdate();
    acked = true;
    const parsed = parseCustomId(interaction.customId);
    if (!parsed || !['approve', 'reject', 'dryrun', 'rollback'].includes(parsed.verb)) return 'ignored';
    const found = findPlan(ctx, parsed.planId, parsed.hash);
    if (!found) {
      await tell('⚠️ This plan is no longer awaiting a decision here (it changed, or the copilot restarted). Nothing was executed.');
      return 'refused';
    }
    const actor = interaction.user.id;
    if (parsed.verb === 'dryrun') {
      // read-only: pre-checks and the executor's dry run, posted in the thread; anyone in the channel may ask
      const outcome = await ctx.copilot.dryRun(found.incidentId);
      if (!outcome.ok) await tell(`Not done: ${outcome.error}`);
      return outcome.ok ? 'decided' : 'refused';
    }
    if (!isApprover(ctx.config, actor, interaction.memberRoles)) {
      ctx.log.warn(`discord: ${actor} may not ${parsed.verb} ${found.planId}; refused`);
      await ctx.audit
        ?.appendAudit({ type: 'refused', incidentId: found.incidentId, planId: found.planId, planHash: found.planHash, actor, at: ctx.now(), detail: `${actor} is not an approver (Discord)` })
        .catch((err: unknown) => ctx.log.error(`discord: auditing a refusal failed: ${(err as Error).message}`));
      await tell(`⛔ You are not an approver for this plan, so nothing was executed. Approvers: ${ctx.config.approvers.map(mentionOf).join(', ') || 'none configured'}.`);
      return 'refused';
    }
    if (ctx.deciding.has(found.incidentId)) {
      await tell('⏳ A decision on this plan is already being carried out.');
      return 'refused';
    }
    ctx.deciding.add(found.incidentId);
    try {
      ctx.roles.remember(actor, interaction.memberRoles);
      const outcome =
        parsed.verb === 'rollback'
          ? await ctx.copilot.rollback(found.incidentId, actor)
          : await ctx.copilot.decide(found.incidentId, actor, parsed.verb === 'approve' ? 'approved' : 'rejected');
      if (!outcome.ok) {
        await tell(`Not done: ${outcome.error}`);
        return 'refused';
      }
      await interaction.editMessage?.({ components: [] }).catch((err: unknown) => ctx.log.warn(`discord: could not remove the buttons: ${(err as Error).message}`));
      return 'decided';
    } finally {
      ctx.deciding.delete(found.incidentId);
    }
  } catch (err) {
    return failed(ctx, `button ${interaction.customId}`, err, (text) => (acked ? tell(text) : Promise.resolve()));
  }
}

function mentionOf(id: string): string {
  return /^\d+$/.test(id) ? `<@${id}> / <@&${id}>` : id;
}

function findPlan(ctx: DiscordContext, planIdPrefix: string, hashPrefix: string): { incidentId: string; planId: string; planHash: string } | null {
  const ids = [...ctx.incidents.map((i) => i.id).reverse(), ...(ctx.copilot.latest ? [ctx.copilot.latest.incident.id] : [])];
  for (const id of ids) {
    const plan = ctx.copilot.session(id)?.result.plan;
    if (plan && plan.id.startsWith(planIdPrefix) && plan.hash.startsWith(hashPrefix)) return { incidentId: id, planId: plan.id, planHash: plan.hash };
  }
  return null;
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
        await investigateQuestion(ctx, { channel: ctx.channel.name, threadId }, text, interaction.user.id);
        return 'answered';
      }
      case 'status':
        await interaction.editReply({ content: statusText(ctx, latestSession(ctx, interaction.channelId)) });
        return 'answered';
      case 'kb':
        await interaction.editReply({ content: kbText(ctx.runbooks, interaction.getString('question') ?? '') });
        return 'answered';
      case 'report': {
        const id = interaction.getString('incident')?.trim();
        const session = id ? ctx.copilot.session(id) : latestSession(ctx, interaction.channelId);
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

/** The incident of the thread the command came from, else the newest. */
function latestSession(ctx: DiscordContext, channelId: string | null): IncidentSession | undefined {
  const inThread = ctx.incidents.findLast((i) => i.threadId === channelId);
  return (inThread && ctx.copilot.session(inThread.id)) || ctx.copilot.latest;
}

export function statusText(ctx: DiscordContext, s: IncidentSession | undefined): string {
  if (!s) return 'No incident is open. Mention me with a question or paste an alert.';
  const stage = remediationStage(s);
  const top = s.result.ranked[0];
  const cause = top ? `\nMost likely: ${faultLabel(top.kind)} on \`${top.component}\` (${Math.round(top.confidence * 100)} %).` : '';
  const thread = ctx.incidents.find((i) => i.id === s.incident.id);
  return `**${s.incident.id}** — ${clip(s.incident.title, 200)} — ${s.incident.status}: ${stage}.${cause}${thread ? `\nThread: <#${thread.threadId}>` : ''}`;
}

function reportText(s: IncidentSession | undefined): string {
  if (!s) return 'There is no report yet: ask me to diagnose first.';
  return `📝 **${clip(s.report.title, 200)}** (${s.incident.id}) — written by ${s.report.author}; ${s.report.charts.length} chart(s). The Markdown report is attached.`;
}

const KB_STOP = new Set(['the', 'and', 'for', 'how', 'what', 'why', 'with', 'when', 'does', 'can', 'are', 'is', 'to', 'do', 'of', 'in', 'on', 'a', 'an', 'my', 'our', 'we', 'i']);

/** KB search is not built yet: until it is, runbooks whose text mentions the question's words. */
export function kbText(runbooks: Runbook[], question: string): string {
  const words = [...new Set(question.toLowerCase().split(/[^\p{L}\p{N}-]+/u).filter((w) => w.length >= 3 && !KB_STOP.has(w)))];
  const scored = runbooks
    .map((r) => {
      const hay = `${r.id} ${r.title} ${r.body}`.toLowerCase();
      return { r, score: words.filter((w) => hay.includes(w)).length };
    })
    .filter((x) => x.score > 0)
    .sort((a, b) => b.score - a.score || a.r.id.localeCompare(b.r.id))
    .slice(0, 5);
  const head = 'Knowledge-base search is not built yet.';
  if (words.length === 0) return `${head} Ask with a few keywords, e.g. \`/sre kb connection pool\`.`;
  if (scored.length === 0) return `${head} No runbook mentions ${words.map((w) => `“${w}”`).join(', ')}.`;
  return `${head} Runbooks that mention it:\n${scored.map(({ r }) => `• **${clip(r.title, 150)}** (\`${r.id}\`)`).join('\n')}`;
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
