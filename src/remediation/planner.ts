import { createHash } from 'node:crypto';
import type { Finding, FaultKind, Hypothesis } from '../model/evidence.js';
import type { Incident } from '../model/incident.js';
import { type Runbook, runbooksFor } from '../knowledge/runbooks.js';
import type { ActionKind, PlanStep, PreCheck, RemediationPlan, Risk, VerificationTarget } from '../model/remediation.js';
import { type ChangeEvent, type Cmdb, undoneByRemediation } from '../model/telemetry.js';
import { parseLink } from '../rca/graph.js';
import { ACTIONS, type TargetKind, maxRisk, whyUnfit } from './actions.js';
import { validateScript } from './scripts.js';
import { dedupeTargets } from './verify.js';

/**
 * The deterministic remediation planner: the top hypothesis and its runbook → a typed plan of registered actions.
 * Nothing from alert or log text reaches a step: targets come from the ranked hypothesis (a CMDB component),
 * actions and their fixed parameters from reviewed runbooks, and the rest (versions, change ids) from the CMDB.
 */
export interface StepDraft {
  action: ActionKind;
  params: PlanStep['params'];
  risk?: Risk;
  /** metric names on the target that must recover after the step */
  verify?: string[];
  within?: number;
  stopIfRecovered?: boolean;
}

/** Used when no runbook for the fault kind lists remediation steps. */
const DEFAULT_STEPS: Record<FaultKind, StepDraft[]> = {
  cpu_saturation: [{ action: 'scale_out', params: { addReplicas: 2 }, verify: ['cpu_util', 'error_rate'] }],
  memory_leak: [{ action: 'restart_service', params: { strategy: 'rolling' }, verify: ['latency_p95_ms', 'error_rate'] }],
  disk_full: [{ action: 'free_disk', params: { paths: 'rotated logs, /tmp' }, verify: ['error_rate'] }],
  network_latency: [{ action: 'failover', params: { to: 'the route through the other zone' }, verify: ['latency_p95_ms'] }],
  db_connection_exhaustion: [{ action: 'kill_slow_queries', params: { olderThanSeconds: 30 }, verify: ['pool_utilization', 'error_rate'] }],
  bad_deploy: [{ action: 'rollback_deploy', params: {}, verify: ['error_rate'] }],
  config_change: [{ action: 'revert_config', params: {}, verify: ['error_rate'] }],
  third_party_timeout: [{ action: 'failover', params: { to: 'the backup acquirer' }, verify: ['error_rate'] }],
  cache_outage: [{ action: 'restart_service', params: { strategy: 'rolling' }, verify: ['error_rate'] }],
};

/** The first matching runbook (the component's own first) that lists remediation steps, else the defaults. */
export function stepDrafts(h: Hypothesis, cmdb: Cmdb, runbooks: Runbook[] = []): { drafts: StepDraft[]; runbook?: string } {
  const own = cmdb.services.find((s) => s.name === h.component)?.runbook;
  const rb = runbooksFor(runbooks, h.kind, own, h.component).find((r) => r.faults.includes(h.kind) && (r.remediation?.length ?? 0) > 0);
  if (rb) return { drafts: rb.remediation!.map((r) => ({ ...r })), runbook: rb.id };
  return { drafts: DEFAULT_STEPS[h.kind] };
}

/**
 * A step the change history forbids: it would bring back what a remediation (the copilot's own, or other incident
 * automation's) took away, or undo again what one already undid. No script is offered instead: it would do the same.
 */
export class RefusedByHistoryError extends Error {
  override name = 'RefusedByHistoryError';
}

const isRemediation = (c: ChangeEvent) => c.origin === 'remediation';
const clock = (ms: number) => new Date(ms).toISOString().slice(11, 16);
const byWhom = (r: ChangeEvent) => `${r.author} at ${clock(r.ts)}${r.incidentId ? ` (${r.incidentId})` : ''}`;

/** The target's changes of one kind, newest first. */
function historyOf(cmdb: Cmdb, target: string, kind: ChangeEvent['kind']): ChangeEvent[] {
  return cmdb.changes.filter((c) => c.target === target && c.kind === kind).sort((a, b) => b.ts - a.ts);
}

/** Versions a remediation rolled away from, with the rollback that did: never to be deployed again by a plan. */
export function versionsRemovedByRemediation(cmdb: Cmdb, target: string): Map<string, ChangeEvent> {
  const removed = new Map<string, ChangeEvent>();
  for (const r of historyOf(cmdb, target, 'deploy')) if (isRemediation(r) && r.from !== undefined && !removed.has(r.from)) removed.set(r.from, r);
  return removed;
}

/**
 * What only the CMDB knows: the versions around the last deploy, the last config change. Remediations are not
 * "the last deploy" (rolling back a rollback redeploys the bad version); a change a remediation already undid is not
 * undone twice; and the version to return to skips versions a remediation rolled away from.
 */
function cmdbParams(action: ActionKind, h: Hypothesis, cmdb: Cmdb): PlanStep['params'] {
  const suspects = (kind: 'deploy' | 'config') => historyOf(cmdb, h.component, kind).filter((c) => !isRemediation(c) && c.ts <= h.onsetMs + 5 * 60_000);
  if (action === 'rollback_deploy') {
    const deploys = suspects('deploy');
    const deploy = deploys[0];
    if (!deploy) return {};
    const undo = undoneByRemediation(deploy, cmdb.changes);
    if (undo) throw new RefusedByHistoryError(`the deploy of ${h.component} ${deploy.from ?? '?'} → ${deploy.to} (${deploy.id}) was already rolled back by ${byWhom(undo)}; rolling it back again would redeploy ${undo.from}`);
    // walk back through the deploys: the version each replaced, until one no remediation rolled away from
    const removed = versionsRemovedByRemediation(cmdb, h.component);
    const skipped: string[] = [];
    let toVersion: string | undefined;
    for (const d of deploys) {
      if (d.from === undefined || !removed.has(d.from)) {
        toVersion = d.from;
        break;
      }
      skipped.push(d.from);
    }
    if (toVersion === undefined && skipped.length > 0) {
      throw new RefusedByHistoryError(`the earlier versions of ${h.component} on record (${skipped.join(', ')}) were rolled back by a remediation and no older one is recorded; a rollback would bring one back`);
    }
    return { ...(toVersion ? { toVersion } : {}), ...(deploy.to ? { fromVersion: deploy.to } : {}) };
  }
  if (action === 'revert_config') {
    const change = suspects('config')[0];
    if (!change) return {};
    const undo = undoneByRemediation(change, cmdb.changes);
    if (undo) throw new RefusedByHistoryError(`the configuration change ${change.id} on ${h.component} (${change.description}) was already reverted by ${byWhom(undo)}`);
    return { changeId: change.id };
  }
  return {};
}

/** Refuses a step that would deploy a version a remediation removed, whoever wrote its parameters (CMDB or runbook). */
function refuseRedeploy(action: ActionKind, target: string, params: PlanStep['params'], cmdb: Cmdb): void {
  const removed = versionsRemovedByRemediation(cmdb, target);
  const version = params.toVersion;
  const rollback = typeof version === 'string' ? removed.get(version) : undefined;
  if (rollback) throw new RefusedByHistoryError(`${action} would deploy ${target} ${version}, which ${byWhom(rollback)} rolled back`);
  const latest = historyOf(cmdb, target, 'deploy')[0];
  if (action === 'kubectl' && params.verb === 'rollout_undo' && latest && isRemediation(latest) && latest.from !== undefined) {
    throw new RefusedByHistoryError(`kubectl rollout undo would undo the rollback of ${target} by ${byWhom(latest)} and bring ${latest.from} back`);
  }
}

export function targetKind(component: string, cmdb: Cmdb): TargetKind | undefined {
  if (parseLink(component)) return 'link';
  return cmdb.services.find((s) => s.name === component)?.kind;
}

/** Where a metric "of the target" is read: a link's caller, an external provider's callers, else the target. */
export function metricEntities(component: string, cmdb: Cmdb): string[] {
  const link = parseLink(component);
  if (link) return [link.caller];
  if (targetKind(component, cmdb) === 'external') return cmdb.services.filter((s) => s.dependsOn.includes(component)).map((s) => s.name);
  return [component];
}

/** The alerted symptoms that must come back too: the business KPI, and errors and latency of alerted services. */
export function symptomTargets(incident: Incident, cmdb: Cmdb): VerificationTarget[] {
  const targets: VerificationTarget[] = [];
  for (const s of incident.services) {
    if (s === 'business') targets.push({ entity: 'business', metric: 'payment_success_rate', recoverWithinMinutes: 10 });
    else if (cmdb.services.some((c) => c.name === s && c.kind !== 'external')) {
      targets.push({ entity: s, metric: 'error_rate', recoverWithinMinutes: 10 }, { entity: s, metric: 'latency_p95_ms', recoverWithinMinutes: 10 });
    }
  }
  return targets;
}

/** Which metrics must come back, and where: what each step addresses, then the alerted symptoms. */
export function verificationTargets(h: Hypothesis, incident: Incident, cmdb: Cmdb, runbooks: Runbook[] = []): VerificationTarget[] {
  const steps = stepDrafts(h, cmdb, runbooks).drafts.flatMap((d) => stepVerification(d, h.component, cmdb));
  return dedupeTargets([...steps, ...symptomTargets(incident, cmdb)]);
}

function stepVerification(d: StepDraft, target: string, cmdb: Cmdb): VerificationTarget[] {
  const metrics = d.verify ?? ['error_rate'];
  return dedupeTargets(metricEntities(target, cmdb).flatMap((entity) => metrics.map((metric) => ({ entity, metric, recoverWithinMinutes: d.within ?? 10 }))));
}

function preChecksFor(action: ActionKind, target: string, params: PlanStep['params'], symptoms: VerificationTarget[]): PreCheck[] {
  const checks: PreCheck[] = [];
  const link = parseLink(target);
  for (const component of link ? [link.caller, link.callee] : [target]) checks.push({ kind: 'component_exists', component });
  if (action === 'rollback_deploy' && typeof params.fromVersion === 'string') checks.push({ kind: 'version_still_deployed', component: target, version: params.fromVersion });
  if (symptoms.length > 0) checks.push({ kind: 'still_degraded', targets: symptoms.map(({ entity, metric }) => ({ entity, metric })) });
  checks.push({ kind: 'dry_run' });
  return checks;
}
export function hashPlan(plan: Omit<RemediationPlan, 'hash'>): string {
  const content = { incidentId: plan.incidentId, hypothesisId: plan.hypothesisId, steps: plan.steps, risk: plan.risk, approvers: plan.approvers, verification: plan.verification };
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export interface PlanInput {
  incident: Incident;
  hypothesis: Hypothesis;
  cmdb: Cmdb;
  approvers: string[];
  findings?: Finding[];
  /** runbooks whose `remediation` steps drive the plan (default: the built-in mapping) */
  runbooks?: Runbook[];
  now: number;
}

/** No registered action fits the diagnosis (wrong kind of target, a parameter the CMDB does not have). */
export class NoFittingActionError extends Error {
  override name = 'NoFittingActionError';
}

/**
 * Builds the typed plan; throws NoFittingActionError when a step's action cannot act on the target, and
 * RefusedByHistoryError when a step would bring back what a remediation took away.
 */
export function planRemediation(input: PlanInput): RemediationPlan {
  const { incident, hypothesis: h, cmdb } = input;
  const { drafts, runbook } = stepDrafts(h, cmdb, input.runbooks);
  const kind = targetKind(h.component, cmdb);
  const symptoms = symptomTargets(incident, cmdb);
  const steps: PlanStep[] = drafts.map((d, i) => {
    const params = { ...cmdbParams(d.action, h, cmdb), ...d.params };
    refuseRedeploy(d.action, h.component, params, cmdb);
    const unfit = whyUnfit(d.action, kind, params);
    if (unfit) throw new NoFittingActionError(`${unfit} (${h.kind.replaceAll('_', ' ')} on ${h.component})`);
    const spec = ACTIONS[d.action];
    const verification = stepVerification(d, h.component, cmdb);
    return {
      id: `step-${i + 1}`,
      action: d.action,
      target: h.component,
      params,
      description: spec.title(h.component, params),
      risk: maxRisk([spec.risk, d.risk ?? spec.risk]),
      preChecks: preChecksFor(d.action, h.component, params, dedupeTargets([...verification, ...symptoms])),
      verification,
      // a ladder only makes sense when there is a next step and something to re-check
      ...(d.stopIfRecovered && i < drafts.length - 1 && verification.length > 0 ? { stopIfRecovered: true } : {}),
      rollback: spec.rollback(h.component, params),
    };
  });
  const draft: Omit<RemediationPlan, 'hash'> = {
    id: `plan-${incident.id}-${h.component}-${h.kind}`.replaceAll('>', ''),
    incidentId: incident.id,
    hypothesisId: h.id,
    title: `${steps.map((s) => s.description).join(', then ')} (${h.kind.replaceAll('_', ' ')} on ${h.component})`,
    steps,
    risk: maxRisk(steps.map((s) => s.risk)),
    approvers: input.approvers,
    verification: dedupeTargets([...steps.flatMap((s) => s.verification), ...symptoms]),
    // the runbook whose steps these are; else the fault kind's (the component's own is cited in the report)
    runbook: runbook ?? `rb-${h.kind.replaceAll('_', '-')}`,
    createdAt: input.now,
  };
  return { ...draft, hash: hashPlan(draft) };
}

/**
 * A plan from a generated bash script, for when no registered action fits: the script is validated (deny-list of
 * destructive patterns, `bash -n`, shellcheck when installed) and a blocked script is refused here, at planning time,
 * with the reason. A script step is always high risk (two distinct approvers) and is shown in full.
 */
export async function planScriptRemediation(input: {
  incident: Incident;
  hypothesisId: string;
  target: string;
  script: string;
  description: string;
  approvers: string[];
  verification?: VerificationTarget[];
  now: number;
}): Promise<{ ok: true; plan: RemediationPlan; notes: string[] } | { ok: false; reason: string }> {
  const check = await validateScript(input.script);
  if (!check.ok) return { ok: false, reason: check.reason };
  const params = { script: input.script };
  const verification = input.verification ?? [];
  const step: PlanStep = {
    id: 'step-1',
    action: 'run_script',
    target: input.target,
    params,
    description: `${ACTIONS.run_script.title(input.target, params)}: ${input.description}`,
    risk: 'high',
    preChecks: preChecksFor('run_script', input.target, params, verification),
    verification,
    rollback: ACTIONS.run_script.rollback(input.target, params),
  };
  const draft: Omit<RemediationPlan, 'hash'> = {
    id: `plan-${input.incident.id}-${input.target}-script`.replaceAll('>', ''),
    incidentId: input.incident.id,
    hypothesisId: input.hypothesisId,
    title: step.description,
    steps: [step],
    risk: 'high',
    approvers: input.approvers,
    verification,
    createdAt: input.now,
  };
  return { ok: true, plan: { ...draft, hash: hashPlan(draft) }, notes: check.notes };
}
