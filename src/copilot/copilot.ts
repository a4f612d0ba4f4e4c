import path from 'node:path';
import type { ActionOutcome, CopilotDeps, IncidentSession } from './types.js';
import { parseAlert } from '../alerts/index.js';
import * as msg from '../chat/messages.js';
import { runInvestigation } from '../investigation/run.js';
import type { Incident, Signal, ThreadRef } from '../model/incident.js';
import type { Report } from '../model/report.js';
import { type ApprovalPolicy, decide, eligibleApprovers, requiredApprovals } from '../remediation/approval.js';
import { scriptsMessage } from '../remediation/scripts.js';
import { openIncident } from './incident.js';
import { ProgressTracker } from './progress.js';
import { restorePendingSession } from './restore.js';
import { type DryRunOutcome, type RemediationOps, dryRunPlan, executeApproved, mayApprove, proposeScriptPlan, refuse, rollbackPlan } from './remediation.js';
import { writeIncidentReport } from './reporting.js';

/** The chat-agnostic core: adapters hand it signals and decisions; it investigates, reports, and fixes on approval. */
export class Copilot {
  private readonly sessions = new Map<string, IncidentSession>();
  constructor(private readonly deps: CopilotDeps) {}

  get latest(): IncidentSession | undefined {
    return [...this.sessions.values()].at(-1);
  }

  session(incidentId: string): IncidentSession | undefined {
    return this.sessions.get(incidentId);
  }

  /**
   * After a restart: brings back this channel's recent incidents whose plan still awaits a decision (oldest first, so
   * `latest` stays the newest), with the approvals already given. Decided plans are not restored, so they cannot be
   * decided or run again; a new proposal (the alert firing again) starts afresh.
   */
  async restore(limit = 50): Promise<IncidentSession[]> {
    const ids = (await this.deps.store.listIncidents()).slice(0, limit).reverse();
    const cmdb = await this.deps.connectors.cmdb.snapshot();
    const restored: IncidentSession[] = [];
    for (const id of ids) {
      if (this.sessions.has(id)) continue;
      const session = await restorePendingSession(this.deps.store, id, cmdb);
      if (!session || session.incident.thread.channel !== this.deps.channel.name) continue;
      this.sessions.set(id, session);
      restored.push(session);
    }
    return restored;
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

  async handleSignal(signal: Signal, thread: ThreadRef | null = null): Promise<ActionOutcome> {
    const cmdb = await this.deps.connectors.cmdb.snapshot();
    const root = await this.deps.channel.post(thread, { text: signal.kind === 'alert' ? `🚨 ${signal.alert.name}` : signal.text });
    const threadRef: ThreadRef = { channel: this.deps.channel.name, threadId: root.threadId };
    const incident = openIncident(signal, threadRef, cmdb.services.map((s) => s.name));
    await this.deps.store.put(incident.id, 'incident', incident);
    await this.deps.channel.post(threadRef, msg.alertReceivedMessage(incident));
    try {
      return { ok: true, session: await this.investigate(incident) };
    } catch (err) {
      const error = `investigation failed: ${(err as Error).message}`;
      await this.deps.channel.post(threadRef, msg.errorMessage(error));
      return { ok: false, error };
    }
  }

  private async investigate(incident: Incident): Promise<IncidentSession> {
    const { channel, store } = this.deps;
    const thread = incident.thread;
    const progress = new ProgressTracker(channel, thread, this.deps.experts);
    await progress.start();
    const result = await runInvestigation(
      {
        connectors: this.deps.connectors,
        experts: this.deps.experts,
        approvers: this.deps.approvers ?? this.deps.config.approvers,
        now: () => this.deps.clock.now(),
        runbooks: this.deps.runbooks,
        ...(this.deps.scriptWriters ? { scriptWriters: this.deps.scriptWriters } : {}),
        listener: {
          onExpertStart: (e) => progress.mark(e.id, 'running'),
          onExpertDone: async (o) => {
            await progress.mark(o.expert, o.error ? 'failed' : 'done', o.findings.length);
            await channel.post(thread, o.error ? msg.errorMessage(`${o.name} could not finish: ${o.error}`) : msg.findingsMessage(o.name, o.findings));
          },
        },
      },
      incident,
    );
    await channel.post(thread, msg.rankingMessage(result.ranked));
    await channel.post(thread, msg.reflectionMessage(result.reflection));
    const diagnosed: Incident = { ...incident, status: result.ranked.length > 0 ? 'diagnosed' : 'investigating' };
    const draft: Omit<IncidentSession, 'report'> = { incident: diagnosed, result: { ...result, incident: diagnosed }, approval: null, execution: null, verification: null };
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
    return session;
  }

  /** An approver decided on the proposed plan. Approval executes it, then recovery is verified on fresh telemetry. */
  async decide(incidentId: string, actor: string, decision: 'approved' | 'rejected'): Promise<ActionOutcome> {
    const session = this.sessions.get(incidentId);
    const plan = session?.result.plan;
    if (!session || !plan) return { ok: false, error: `no plan awaits a decision for ${incidentId}` };
    const { store, channel, clock } = this.deps;
    const thread = session.incident.thread;
    const policy = this.approvalPolicy();
    const memberOfApprovers = await mayApprove(this.deps, eligibleApprovers(plan, policy), actor);
    const pending = session.approvals ?? [];
    const verdict = decide(plan, actor, decision, { previous: session.approval, pending, now: clock.now(), memberOfApprovers, policy });
    if (!verdict.ok) return refuse(this.deps, session, actor, verdict.reason, { plan });
    await store.appendAudit({ type: decision, incidentId, planId: plan.id, planHash: plan.hash, actor, at: verdict.approval.at, detail: plan.title });
    if (!verdict.complete) {
      session.approvals = [...pending, verdict.approval];
      const needed = requiredApprovals(plan);
      await channel.post(thread, { text: `👍 Approved by ${actor} (${session.approvals.length} of ${needed}). This ${plan.risk}-risk plan needs a second, different approver before it runs.` });
      return { ok: true, session };
    }
    session.approval = verdict.approval;
    if (decision === 'rejected') {
      await channel.post(thread, { text: `Plan rejected by ${actor}; nothing was executed.` });
      return { ok: true, session };
    }
    await executeApproved(this.ops(), session, actor, pending);
    return { ok: true, session };
  }

  /** A generated bash script replaces the pending proposal as a high-risk plan (see proposeScriptPlan). */
  async proposeScript(incidentId: string, input: { target: string; script: string; description: string; actor: string }): Promise<ActionOutcome> {
    const session = this.sessions.get(incidentId);
    if (!session) return { ok: false, error: `no incident ${incidentId}` };
    return proposeScriptPlan(this.ops(), session, input);
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
    return rollbackPlan(this.ops(), session, actor);
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
    });
  }
}
export type { ActionOutcome, Clock, CopilotDeps, IncidentSession } from './types.js';
