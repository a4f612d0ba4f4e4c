import { parseAlert } from '../alerts/index.js';
import { alertIdentity } from '../alerts/identity.js';
import type { Narrator } from '../agents/narrator.js';
import { parseIntent } from '../chat/intents.js';
import { redact } from '../redaction/redact.js';
import { metrics } from '../server/metrics.js';
import type { Runbook } from '../knowledge/runbooks.js';
import { type Alert, type Incident, IncidentSchema, type ThreadRef } from '../model/incident.js';
import type { ChangeEvent } from '../model/telemetry.js';
import type { IncidentStore } from '../storage/types.js';
import { AlertGroups, IDENTITY_LABEL, type AlertGroup, type GroupOptions, type GroupOutcome } from './alert-groups.js';
import { HELP, changesText, diagnosisSummary, kbAnswer, kbText, statusText, whyText } from './answers.js';
import type { KnowledgeLookup } from '../knowledge/citations.js';
import type { Copilot } from './copilot.js';
import { type ButtonClick, type ClickOutcome, handleButtonValue, handleClick } from './clicks.js';
import type { ActionOutcome, IncidentSession, SignalOutcome } from './types.js';

export type { ButtonClick, ClickOutcome } from './clicks.js';

/**
 * One conversation layer for every chat adapter: the command table, alert parsing (once) and de-duplication live here;
 * Slack, Discord and the console only translate their events into `alert`, `message` and `click` and post the replies.
 */
export interface ConversationDeps {
  copilot: Copilot;
  /** where refusals that never reach the core (a tampered or unknown button) are audited */
  store: Pick<IncidentStore, 'appendAudit'> & Partial<Pick<IncidentStore, 'get' | 'listIncidents' | 'put'>>;
  knownServices(): Promise<string[]>;
  changes(sinceMinutes: number): Promise<ChangeEvent[]>;
  runbooks: Runbook[];
  /** the copilot's clock (the simulated one in the scenario world) */
  now(): number;
  narrator?: Narrator | null;
  /** the alert a bare "diagnose" investigates, when the data source has one firing (the scenario world does) */
  firingAlert?: () => string | null;
  /** said by `status` before any incident exists */
  idleStatus?: () => string;
  /**
   * Maps an alert onto the data source's clock, when the source keeps one of its own (the scenario world's telemetry is
   * dated on its simulated clock, so a wall-clock alert about it would read an empty window). Identity is taken first.
   */
  alignAlert?: (alert: Alert) => Alert;
  /** whether two components are on one call path (the CMDB's dependencies), to join correlated alert groups */
  related?: (a: string, b: string) => Promise<boolean>;
  /** the knowledge base (opened on first use): `kb …` questions and "how do we …" are answered from it */
  knowledge?: () => Promise<KnowledgeLookup | null>;
}

export interface Reply {
  text: string;
  /** the report file, for adapters that attach it */
  attachment?: string;
}

export interface MessageContext {
  /** the thread the line was written in (null: a channel's top level or the console) */
  thread: ThreadRef | null;
  user: string;
  /** opens a thread for a new investigation (Discord starts one on the asking message); default: the line's thread */
  openThread?: (title: string) => Promise<ThreadRef>;
}

export type AlertOutcome =
  | { kind: 'opened'; outcome: SignalOutcome }
  | { kind: 'duplicate'; incidentId: string; thread: ThreadRef }
  | { kind: 'malformed'; error: string };

const threadKey = (t: ThreadRef) => `${t.channel}\u0000${t.threadId}`;

export class Conversation {
  private readonly incidentByThread = new Map<string, string>();
  private readonly seenAlerts = new Map<string, { incidentId: string; thread: ThreadRef; at: number; windowMs: number | null }>();
  /** incidents with a decision in flight: a double click is answered, not queued behind the first */
  readonly inFlight = new Set<string>();

  /** alert groups from webhooks and the reconcile: one incident per group (alert-groups.ts) */
  private readonly groups: AlertGroups;

  constructor(readonly deps: ConversationDeps) {
    this.groups = new AlertGroups({
      copilot: deps.copilot,
      store: deps.store,
      now: () => deps.now(),
      ...(deps.alignAlert ? { align: deps.alignAlert } : {}),
      incidentOf: (alert) => this.openRepeatOf(alertIdentity(alert).key),
      adopted: (incident, alerts) => {
        for (const alert of alerts) {
          const identity = alertIdentity(alert);
          this.seenAlerts.set(identity.key, { incidentId: incident.id, thread: incident.thread, at: this.deps.now(), windowMs: identity.windowMs });
        }
      },
      opened: (incident) => this.index(incident),
      ...(deps.related ? { related: deps.related } : {}),
      closed: (incidentId) => {
        for (const [key, seen] of this.seenAlerts) if (seen.incidentId === incidentId) this.seenAlerts.delete(key);
      },
    });
  }

  get copilot(): Copilot {
    return this.deps.copilot;
  }

  /** After a restart: every stored incident's thread and alert identity, so threads and repeats still find theirs. */
  async restore(limit = 500): Promise<void> {
    const { listIncidents, get } = this.deps.store;
    if (!listIncidents || !get) return;
    const ids = (await listIncidents.call(this.deps.store)).slice(0, limit).reverse();
    for (const id of ids) {
      const parsed = IncidentSchema.safeParse(await get.call(this.deps.store, id, 'incident'));
      if (parsed.success) {
        this.index(parsed.data);
        this.groups.restore(parsed.data);
      }
    }
  }

  /**
   * A notification of an alert group (Alertmanager, Grafana, a generic webhook, the reconcile): the first opens one
   * incident; re-sends of the group update it, never open another; a resolved one closes it (alert-groups.ts).
   */
  alertGroup(group: AlertGroup, opts: GroupOptions = {}): Promise<GroupOutcome> {
    return this.groups.handle(group, opts);
  }

  /** An incident by id: this copilot's live session, else the stored record (null when neither knows it). */
  async incident(incidentId: string): Promise<Incident | null> {
    const live = this.copilot.session(incidentId)?.incident;
    if (live) return live;
    const parsed = IncidentSchema.safeParse(await this.deps.store.get?.(incidentId, 'incident'));
    return parsed.success ? parsed.data : null;
  }

  /** Whether this alert already belongs to an open incident (a group's, or a repeat of one), for the reconcile. */
  tracks(alert: Alert): boolean {
    return this.groups.holds(alert) || this.seenAlerts.has(alertIdentity(alert).key);
  }

  /**
   * An alert landed (a webhook, a message in an alert channel, a pasted payload). Parsed once; a repeat of an alert
   * that already has an incident is pointed at that incident's thread instead of opening a second one.
   */
  async alert(text: string, thread: ThreadRef | null, opts: { onAccepted?: (incident?: Incident) => void } = {}): Promise<AlertOutcome> {
    const parsed = parseAlert(text, { now: () => this.deps.now() });
    if (!parsed.ok) {
      if (thread) await this.copilot.say(thread, `⚠️ I could not read that alert: ${parsed.error}`);
      return { kind: 'malformed', error: parsed.error };
    }
    const alert = parsed.alerts[0]!;
    metrics.alertReceived(alert.source);
    const identity = alertIdentity(alert);
    const now = this.deps.now();
    const seen = this.openRepeatOf(identity.key);
    if (seen) {
      const session = this.copilot.session(seen.incidentId);
      if (thread && threadKey(thread) !== threadKey(seen.thread)) {
        const where = session ? diagnosisSummary(session) : `This alert is already being investigated as ${seen.incidentId}.`;
        await this.copilot.say(thread, `${where} Handled in ${this.copilot.threadLink(seen.thread)}; follow it there.`);
      }
      return { kind: 'duplicate', incidentId: seen.incidentId, thread: seen.thread };
    }
    const outcome = await this.copilot.acceptSignal({ kind: 'alert', alert: this.aligned(alert, identity.key), receivedAt: now }, thread, {
      // registered as soon as the incident exists, so a repeat arriving mid-investigation is recognised
      onOpened: (incident) => {
        this.seenAlerts.set(identity.key, { incidentId: incident.id, thread: incident.thread, at: now, windowMs: identity.windowMs });
        this.index(incident);
        opts.onAccepted?.(incident);
      },
    });
    return { kind: 'opened', outcome };
  }

  /** Why `text` is not a readable alert, or null when it is one. */
  alertProblem(text: string): string | null {
    const parsed = parseAlert(text, { now: () => this.deps.now() });
    return parsed.ok ? null : parsed.error;
  }

  /** The open incident a repeat of this alert belongs to, if it is a repeat (before any thread is started for it). */
  duplicateOf(text: string): { incidentId: string; thread: ThreadRef } | null {
    const parsed = parseAlert(text, { now: () => this.deps.now() });
    return parsed.ok ? this.openRepeatOf(alertIdentity(parsed.alerts[0]!).key) : null;
  }

  /** The incident an alert with this identity repeats, while the identity's window is still open. */
  private openRepeatOf(identityKey: string): { incidentId: string; thread: ThreadRef } | null {
    const seen = this.seenAlerts.get(identityKey);
    if (!seen || (seen.windowMs !== null && this.deps.now() - seen.at > seen.windowMs)) return null;
    return { incidentId: seen.incidentId, thread: seen.thread };
  }

  /** Whether `text` is meant as an alert (JSON, or a line the alert parser recognises), for alert channels. */
  looksLikeAlert(text: string): boolean {
    return /^\s*[[{]/.test(text) || parseAlert(text).ok;
  }

  /** One line typed by a person. Never throws for bad input; decisions are commands, never words in a sentence. */
  async message(line: string, ctx: MessageContext): Promise<Reply> {
    const services = await this.deps.knownServices();
    const intent = parseIntent(line, services);
    const threadIncident = ctx.thread ? this.incidentIdFor(ctx.thread) : undefined;
    if (threadIncident) await this.copilot.load(threadIncident);
    const session = this.sessionFor(ctx.thread);
    // a decision names no plan, so in a chat with threads it counts only inside the incident's own thread
    const decidable = ctx.thread === null || (ctx.thread && this.incidentIdFor(ctx.thread)) ? session : undefined;
    switch (intent.kind) {
      case 'help':
        return { text: HELP };
      case 'diagnose':
        return this.diagnose(line, ctx, session);
      case 'why':
        return { text: session ? whyText(session) : 'There is no diagnosis here yet: ask me to diagnose first.' };
      case 'status':
        return { text: await this.status(ctx.thread, session) };
      case 'report':
        return session ? { text: `📝 ${session.report.title} (${session.incident.id}) — ${session.report.path}`, attachment: session.report.path } : { text: 'There is no report yet: ask me to diagnose first.' };
      case 'changes':
        return { text: changesText(await this.deps.changes(intent.sinceMinutes), intent.sinceMinutes) };
      case 'approve':
      case 'reject': {
        if (!decidable?.result.plan) return { text: 'There is no plan to decide on here: decide in the incident’s thread, or use its buttons.' };
        const reason = intent.kind === 'reject' ? intent.reason : undefined;
        const decided = await this.decide(decidable.incident.id, ctx.user, intent.kind === 'approve' ? 'approved' : 'rejected', reason);
        return { text: decided.ok ? 'Done; see the thread.' : `Not done: ${decided.error}` };
      }
      case 'dry_run': {
        if (!session?.result.plan) return { text: 'There is no proposed fix to dry-run here yet.' };
        const dry = await this.copilot.dryRun(session.incident.id);
        return { text: dry.ok ? 'Dry run posted in the thread; nothing was executed.' : `Not done: ${dry.error}` };
      }
      case 'rollback': {
        if (!decidable?.result.plan) return { text: 'There is nothing to roll back here: ask in the incident’s thread, or use its Roll back button.' };
        const rolled = await this.copilot.rollback(decidable.incident.id, ctx.user);
        return { text: rolled.ok ? 'Rollback done; see the thread.' : `Not done: ${rolled.error}` };
      }
      case 'ask':
        return { text: await this.askKnowledge(intent.question) };
      case 'root_cause': {
        if (!decidable) return { text: 'Tell me the root cause in the incident’s own thread, so that I know which incident it belongs to.' };
        const noted = await this.copilot.recordCause(decidable.incident.id, intent.cause, ctx.user);
        return { text: noted.ok ? `📚 Noted: the knowledge base now records “${redact(intent.cause)}” as the root cause of ${decidable.incident.id}, for the next similar incident.` : `Not noted: ${noted.error}` };
      }
      default:
        return this.freeText(line, session);
    }
  }

  /** A button click: translated by the adapter into verb, plan and hash; every refusal is audited. */
  click(click: ButtonClick | { value: string; user: string }): Promise<ClickOutcome> {
    return 'value' in click ? handleButtonValue(this, click.value, click.user) : handleClick(this, click);
  }

  /** A decision through the one approval authority (the core's policy), with the reason a rejection gives. */
  async decide(incidentId: string, actor: string, decision: 'approved' | 'rejected', reason?: string): Promise<ActionOutcome> {
    if (this.inFlight.has(incidentId)) return { ok: false, error: 'a decision on this plan is already being carried out' };
    this.inFlight.add(incidentId);
    try {
      const outcome = await this.copilot.decide(incidentId, actor, decision);
      metrics.approvalDecided(outcome.ok ? decision : 'refused');
      for (const step of outcome.ok ? (outcome.session.execution?.steps ?? []) : []) metrics.executorResult(step.status);
      if (outcome.ok && reason) await this.copilot.say(outcome.session.incident.thread, `Reason given by ${actor}: ${reason}`);
      return outcome;
    } finally {
      this.inFlight.delete(incidentId);
    }
  }

  /** The incident of this thread; outside an incident thread, the newest one (the console has no threads). */
  sessionFor(thread: ThreadRef | null): IncidentSession | undefined {
    const id = thread ? this.incidentIdFor(thread) : undefined;
    return id ? this.copilot.session(id) : this.copilot.latest;
  }

  incidentIdFor(thread: ThreadRef): string | undefined {
    return this.incidentByThread.get(threadKey(thread));
  }

  /**
   * The alert as the data source's clock reads it; when that moved its start, the identity it arrived with is kept in
   * a label, so that the stored incident is still found by a repeat of the original alert (and never by another one).
   */
  private aligned(alert: Alert, identityKey: string): Alert {
    const moved = this.deps.alignAlert?.(alert);
    return moved && moved.startsAt !== alert.startsAt ? { ...moved, labels: { ...moved.labels, [IDENTITY_LABEL]: identityKey } } : alert;
  }

  private index(incident: Incident): void {
    this.incidentByThread.set(threadKey(incident.thread), incident.id);
    if (incident.signal.kind === 'alert' && incident.status !== 'resolved') {
      const identity = alertIdentity(incident.signal.alert);
      const key = incident.signal.alert.labels[IDENTITY_LABEL] ?? identity.key;
      if (!this.seenAlerts.has(key)) {
        this.seenAlerts.set(key, { incidentId: incident.id, thread: incident.thread, at: incident.createdAt, windowMs: identity.windowMs });
      }
    }
  }

  private async status(thread: ThreadRef | null, session: IncidentSession | undefined): Promise<string> {
    const id = thread ? this.incidentIdFor(thread) : undefined;
    if (id && !session) {
      // after a restart the session may be gone, but the thread still belongs to its own incident
      const stored = IncidentSchema.safeParse(await this.deps.store.get?.(id, 'incident'));
      return statusText(undefined, stored.success ? stored.data : undefined);
    }
    if (!session && this.deps.idleStatus) return this.deps.idleStatus();
    return statusText(session);
  }

  private async diagnose(line: string, ctx: MessageContext, session: IncidentSession | undefined): Promise<Reply> {
    if (session) return { text: whyText(session) };
    const thread = ctx.openThread ? await ctx.openThread(`🔎 ${line.trim()}`) : ctx.thread;
    const firing = this.deps.firingAlert?.();
    if (firing) {
      const opened = await this.alert(firing, thread);
      if (opened.kind === 'duplicate') return { text: `Already handled as ${opened.incidentId}.` };
      if (opened.kind === 'malformed') return { text: `I could not read the firing alert: ${opened.error}` };
      return { text: diagnoseReply(opened.outcome) };
    }
    const outcome = await this.copilot.acceptSignal({ kind: 'question', text: line.trim().slice(0, 2000), user: ctx.user, receivedAt: this.deps.now() }, thread, {
      onOpened: (incident) => this.index(incident),
    });
    return { text: diagnoseReply(outcome) };
  }

  /** A question to the knowledge base; its best passages with their sources (the runbooks' words without one). */
  async askKnowledge(question: string): Promise<string> {
    const kb = await this.deps.knowledge?.().catch(() => null);
    if (!kb) return kbText(this.deps.runbooks, question);
    return kbAnswer(kb, question, this.deps.narrator).catch((err: unknown) => `The knowledge base could not be searched: ${(err as Error).message}`);
  }

  private async freeText(line: string, session: IncidentSession | undefined): Promise<Reply> {
    const kb = /^\s*\/?kb\b\s*(.*)$/i.exec(line);
    if (kb) return { text: await this.askKnowledge(kb[1] ?? '') };
    const narrator = this.deps.narrator;
    if (narrator && line.trim()) {
      const context = session ? `${session.incident.title}; top causes: ${session.result.ranked.slice(0, 3).map((h) => `${h.kind} on ${h.component}`).join(', ')}` : 'no diagnosis yet';
      const reply = await narrator.converse(line, context);
      if (reply.ok) return { text: `${reply.text}\n(written by ${narrator.label})` };
    }
    return { text: `I did not understand "${line.trim().slice(0, 200)}".\n${HELP}` };
  }
}

function diagnoseReply(outcome: SignalOutcome): string {
  if (!outcome.ok) return `I could not diagnose it: ${outcome.error}`;
  return 'queued' in outcome ? 'Investigating; the diagnosis will be posted in the thread.' : 'Diagnosis posted in the thread.';
}
