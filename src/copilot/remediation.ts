import { hostname } from 'node:os';
import * as msg from '../chat/messages.js';
import { type Approval, ExecutionSchema, type RemediationPlan } from '../model/remediation.js';
import type { Report } from '../model/report.js';
import { type ApprovalPolicy, decide, eligibleApprovers, requiredApprovals } from '../remediation/approval.js';
import { planScriptRemediation } from '../remediation/planner.js';
import { attempt } from '../remediation/executors/types.js';
import { runPreChecks } from '../remediation/prechecks.js';
import { rollbackOffer, runRollback } from '../remediation/rollback.js';
import { runPlan } from '../remediation/runner.js';
import { scriptsMessage } from '../remediation/scripts.js';
import { type RecoveryWindows, allRecovered, checkTargets, verifyRecovery } from '../remediation/verify.js';
import type { ActionOutcome, CopilotDeps, GateOutcome, IncidentSession } from './types.js';

/** What the copilot's remediation operations need: its dependencies, the approval policy, and its report writer. */
export interface RemediationOps {
  deps: CopilotDeps;
  policy: ApprovalPolicy;
  writeReport(session: Omit<IncidentSession, 'report'>): Promise<Report>;
}

export type DryRunOutcome =
  | { ok: true; steps: { stepId: string; ok: boolean; output: string; preChecks: { kind: string; ok: boolean; detail: string }[] }[] }
  | { ok: false; error: string };

/** Whether `actor` may decide on (or roll back) a plan: listed, or in a listed group the chat platform vouches for. */
export async function mayApprove(deps: CopilotDeps, approvers: string[], actor: string): Promise<boolean> {
  if (approvers.includes(actor)) return true;
  return deps.isInApproverGroup ? deps.isInApproverGroup(actor, approvers).catch(() => false) : false;
}

/** A refusal is audited, said in the thread, and returned: `what` names the operation refused (script, rollback). */
export async function refuse(
  deps: CopilotDeps,
  session: IncidentSession,
  actor: string,
  reason: string,
  opts: { plan?: RemediationPlan; what?: string } = {},
): Promise<ActionOutcome> {
  const plan = opts.plan ? { planId: opts.plan.id, planHash: opts.plan.hash } : {};
  await deps.store.appendAudit({ type: 'refused', incidentId: session.incident.id, ...plan, actor, at: deps.clock.now(), detail: opts.what ? `${opts.what}: ${reason}` : reason });
  await deps.channel.post(session.incident.thread, msg.errorMessage(`Refused: ${reason}`));
  return { ok: false, error: reason };
}

const preCheckContext = (ops: RemediationOps, session: IncidentSession) => ({
  cmdb: () => ops.deps.connectors.cmdb.snapshot(),
  metrics: ops.deps.connectors.metrics,
  baseline: session.result.baseline,
  now: ops.deps.clock.now(),
  executor: ops.deps.executor,
});

/**
 * The approval gate for one decision on the incident's plan (policy: remediation/approval.ts). A refusal is audited
 * and said in the thread; an approval or rejection is audited; a first approval of a high-risk plan is kept as
 * pending (`approvals`); the decision that settles the plan is kept as `session.approval`.
 */
export async function settleDecision(
  ops: RemediationOps,
  session: IncidentSession,
  request: { actor: string; decision: 'approved' | 'rejected' },
  pending: Approval[],
): Promise<GateOutcome> {
  const { store, channel, clock } = ops.deps;
  const plan = session.result.plan!;
  const { actor, decision } = request;
  const memberOfApprovers = await mayApprove(ops.deps, eligibleApprovers(plan, ops.policy), actor);
  const verdict = decide(plan, actor, decision, { previous: session.approval, pending, now: clock.now(), memberOfApprovers, policy: ops.policy });
  if (!verdict.ok) {
    await refuse(ops.deps, session, actor, verdict.reason, { plan });
    return { settled: false, approvals: pending, refused: verdict.reason };
  }
  await store.appendAudit({ type: decision, incidentId: session.incident.id, planId: plan.id, planHash: plan.hash, actor, at: verdict.approval.at, detail: plan.title });
  if (!verdict.complete) {
    session.approvals = [...pending, verdict.approval];
    await channel.post(session.incident.thread, {
      text: `👍 Approved by ${actor} (${session.approvals.length} of ${requiredApprovals(plan)}). This ${plan.risk}-risk plan needs a second, different approver before it runs.`,
    });
    return { settled: false, approvals: session.approvals };
  }
  session.approval = verdict.approval;
  if (decision === 'rejected') await channel.post(session.incident.thread, { text: `Plan rejected by ${actor}; nothing was executed.` });
  return { settled: true, approval: verdict.approval, coApprovals: pending };
}

/**
 * Runs a plan whose approvals are complete: step by step, each after its pre-checks; every step's outcome audited
 * and the execution kept. `finishRemediation` then verifies it and offers the rollback when due.
 */
export async function runApprovedPlan(ops: RemediationOps, session: IncidentSession, coApprovals: Approval[]): Promise<void> {
  const { store, channel, clock, executor } = ops.deps;
  const plan = session.result.plan!;
  const actor = session.approval?.actor ?? 'nobody';
  const incidentId = session.incident.id;
  const thread = session.incident.thread;
  // one conditional write in the shared store: of all the processes (or copilots) that reach this point for this exact
  // plan, one executes it; the others say so and do nothing
  if (!(await store.claim(`execute:${plan.id}:${plan.hash}`, `${hostname()}:${process.pid}:${actor}`))) {
    await channel.post(thread, { text: `⏭ ${plan.title}: another process already took this approved plan for execution; it is not run twice.` });
    return;
  }
  await channel.post(thread, { text: `✅ Approved by ${actor}. Executing ${plan.steps.length} step(s) with the ${executor.name} executor, each after its pre-checks…` });
  const execution = await runPlan({
    plan,
    approval: session.approval,
    coApprovals,
    executor,
    actor,
    now: () => clock.now(),
    preChecks: (step) => runPreChecks(step, preCheckContext(ops, session)),
    recoveredAfter: async (step) => {
      const minutes = Math.max(...step.verification.map((v) => v.recoverWithinMinutes));
      await channel.post(thread, { text: `⏸ ${step.id} is a rung of an escalation ladder: waiting ${minutes} minutes, then re-reading its metrics before the next step…` });
      await clock.wait(minutes);
      const checks = await checkTargets(step.verification, ops.deps.connectors.metrics, windowsNow(ops, session));
      const recovered = allRecovered(checks);
      const detail = checks.map((c) => `${c.entity} ${c.metric} ${c.recovered ? 'back to baseline' : 'still off'}`).join(', ') || 'no telemetry to judge by';
      await channel.post(thread, { text: recovered ? `✅ After ${step.id}: ${detail}. The remaining steps are not needed.` : `↪ After ${step.id}: ${detail}. Going on with the next step.` });
      return { recovered, detail };
    },
  });
  session.execution = execution;
  session.fixedAtMs = execution.finishedAt;
  for (const step of execution.steps) {
    const type = step.status === 'failed' ? 'step_failed' : 'executed';
    if (step.status !== 'skipped') await store.appendAudit({ type, incidentId, planId: plan.id, planHash: plan.hash, actor, at: execution.finishedAt, detail: `${step.stepId}: ${step.output}` });
  }
  await store.put(incidentId, 'execution', execution);
  await channel.post(thread, msg.executionMessage(execution, plan));
}

/**
 * After a restart in the middle of a fix: whatever ran is not run again. The execution is taken from the records
 * when it was kept before the restart; otherwise the thread is told that steps may have run, and recovery is
 * checked next either way.
 */
export async function noteInterruptedExecution(ops: RemediationOps, session: IncidentSession): Promise<void> {
  const { store, channel } = ops.deps;
  const plan = session.result.plan!;
  const kept = ExecutionSchema.safeParse(await store.get(session.incident.id, 'execution'));
  if (kept.success && kept.data.planId === plan.id && kept.data.startedAt >= (session.approval?.at ?? Infinity)) {
    session.execution = kept.data;
    session.fixedAtMs = kept.data.finishedAt;
    return;
  }
  await channel.post(session.incident.thread, {
    text: `⚠️ sre-copilot restarted while the approved fix "${plan.title}" was running. It is not run again: some of its steps may have run. Checking recovery now; the audit log has what was recorded.`,
  });
}

/**
 * The end of a remediation: a successful run (or one a restart interrupted before its outcome was kept) is verified
 * on fresh telemetry; a failed step, or a fix that ran but did not help, gets the rollback offer; the report is
 * rewritten with the outcome.
 */
export async function finishRemediation(ops: RemediationOps, session: IncidentSession): Promise<void> {
  const { store, channel } = ops.deps;
  const plan = session.result.plan!;
  const thread = session.incident.thread;
  const execution = session.execution;
  if (!execution || execution.status === 'succeeded') await verifySession(ops, session);
  const offer = execution ? rollbackOffer(plan, execution, session.verification) : null;
  if (offer) await channel.post(thread, msg.rollbackOfferMessage(offer, plan));
  session.report = await ops.writeReport(session);
  await store.put(session.incident.id, 'report', session.report);
  await channel.post(thread, msg.reportMessage(session.report));
}

/**
 * After the longest recovery window of the plan, re-reads telemetry and judges every verification target, the
 * plan's and each step's; posts recovered / not recovered and audits it.
 */
export async function verifySession(ops: RemediationOps, session: IncidentSession): Promise<void> {
  const plan = session.result.plan!;
  const { clock, channel, store } = ops.deps;
  const windows = [...plan.verification, ...plan.steps.flatMap((s) => s.verification)].map((v) => v.recoverWithinMinutes);
  const waitMinutes = Math.max(...windows, 5);
  await channel.post(session.incident.thread, { text: `⏳ Waiting ${waitMinutes} minutes, then re-reading telemetry to verify recovery…` });
  await clock.wait(waitMinutes);
  const now = clock.now();
  const verification = await verifyRecovery({ plan, metrics: ops.deps.connectors.metrics, now, ...windowsNow(ops, session) });
  session.verification = verification;
  session.incident = { ...session.incident, status: verification.recovered ? 'resolved' : 'unresolved' };
  const perStep = (verification.steps ?? []).map((s) => `${s.stepId} ${s.recovered ? 'recovered' : 'not recovered'}`).join(', ');
  await store.appendAudit({
    type: 'verified',
    incidentId: session.incident.id,
    planId: plan.id,
    planHash: plan.hash,
    actor: 'sre-copilot',
    at: now,
    detail: `${verification.recovered ? 'recovered' : 'not recovered'}${perStep ? ` (${perStep})` : ''}`,
  });
  await Promise.all([store.put(session.incident.id, 'verification', verification), store.put(session.incident.id, 'incident', session.incident)]);
  await channel.post(session.incident.thread, msg.verificationMessage(verification));
}

/** The windows recovery is judged on, now: the incident's baseline, its last minutes, and the last three minutes. */
function windowsNow(ops: RemediationOps, session: IncidentSession): RecoveryWindows {
  const now = ops.deps.clock.now();
  return {
    baseline: session.result.baseline,
    during: { fromMs: session.incident.window.toMs - 5 * 60_000, toMs: session.incident.window.toMs + 60_000 },
    after: { fromMs: now - 3 * 60_000, toMs: now + 60_000 },
  };
}

/**
 * A generated bash script, for when no registered action fits the diagnosis. The script is validated at planning
 * time (deny-list, `bash -n`, shellcheck when installed): a blocked one is refused with the reason and audited; a
 * valid one replaces the pending proposal as a high-risk plan, shown in full, that needs two distinct approvers.
 */
export async function proposeScriptPlan(
  ops: RemediationOps,
  session: IncidentSession,
  input: { target: string; script: string; description: string; actor: string },
): Promise<ActionOutcome> {
  const { store, channel, clock } = ops.deps;
  const incidentId = session.incident.id;
  const thread = session.incident.thread;
  const refused = (reason: string) => refuse(ops.deps, session, input.actor, reason, { what: 'script' });
  if (session.approval || (session.approvals?.length ?? 0) > 0 || session.execution) {
    return refused('the current plan was already decided or approved; a script cannot replace it');
  }
  const planned = await planScriptRemediation({
    incident: session.incident,
    hypothesisId: session.result.ranked[0]?.id ?? 'none',
    target: input.target,
    script: input.script,
    description: input.description,
    approvers: ops.deps.approvers?.length ? ops.deps.approvers : ops.deps.config.approvers,
    verification: session.result.plan?.verification ?? [],
    now: clock.now(),
  });
  if (!planned.ok) return refused(planned.reason);
  const plan = planned.plan;
  session.result = { ...session.result, plan };
  await store.put(incidentId, 'plan', plan);
  await store.appendAudit({ type: 'proposed', incidentId, planId: plan.id, planHash: plan.hash, actor: input.actor, at: clock.now(), detail: plan.title });
  await channel.post(thread, msg.planMessage(plan));
  const shown = scriptsMessage(plan);
  if (shown) await channel.post(thread, shown);
  return { ok: true, session };
}

/**
 * What the plan would do now, step by step: its pre-checks on fresh reads and the executor's dry run. Nothing is
 * executed and nothing is decided, so the plan still awaits its approval afterwards.
 */
export async function dryRunPlan(ops: RemediationOps, session: IncidentSession): Promise<DryRunOutcome> {
  const plan = session.result.plan!;
  const { executor, channel } = ops.deps;
  const steps: Extract<DryRunOutcome, { ok: true }>['steps'] = [];
  for (const step of plan.steps) {
    // the dry_run pre-check would only repeat the dry run below
    const preChecks = await runPreChecks({ ...step, preChecks: step.preChecks.filter((c) => c.kind !== 'dry_run') }, preCheckContext(ops, session));
    const outcome = await attempt(() => executor.execute(step, { dryRun: true }));
    steps.push({ stepId: step.id, ok: outcome.ok && preChecks.every((c) => c.ok), output: outcome.output, preChecks });
  }
  const lines = steps.map((s) => {
    const failed = s.preChecks.filter((c) => !c.ok);
    const checks = failed.length ? `\n   ⚠️ pre-check would fail: ${failed.map((c) => c.detail).join('; ')}` : s.preChecks.length ? `\n   pre-checks pass now` : '';
    return `${s.ok ? '•' : '❌'} ${s.stepId}: ${s.output}${checks}`;
  });
  await channel.post(session.incident.thread, { text: `🧪 Dry run with the ${executor.name} executor (nothing was executed):\n${lines.join('\n')}` });
  return { ok: true, steps };
}

/**
 * An approver runs the rollback offered after a failed step: the steps that succeeded are undone, last first,
 * with the executor's `rollback`. Audited as `rolled_back` (or `refused`).
 */
export async function rollbackPlan(ops: RemediationOps, session: IncidentSession, actor: string): Promise<ActionOutcome> {
  const plan = session.result.plan!;
  const incidentId = session.incident.id;
  const { store, channel, clock, executor } = ops.deps;
  const thread = session.incident.thread;
  const refused = (reason: string) => refuse(ops.deps, session, actor, reason, { plan, what: 'rollback' });
  const approvers = eligibleApprovers(plan, ops.policy);
  if (!(await mayApprove(ops.deps, approvers, actor))) return refused(`${actor} may not roll back this plan; approvers: ${approvers.join(', ')}`);
  const offer = session.execution ? rollbackOffer(plan, session.execution, session.verification) : null;
  if (!offer) return refused('no step failed and recovery was not refuted, so no rollback is on offer');
  if (session.rollback) return refused(`the rollback was already run by ${session.rollback.actor}`);
  if (offer.undo.length === 0) return refused('no earlier step succeeded; there is nothing to roll back');
  if (!executor.rollback) return refused(`the ${executor.name} executor cannot undo steps; undo them by hand: ${offer.undo.map((s) => s.rollback ?? s.id).join('; ')}`);
  const result = await runRollback({ plan, offer, executor, actor, now: () => clock.now() });
  session.rollback = result;
  for (const step of result.steps) {
    const type = step.ok ? 'rolled_back' : 'step_failed';
    await store.appendAudit({ type, incidentId, planId: plan.id, planHash: plan.hash, actor, at: result.at, detail: `rollback ${step.stepId}: ${step.output}` });
  }
  const lines = result.steps.map((s) => `${s.ok ? '↩️' : '❌'} ${s.stepId}: ${s.output}`);
  await channel.post(thread, { text: `${result.status === 'succeeded' ? '↩️ Rolled back' : '❌ Rollback failed'} (run by ${actor})\n${lines.join('\n')}` });
  return { ok: true, session };
}
