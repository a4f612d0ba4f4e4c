import type { ScenarioWorld } from '../../world/types.js';
import type { Executor } from './types.js';

/** Executes plan steps against the bundled scenario world, as an operator's tooling would against real systems. */
export function createScenarioExecutor(world: ScenarioWorld): Executor {
  return {
    name: 'scenario',
    async execute(step, { dryRun }) {
      if (step.action === 'run_script') return { ok: false, output: 'the scenario world runs registered actions only, not scripts' };
      if (dryRun) return { ok: true, output: `[dry-run] would ${step.description}` };
      const result = world.applyAction(step.action, step.target, step.params);
      return { ok: result.ok, output: result.output };
    },
  };
}
