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
