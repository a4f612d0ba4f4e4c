import type { Approval, Execution, PlanStep, PreCheckResult, RemediationPlan } from '../model/remediation.js';
import { approvalCovers } from './approval.js';
import { type Executor, attempt } from './executors/types.js';

export class NotApprovedError extends Error {
  override name = 'NotApprovedError';
}

/** Runs an approved plan step by step; the first failing step stops the plan (its rollback is then offered). */
export async function runPlan(input: {
  plan: RemediationPlan;
  approval: Approval | null;
  /** earlier approvals of the same plan (a high-risk plan needs two distinct approvers) */
  coApprovals?: Approval[];
  executor: Executor;
  actor: string;
  now: () => number;
  onStep?: (stepId: string, ok: boolean, output: string) => void | Promise<void>;
  /** runs the step's pre-checks right before it; a failed one stops the plan before the step changes anything */
  preChecks?: (step: PlanStep) => Promise<PreCheckResult[]>;
  /** for a `stopIfRecovered` step that succeeded: did its metrics recover (so the later steps are not needed)? */
  recoveredAfter?: (step: PlanStep) => Promise<{ recovered: boolean; detail: string }>;
}): Promise<Execution> {
  const refusal = approvalCovers(input.plan, input.approval, input.coApprovals ?? []);
  if (refusal) throw new NotApprovedError(refusal);
  const startedAt = input.now();
  const steps: Execution['steps'] = [];
  let failed = false;
  let notNeeded: string | null = null;
  for (const [index, step] of input.plan.steps.entries()) {
    if (failed || notNeeded) {
      steps.push({ stepId: step.id, status: 'skipped', output: failed ? 'skipped: an earlier step failed' : `not needed: ${notNeeded}` });
      continue;
    }
    const checks = input.preChecks && step.preChecks.length > 0 ? await input.preChecks(step) : undefined;
    const blocked = checks?.filter((c) => !c.ok) ?? [];
    if (index > 0 && blocked.length > 0 && blocked.every((c) => c.kind === 'still_degraded')) {
      // the steps before this one already ended the trouble: the rest is not needed (and nothing should be undone)
      notNeeded = `the trouble is over before ${step.id} (${blocked[0]!.detail})`;
      steps.push({ stepId: step.id, status: 'skipped', output: `not needed: ${notNeeded}`, preChecks: checks! });
      continue;
    }
    const outcome =
      blocked.length > 0
        ? { ok: false, output: `pre-check failed, the step did not run: ${blocked.map((c) => `${c.kind}: ${c.detail}`).join('; ')}` }
        : await attempt(() => input.executor.execute(step, { dryRun: false }));
    steps.push({ stepId: step.id, status: outcome.ok ? 'succeeded' : 'failed', output: outcome.output, ...(checks ? { preChecks: checks } : {}) });
    await input.onStep?.(step.id, outcome.ok, outcome.output);
    failed = !outcome.ok;
    if (outcome.ok && step.stopIfRecovered && input.recoveredAfter && index < input.plan.steps.length - 1) {
      const check = await input.recoveredAfter(step);
      if (check.recovered) notNeeded = `${step.id} already brought the system back (${check.detail})`;
    }
  }
  return { planId: input.plan.id, actor: input.actor, startedAt, finishedAt: input.now(), status: failed ? 'failed' : 'succeeded', steps };
}
