import type { PlanStep } from '../../model/remediation.js';

export interface StepOutcome {
  ok: boolean;
  output: string;
}

/** Runs one typed plan step somewhere: the scenario world, a shell, a webhook, kubectl. */
export interface Executor {
  readonly name: string;
  /** dryRun: say what would run, change nothing */
  execute(step: PlanStep, options: { dryRun: boolean }): Promise<StepOutcome>;
  /** undoes a step that succeeded (its `rollback` text says how); executors that cannot undo leave it out */
  rollback?(step: PlanStep, options: { dryRun: boolean }): Promise<StepOutcome>;
}

/** An executor that throws (a bug, a broken binary) fails the step with the reason instead of the whole plan. */
export async function attempt(run: () => Promise<StepOutcome>): Promise<StepOutcome> {
  try {
    return await run();
  } catch (err) {
    return { ok: false, output: `executor error: ${(err as Error).message}` };
  }
}
