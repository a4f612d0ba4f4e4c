import type { CmdbSource } from '../connectors/types.js';
import { ExecutionSchema, type PlanStep, RemediationPlanSchema } from '../model/remediation.js';
import type { ChangeEvent, Cmdb } from '../model/telemetry.js';
import type { IncidentStore } from '../storage/types.js';

/**
 * The copilot remembers its own actions. Real executors (kubectl, a webhook, a shell) cannot write the CMDB, so a
 * rollback the copilot ran shows up there, if at all, as one more deploy; the next diagnosis would suspect it and
 * "roll back" to the bad version. The audit log and the stored plans know what ran: a CMDB change of the right kind
 * on the step's target while its plan ran is marked as that remediation, and a step that left no trace (a restart)
 * is added as one, so every diagnosis reads the copilot's fixes as context and never as suspects.
 */
export interface OwnAction {
  incidentId: string;
  planId: string;
  step: PlanStep;
  /** when the plan's execution started and finished (epoch ms, the copilot's clock) */
  fromMs: number;
  toMs: number;
  /** who approved it */
  actor: string;
}

/** a CMDB records a change a little after the command that made it; clocks differ by seconds */
const MATCH_SLACK_MS = 2 * 60_000;
const COPILOT = 'sre-copilot';

/** Which kind of change a step leaves in a change log. */
export function changeKindOf(step: Pick<PlanStep, 'action' | 'params'>): ChangeEvent['kind'] {
  if (step.action === 'rollback_deploy' || (step.action === 'kubectl' && step.params.verb === 'rollout_undo')) return 'deploy';
  if (step.action === 'revert_config') return 'config';
  return 'operation';
}

/** The steps the copilot executed successfully, from the audit log ('executed' events) and the stored plans. */
export async function ownActions(store: Pick<IncidentStore, 'listAudit' | 'get'>, opts: OwnActionsOptions = {}): Promise<OwnAction[]> {
  const since = opts.sinceWallMs ?? -Infinity;
  const executed = (await store.listAudit()).filter((e) => e.type === 'executed' && e.planId && (e.recordedAt ?? e.at) >= since);
  const out: OwnAction[] = [];
  for (const incidentId of new Set(executed.map((e) => e.incidentId))) {
    const plan = RemediationPlanSchema.safeParse(await store.get(incidentId, 'plan'));
    const execution = ExecutionSchema.safeParse(await store.get(incidentId, 'execution'));
    // a record that does not parse, or an execution of a plan since replaced, cannot say what ran
    if (!plan.success || !execution.success || execution.data.planId !== plan.data.id) continue;
    for (const result of execution.data.steps) {
      const step = plan.data.steps.find((s) => s.id === result.stepId);
      if (!step || result.status !== 'succeeded') continue;
      out.push({ incidentId, planId: plan.data.id, step, fromMs: execution.data.startedAt, toMs: execution.data.finishedAt, actor: execution.data.actor });
    }
  }
  return out;
}

/**
 * The CMDB with the copilot's own actions marked: the matching change (same target and kind, made while the plan
 * ran) becomes a remediation of that incident and plan; a step without one is added as a remediation change.
 */
export function markOwnActions(cmdb: Cmdb, actions: readonly OwnAction[]): Cmdb {
  const changes = cmdb.changes.map((c) => ({ ...c }));
  const claimed = new Set<ChangeEvent>();
  for (const a of actions) {
    const kind = changeKindOf(a.step);
    const match = changes.find(
      (c) => !claimed.has(c) && c.target === a.step.target && c.kind === kind && c.ts >= a.fromMs - MATCH_SLACK_MS && c.ts <= a.toMs + MATCH_SLACK_MS,
    );
    if (match) {
      claimed.add(match);
      Object.assign(match, { origin: 'remediation', incidentId: match.incidentId ?? a.incidentId, planId: match.planId ?? a.planId });
      continue;
    }
    const { fromVersion, toVersion } = a.step.params;
    const added: ChangeEvent = {
      id: `${a.planId}/${a.step.id}`,
      ts: a.fromMs,
      kind,
      target: a.step.target,
      description: a.step.description,
      ...(kind === 'deploy' && typeof fromVersion === 'string' ? { from: fromVersion } : {}),
      ...(kind === 'deploy' && typeof toVersion === 'string' ? { to: toVersion } : {}),
      author: `${COPILOT} (approved by ${a.actor})`,
      origin: 'remediation',
      incidentId: a.incidentId,
      planId: a.planId,
    };
    claimed.add(added);
    changes.push(added);
  }
  return { ...cmdb, changes: changes.sort((x, y) => x.ts - y.ts) };
}

/** A CMDB source that knows what the copilot itself did (see markOwnActions). */
export interface OwnActionsOptions {
  /**
   * Only actions recorded (wall clock) from this moment on belong to the system being read. The scenario world is
   * generated afresh for every run, so what the copilot did to an earlier run's world is not this world's history.
   */
  sinceWallMs?: number;
}

export function withOwnActions(source: CmdbSource, store: Pick<IncidentStore, 'listAudit' | 'get'>, opts: OwnActionsOptions = {}): CmdbSource {
  return {
    async snapshot() {
      const [cmdb, actions] = await Promise.all([source.snapshot(), ownActions(store, opts)]);
      return actions.length > 0 ? markOwnActions(cmdb, actions) : cmdb;
    },
  };
}
