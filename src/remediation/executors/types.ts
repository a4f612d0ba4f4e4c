import type { PlanStep } from '../../model/remediation.js';

export interface StepOutcome {
  ok: boolean;
  output: string;
}

/** Runs one typed plan step somewhere: the scenario world, a shell, a webhook, kubectl. */
export interface Executor {
  readonly name: string;
  execute(step: PlanStep, options: { dryRun: boolean }): Promise<StepOutcome>;
}
