import type { Execution, PlanStep, RemediationPlan, Verification } from '../model/remediation.js';
import { type Executor, attempt } from './executors/types.js';

export interface RollbackOffer {
  /** why a rollback is on offer: a step failed, or every step ran but the system did not recover */
  failed: { step: PlanStep; output: string } | null;
  notRecovered?: boolean;
  /** the steps that succeeded, in the order they are undone (last first) */
  undo: PlanStep[];
}

/**
 * After a failed execution (the step that failed), or a complete one whose verification says not recovered: the
 * steps to undo, newest first. Null when nothing failed and the system recovered (or was not verified yet).
 */
export function rollbackOffer(plan: RemediationPlan, execution: Execution, verification?: Verification | null): RollbackOffer | null {
  const succeeded = new Set(execution.steps.filter((s) => s.status === 'succeeded').map((s) => s.stepId));
  const undo = plan.steps.filter((s) => succeeded.has(s.id)).reverse();
  const failed = execution.steps.find((s) => s.status === 'failed');
  const failedStep = failed && plan.steps.find((s) => s.id === failed.stepId);
  if (failed && failedStep) return { failed: { step: failedStep, output: failed.output }, undo };
  if (execution.status === 'succeeded' && verification && !verification.recovered) return { failed: null, notRecovered: true, undo };
  return null;
}

export interface RollbackResult {
  planId: string;
  actor: string;
  at: number;
  status: 'succeeded' | 'failed';
  steps: { stepId: string; ok: boolean; output: string }[];
}

/** Undoes the offered steps, last first; stops at the first undo that fails. */
export async function runRollback(input: { plan: RemediationPlan; offer: RollbackOffer; executor: Executor; actor: string; now: () => number }): Promise<RollbackResult> {
  const undo = input.executor.rollback?.bind(input.executor);
  if (!undo) throw new Error(`the ${input.executor.name} executor cannot undo steps`);
  const steps: RollbackResult['steps'] = [];
  for (const step of input.offer.undo) {
    const outcome = await attempt(() => undo(step, { dryRun: false }));
    steps.push({ stepId: step.id, ok: outcome.ok, output: outcome.output });
    if (!outcome.ok) break;
  }
  const ok = steps.length === input.offer.undo.length && steps.every((s) => s.ok);
  return { planId: input.plan.id, actor: input.actor, at: input.now(), status: ok ? 'succeeded' : 'failed', steps };
}
