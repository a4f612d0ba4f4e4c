import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import path from 'node:path';
import type { ActionOutcome, CopilotDeps, IncidentSession, SignalOutcome } from './types.js';
import { parseAlert } from '../alerts/index.js';
import * as msg from '../chat/messages.js';
import { type InvestigationOutcome, metrics } from '../server/metrics.js';
import { InvestigationError } from '../investigation/run.js';
import type { InvestigationResult } from '../investigation/types.js';
import { APPROVAL, type IncidentHost, PendingApprovalSchema } from '../mastra/lifecycle.js';
import { inMemoryLifecycle } from '../mastra/index.js';
import { LifecycleRuns } from '../mastra/runs.js';
import type { Incident, Signal, ThreadRef } from '../model/incident.js';
import type { Report } from '../model/report.js';
import type { ApprovalPolicy } from '../remediation/approval.js';
import { scriptsMessage } from '../remediation/scripts.js';
import { openIncident } from './incident.js';
import { ProgressTracker } from './progress.js';
import { type QueuedOutcome, type RestoreContext, type RestoreOptions, loadSuspended, restoreIncidents, runQueuedIncident } from './restore.js';
import { DEFAULT_SESSION_LIMITS, pruneSessions } from './sessions.js';
import {
  type DryRunOutcome,
  type RemediationOps,
  dryRunPlan,
  finishRemediation,
  noteInterruptedExecution,
  proposeScriptPlan,
  rollbackPlan,
  runApprovedPlan,
  settleDecision,
} from './remediation.js';
import type { ChatMessage } from '../chat/channel.js';
import { writeIncidentReport } from './reporting.js';
import { citeInThread, learnFrom } from './knowledge.js';
import { missingSignals } from '../report/markdown.js';

/** The chat-agnostic core: adapters hand it signals and decisions; it investigates, reports, and fixes on approval. */
export class Copilot {
  /** the incidents this copilot holds, in the order they were concluded; bounded (sessions.ts) */
  private readonly sessions = new Map<string, IncidentSession>();
  /** incidents with a decision, a rollback or a proposal under way: their sessions are never dropped meanwhile */
  private readonly busy = new Map<string, number>();
  /** investigations running now (the `queue depth` of /metrics until scale-out brings a real queue) */
  private investigating = 0;
  /** every incident is one run of the lifecycle workflow; this copilot drives the runs of its channel */
  private readonly runs: LifecycleRuns;
  constructor(private readonly deps: CopilotDeps) {
    this.runs = new LifecycleRuns(deps.lifecycle ?? inMemoryLifecycle(deps.experts));
  }

  get latest(): IncidentSession | undefined {
    return [...this.sessions.values()].at(-1);
  }

  /** every incident session this copilot holds, oldest first */
  allSessions(): IncidentSession[] {
    return [...this.sessions.values()];
  }

  /** How people reach `thread` from elsewhere, in the channel's own link syntax. */
  threadLink(thread: ThreadRef): string {
    return this.deps.channel.linkTo?.(thread) ?? 'its thread';
  }

  /** A message of the copilot's own in an incident's thread (a proactive finding's chart, say). */
  async post(thread: ThreadRef, message: ChatMessage): Promise<void> {
    await this.deps.channel.post(thread, message);
  }

  /** A line of plain text in an incident's thread (the conversation layer's notes: duplicates, reasons). */
  async say(thread: ThreadRef, text: string): Promise<void> {
    await this.deps.channel.post(thread, { text });
  }

  session(incidentId: string): IncidentSession | undefined {
    return this.sessions.get(incidentId);
  }

  /**
   * After a restart (see restoreIncidents): brings back this channel's recent incidents from their lifecycle runs
   * (oldest first, so `latest` stays the newest): plans that await a decision, with the approvals already given;
   * runs a crash interrupted are restarted where they stopped (or marked abandoned). Decided plans are not brought
   * back to be decided, and never run again. Returns the sessions that await a decision.
   */
  async restore(opts: RestoreOptions & { limit?: number } = {}): Promise<IncidentSession[]> {
    return restoreIncidents(this.restoreContext(), opts.limit ?? 50, opts);
  }

  /** A worker's job: the investigation of an incident serve opened and queued (see runQueuedIncident). */
  async runQueued(incidentId: string): Promise<QueuedOutcome> {
    return this.counted(
      () => runQueuedIncident(this.restoreContext(), incidentId),
      // a duplicate job or a vanished incident investigated nothing
      (outcome) => (outcome === 'settled' || outcome === 'missing' ? null : this.outcomeOf(this.sessions.get(incidentId))),
    );
  }

  /**
   * The session of an incident, read back from its suspended run when this process does not hold it: in a cluster
   * a worker investigated it, and the decision arrives here.
   */
  async load(incidentId: string): Promise<IncidentSession | undefined> {
    const held = this.sessions.get(incidentId);
    if (held || !this.deps.dispatch) return held;
    return loadSuspended(this.restoreContext(), incidentId).catch(() => undefined);
  }

  private restoreContext(): RestoreContext {
    return {
      runs: this.runs,
      store: this.deps.store,
      channel: this.deps.channel,
      expertIds: this.deps.experts.map((e) => e.id),
      cmdb: () => this.deps.connectors.cmdb.snapshot(),
      sessions: this.sessions,
      hostFor: (incident) => this.hostFor(incident),
      investigate: (incident) => this.investigate(incident),
      ...(this.deps.dispatch ? { dispatch: this.deps.dispatch } : {}),
    };
  }

  /** An alert landed in a channel. Malformed alerts get a clear reply, never an exception. */
  async handleAlertText(text: string, thread: ThreadRef | null = null): Promise<ActionOutcome> {
    const parsed = parseAlert(text);
    if (!parsed.ok) {
      await this.deps.channel.post(thread, msg.errorMessage(`I could not read that alert: ${parsed.error}`));
      return { ok: false, error: parsed.error };
    }
    const alert = parsed.alerts[0]!;
    return this.handleSignal({ kind: 'alert', alert, receivedAt: this.deps.clock.now() }, thread);
  }

  /**
   * A signal opens an incident, persisted before anything else happens (`onOpened` then lets an adapter acknowledge
   * the delivery, and de-duplication register it), and investigates it in this process.
   */
  async handleSignal(signal: Signal, thread: ThreadRef | null = null, opts: { onOpened?: (incident: Incident) => void } = {}): Promise<ActionOutcome> {
    return this.investigateOpened(await this.open(signal, thread, opts));
  }

  /**
   * As handleSignal, except that in cluster mode (a `dispatch`) the investigation is handed to the job queue once
   * the incident is open, for a worker to run: the outcome is then `queued`.
   */
  async acceptSignal(signal: Signal, thread: ThreadRef | null = null, opts: { onOpened?: (incident: Incident) => void } = {}): Promise<SignalOutcome> {
    const incident = await this.open(signal, thread, opts);
    if (!this.deps.dispatch) return this.investigateOpened(incident);
    // a crash before the job is queued leaves the incident stored and never investigated: restore() queues it again
    await this.deps.dispatch(incident);
    return { ok: true, queued: incident };
  }

  private async open(signal: Signal, thread: ThreadRef | null, opts: { onOpened?: (incident: Incident) => void }): Promise<Incident> {
    const cmdb = await this.deps.connectors.cmdb.snapshot();
    const root = await this.deps.channel.post(thread, { text: signal.kind === 'alert' ? `🚨 ${signal.alert.name}` : signal.text });
    const threadRef: ThreadRef = { channel: this.deps.channel.name, threadId: root.threadId };
    const incident = openIncident(signal, threadRef, cmdb.services.map((s) => s.name));
    await this.deps.store.put(incident.id, 'incident', incident);
    opts.onOpened?.(incident);
    await this.deps.channel.post(threadRef, msg.alertReceivedMessage(incident));
    return incident;
  }

  private async investigateOpened(incident: Incident): Promise<ActionOutcome> {
    try {
      const session = await this.counted(() => this.investigate(incident), (done) => this.outcomeOf(done));
      return { ok: true, session };
    } catch (err) {
      const error = `investigation failed: ${(err as Error).message}`;
      await this.deps.channel.post(incident.thread, msg.errorMessage(error));
      return { ok: false, error };
    }
  }

  /** Runs an investigation counted on /metrics: in progress meanwhile, then its outcome (null: none) and duration. */
  private async counted<T>(work: () => Promise<T>, outcome: (done: T) => InvestigationOutcome | null): Promise<T> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    metrics.queueDepth(++this.investigating);
    try {
      const done = await work();
      const o = outcome(done);
      if (o) metrics.investigationFinished(o, seconds());
      return done;
    } catch (err) {
      metrics.investigationFinished('failed', seconds());
      throw err;
    } finally {
      metrics.queueDepth(--this.investigating);
    }
  }

  private outcomeOf(session: IncidentSession | undefined): InvestigationOutcome {
    return session && session.result.ranked.length > 0 ? 'diagnosed' : 'inconclusive';
  }

  /**
   * Starts the incident's lifecycle run; it returns once the plan awaits a decision (the approval step suspends) or
   * there is nothing to decide. An earlier run of the same incident still waiting on a decision is superseded.
   */
  private async investigate(incident: Incident): Promise<IncidentSession> {
    const earlier = this.sessions.get(incident.id)?.runId;
    const started = await this.runs.start(incident, this.hostFor(incident));
    if (earlier && earlier !== started.runId && (await this.runs.get(earlier))?.status === 'suspended') await this.runs.cancel(earlier).catch(() => undefined);
    const session = this.sessions.get(incident.id);
    if (started.status === 'failed' || session?.runId !== started.runId) {
      throw new InvestigationError(`investigation of ${incident.id} did not finish: ${started.error ?? started.status}`);
    }
    return session;
  }

  /** The investigation's result, posted and kept: ranking, reflection, explanation, report, plan (the conclude step). */
  private async conclude(runId: string, result: InvestigationResult): Promise<IncidentSession> {
    const { channel, store } = this.deps;
    const incident = result.incident;
    const thread = incident.thread;
    const sources = this.deps.dataSources?.() ?? null;
    await channel.post(thread, msg.rankingMessage(result.ranked, sources ? missingSignals(sources) : []));
    await channel.post(thread, msg.reflectionMessage(result.reflection));
    const citations = await citeInThread(this.deps.knowledge, channel, store, incident, result);
    const diagnosed: Incident = { ...incident, status: result.ranked.length > 0 ? 'diagnosed' : 'investigating' };
    const draft: Omit<IncidentSession, 'report'> = {
      runId,
      incident: diagnosed,
      result: { ...result, incident: diagnosed },
      approval: null,
      execution: null,
      verification: null,
      ...(citations.length > 0 ? { citations } : {}),
    };
    await this.explain(draft);
    const session: IncidentSession = { ...draft, report: await this.writeReport(draft) };
    await Promise.all([
      store.put(incident.id, 'incident', diagnosed),
      store.put(incident.id, 'findings', result.findings),
      store.put(incident.id, 'hypotheses', result.ranked),
      store.put(incident.id, 'reflection', result.reflection),
      store.put(incident.id, 'report', session.report),
      ...(result.plan ? [store.put(incident.id, 'plan', result.plan)] : []),
    ]);
    await channel.post(thread, msg.reportMessage(session.report));
    if (result.planNotes && result.planNotes.length > 0) await channel.post(thread, msg.planNotesMessage(result.planNotes));
    if (result.plan) {
      await store.appendAudit({ type: 'proposed', incidentId: incident.id, planId: result.plan.id, planHash: result.plan.hash, actor: 'sre-copilot', at: this.deps.clock.now(), detail: result.plan.title });
      await channel.post(thread, msg.planMessage(result.plan));
      const script = scriptsMessage(result.plan);
      if (script) await channel.post(thread, script);
    }
    this.sessions.set(incident.id, session);
    pruneSessions(this.sessions, (id) => this.busy.has(id), this.deps.sessionLimits ?? DEFAULT_SESSION_LIMITS);
    return session;
  }

  /**
   * What a run of this incident reads and acts through: this copilot's connectors, experts, thread, executor and
   * sessions. One per run, so that its progress message follows this incident's experts only.
   */
  private hostFor(incident: Incident): IncidentHost {
    const deps = this.deps;
    const channel = deps.channel;
    const thread = incident.thread;
    const progress = new ProgressTracker(channel, thread, deps.experts);
    let started: Promise<void> | null = null;
    const ops = () => this.ops();
    return {
      connectors: deps.connectors,
      experts: deps.experts,
      // the platform's list (SLACK_APPROVERS, DISCORD_APPROVERS), else SRE_COPILOT_APPROVERS; per-risk lists override both (approval.ts)
      approvers: deps.approvers?.length ? deps.approvers : deps.config.approvers,
      now: () => deps.clock.now(),
      runbooks: deps.runbooks,
      ...(deps.scriptWriters ? { scriptWriters: deps.scriptWriters } : {}),
      listener: {
        // the experts start together: the first posts the progress message, which the others then update
        onExpertStart: async (e) => {
          await (started ??= progress.start());
          await progress.mark(e.id, 'running');
        },
        onExpertDone: async (o) => {
          await progress.mark(o.expert, o.error ? 'failed' : 'done', o.findings.length);
          const message = o.error ? msg.errorMessage(`${o.name} could not finish: ${o.error}`) : msg.findingsMessage(o.name, o.findings);
          // a run resumed after its process died redoes a step whose findings were posted but not yet recorded: the
          // same message in the same thread is posted once, whichever process gets there first
          if (await deps.store.claim(`posted:${incident.id}:${digestOf(message.text)}`, `${hostname()}:${process.pid}`)) await channel.post(thread, message);
        },
      },
      conclude: (runId, result) => this.conclude(runId, result),
      session: (id) => this.sessions.get(id),
      settle: (session, request, pending) => settleDecision(ops(), session, request, pending),
      execute: (session, coApprovals) => runApprovedPlan(ops(), session, coApprovals),
      executionInterrupted: (session) => noteInterruptedExecution(ops(), session),
      finish: (session) => finishRemediation(ops(), session),
    };
  }

  /**
   * An approver decided on the proposed plan: the run's approval step is resumed with the decision. An approval
   * that completes the plan's approvals executes it, then recovery is verified on fresh telemetry; a first approval
   * of a high-risk plan leaves the step waiting for the second. A plan already settled is refused (and audited).
   */
  decide(incidentId: string, actor: string, decision: 'approved' | 'rejected'): Promise<ActionOutcome> {
    return this.holding(incidentId, () => this.decideNow(incidentId, actor, decision));
  }

  private async decideNow(incidentId: string, actor: string, decision: 'approved' | 'rejected'): Promise<ActionOutcome> {
    const session = this.sessions.get(incidentId);
    if (!session?.result.plan) return { ok: false, error: `no plan awaits a decision for ${incidentId}` };
    if (!session.runId) return { ok: false, error: `no run carries ${incidentId}` };
    // settled already: the gate refuses (a plan is decided once), and the refusal is audited
    if (session.approval) {
      const again = await settleDecision(this.ops(), session, { actor, decision }, session.approvals ?? []);
      return { ok: false, error: again.settled ? `the plan of ${incidentId} was already decided` : (again.refused ?? 'refused') };
    }
    let outcome: Awaited<ReturnType<LifecycleRuns['resume']>>;
    try {
      outcome = await this.runs.resume(session.runId, APPROVAL, { actor, decision }, this.hostFor(session.incident));
    } catch (err) {
      // another decision was taken first (a double click), or the run no longer waits on one
      return { ok: false, error: `no decision is awaited on ${incidentId} right now: ${(err as Error).message}` };
    }
    if (outcome.status === 'failed') {
      const error = `the fix of ${incidentId} could not be carried through: ${outcome.error ?? 'a step failed'}`;
      await this.deps.channel.post(session.incident.thread, msg.errorMessage(error));
      return { ok: false, error };
    }
    const waiting = PendingApprovalSchema.safeParse(outcome.suspendPayload?.[APPROVAL]);
    if (outcome.status === 'suspended' && waiting.success && waiting.data.refused) return { ok: false, error: waiting.data.refused };
    // a fix that ran and was verified is what the next similar incident should hear about
    if (session.verification) await learnFrom(this.deps.knowledge, this.deps.store, session);
    return { ok: true, session };
  }

  /**
   * A person states the incident's true cause in its thread ("root cause was …"): the knowledge base learns the
   * incident with their words as its cause, replacing what it learned before.
   */
  async recordCause(incidentId: string, cause: string, actor: string): Promise<ActionOutcome> {
    const session = await this.load(incidentId);
    if (!session) return { ok: false, error: `${incidentId} is not held here any more; its cause can be recorded while it is open` };
    const learned = await learnFrom(this.deps.knowledge, this.deps.store, session, { text: cause, by: actor });
    if (!learned) return { ok: false, error: 'the knowledge base is not available, so it was not learned' };
    return { ok: true, session };
  }

  /** A generated bash script replaces the pending proposal as a high-risk plan (see proposeScriptPlan). */
  async proposeScript(incidentId: string, input: { target: string; script: string; description: string; actor: string }): Promise<ActionOutcome> {
    const session = this.sessions.get(incidentId);
    if (!session) return { ok: false, error: `no incident ${incidentId}` };
    return this.holding(incidentId, () => proposeScriptPlan(this.ops(), session, input));
  }

  /** What the plan would do now, with pre-checks and the executor's dry run; nothing runs and nothing is decided. */
  async dryRun(incidentId: string): Promise<DryRunOutcome> {
    const session = this.sessions.get(incidentId);
    if (!session?.result.plan) return { ok: false, error: `no plan to dry-run for ${incidentId}` };
    return dryRunPlan(this.ops(), session);
  }

  /** An approver runs the rollback offered after a failed step. */
  async rollback(incidentId: string, actor: string): Promise<ActionOutcome> {
    const session = this.sessions.get(incidentId);
    if (!session?.result.plan) return { ok: false, error: `no plan to roll back for ${incidentId}` };
    return this.holding(incidentId, () => rollbackPlan(this.ops(), session, actor));
  }

  /** Runs `work` on an incident with its session kept in memory until it is done (see pruneSessions). */
  private async holding<T>(incidentId: string, work: () => Promise<T>): Promise<T> {
    this.busy.set(incidentId, (this.busy.get(incidentId) ?? 0) + 1);
    try {
      return await work();
    } finally {
      const left = this.busy.get(incidentId)! - 1;
      if (left > 0) this.busy.set(incidentId, left);
      else this.busy.delete(incidentId);
    }
  }

  private ops(): RemediationOps {
    return { deps: this.deps, policy: this.approvalPolicy(), writeReport: (s) => this.writeReport(s) };
  }

  private approvalPolicy(): ApprovalPolicy {
    const { approversByRisk, planTtlMinutes } = this.deps.config;
    return { ...(approversByRisk ? { approvers: approversByRisk } : {}), ttlMinutes: planTtlMinutes ?? 60 };
  }

  /** The LLM's explanation, when one is configured; the deterministic diagnosis stands either way. */
  private async explain(session: Omit<IncidentSession, 'report'>): Promise<void> {
    const narrator = this.deps.narrator;
    if (!narrator || session.result.ranked.length === 0) return;
    const reply = await narrator.explain({ incident: session.incident, ranked: session.result.ranked, reflection: session.result.reflection, findings: session.result.findings });
    if (reply.ok) {
      session.explanation = { text: reply.text, author: narrator.label };
      await this.deps.channel.post(session.incident.thread, msg.explanationMessage(reply.text, narrator.label));
    } else {
      await this.deps.channel.post(session.incident.thread, { text: `(No explanation from ${narrator.label}: ${reply.reason}. The diagnosis above stands.)` });
    }
  }

  private writeReport(session: Omit<IncidentSession, 'report'>): Promise<Report> {
    return writeIncidentReport({
      session,
      connectors: this.deps.connectors,
      runbooks: this.deps.runbooks,
      dir: path.join(this.deps.config.home, 'reports', session.incident.id),
      author: this.deps.author,
      now: this.deps.clock.now(),
      dataSources: this.deps.dataSources?.() ?? null,
    });
  }
}
export type { ActionOutcome, Clock, CopilotDeps, IncidentSession } from './types.js';

const digestOf = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 32);
