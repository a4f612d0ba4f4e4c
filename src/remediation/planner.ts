import { createHash } from 'node:crypto';
import type { Finding, FaultKind, Hypothesis } from '../model/evidence.js';
import type { Incident } from '../model/incident.js';
import type { PlanStep, RemediationPlan, VerificationTarget } from '../model/remediation.js';
import type { Cmdb } from '../model/telemetry.js';
import { parseLink } from '../rca/graph.js';
import { ACTIONS, maxRisk } from './actions.js';
import { validateScript } from './scripts.js';

/**
 * The deterministic remediation planner: fault kind → a typed plan of registered actions. Nothing from alert or log
 * text reaches a step: targets come from the ranked hypothesis (a CMDB component) and parameters from the CMDB.
 */
type StepDraft = Omit<PlanStep, 'id' | 'description' | 'rollback'>;

function draftSteps(h: Hypothesis, cmdb: Cmdb): StepDraft[] {
  const lastChange = (kind: 'deploy' | 'config') =>
    [...cmdb.changes].filter((c) => c.target === h.component && c.kind === kind && c.ts <= h.onsetMs + 5 * 60_000).sort((a, b) => b.ts - a.ts)[0];
  switch (h.kind) {
    case 'cpu_saturation':
      return [{ action: 'scale_out', target: h.component, params: { addReplicas: 2 } }];
    case 'memory_leak':
      return [{ action: 'restart_service', target: h.component, params: { strategy: 'rolling' } }];
    case 'disk_full':
      return [{ action: 'free_disk', target: h.component, params: { paths: 'rotated logs, /tmp' } }];
    case 'network_latency':
      return [{ action: 'failover', target: h.component, params: { to: 'the route through the other zone' } }];
    case 'db_connection_exhaustion':
      return [{ action: 'kill_slow_queries', target: h.component, params: { olderThanSeconds: 30 } }];
    case 'bad_deploy': {
      const deploy = lastChange('deploy');
      return [
        {
          action: 'rollback_deploy',
          target: h.component,
          params: { ...(deploy?.from ? { toVersion: deploy.from } : {}), ...(deploy?.to ? { fromVersion: deploy.to } : {}) },
        },
      ];
    }
    case 'config_change': {
      const change = lastChange('config');
      return [{ action: 'revert_config', target: h.component, params: change ? { changeId: change.id } : {} }];
    }
    case 'third_party_timeout':
      return [{ action: 'failover', target: h.component, params: { to: 'the backup acquirer' } }];
    case 'cache_outage':
      return [{ action: 'restart_service', target: h.component, params: { strategy: 'rolling' } }];
  }
}

/** Which metrics must come back, and where: the cause itself (or what it serves) and the alerted symptom. */
export function verificationTargets(h: Hypothesis, incident: Incident, cmdb: Cmdb): VerificationTarget[] {
  const targets: VerificationTarget[] = [];
  const add = (entity: string, metric: string) => {
    if (!targets.some((t) => t.entity === entity && t.metric === metric)) targets.push({ entity, metric, recoverWithinMinutes: 10 });
  };
  const link = parseLink(h.component);
  const kindOf = (name: string) => cmdb.services.find((s) => s.name === name)?.kind;
  if (link) add(link.caller, 'latency_p95_ms');
  else if (kindOf(h.component) === 'external') {
    for (const caller of cmdb.services.filter((s) => s.dependsOn.includes(h.component))) add(caller.name, 'error_rate');
  } else {
    add(h.component, KEY_METRIC[h.kind]);
    add(h.component, 'error_rate');
  }
  for (const s of incident.services) {
    if (s === 'business') add('business', 'payment_success_rate');
    else if (cmdb.services.some((c) => c.name === s && c.kind !== 'external')) {
      add(s, 'error_rate');
      add(s, 'latency_p95_ms');
    }
  }
  return targets;
}

const KEY_METRIC: Record<FaultKind, string> = {
  cpu_saturation: 'cpu_util',
  memory_leak: 'latency_p95_ms',
  disk_full: 'error_rate',
  network_latency: 'latency_p95_ms',
  db_connection_exhaustion: 'pool_utilization',
  bad_deploy: 'error_rate',
  config_change: 'error_rate',
  third_party_timeout: 'error_rate',
  cache_outage: 'error_rate',
};

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
  now: number;
}

export function planRemediation(input: PlanInput): RemediationPlan {
  const { incident, hypothesis: h, cmdb } = input;
  const steps: PlanStep[] = draftSteps(h, cmdb).map((d, i) => {
    const spec = ACTIONS[d.action];
    return { ...d, id: `step-${i + 1}`, description: spec.title(d.target, d.params), rollback: spec.rollback(d.target, d.params) };
  });
  // The fault kind's runbook from the knowledge base; the component's own CMDB runbook is cited in the report.
  const runbook = `rb-${h.kind.replaceAll('_', '-')}`;
  const draft: Omit<RemediationPlan, 'hash'> = {
    id: `plan-${incident.id}-${h.component}-${h.kind}`.replaceAll('>', ''),
    incidentId: incident.id,
    hypothesisId: h.id,
    title: `${steps.map((s) => s.description).join(', then ')} (${h.kind.replaceAll('_', ' ')} on ${h.component})`,
    steps,
    risk: maxRisk(steps.map((s) => ACTIONS[s.action].risk)),
    approvers: input.approvers,
    verification: verificationTargets(h, incident, cmdb),
    runbook,
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
  const step: PlanStep = {
    id: 'step-1',
    action: 'run_script',
    target: input.target,
    params,
    description: `${ACTIONS.run_script.title(input.target, params)}: ${input.description}`,
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
    verification: input.verification ?? [],
    createdAt: input.now,
  };
  return { ok: true, plan: { ...draft, hash: hashPlan(draft) }, notes: check.notes };
}
