import type { ActionKind } from '../../model/remediation.js';
import type { ScenarioWorld } from '../../world/types.js';
import type { Executor } from './types.js';

/** The simulated shop runs on a simulated cluster: kubectl verbs act as the matching world actions. */
const KUBECTL_IN_WORLD: Record<string, ActionKind> = { rollout_restart: 'restart_service', rollout_undo: 'rollback_deploy', scale: 'scale_out' };

/** Executes plan steps against the bundled scenario world, as an operator's tooling would against real systems. */
export function createScenarioExecutor(world: ScenarioWorld): Executor {
  return {
    name: 'scenario',
    async execute(step, { dryRun }) {
      if (step.action === 'run_script') return { ok: false, output: 'the scenario world runs registered actions only, not scripts' };
      if (step.action === 'call_webhook') return { ok: false, output: 'the scenario world has no automation hooks; configure SRE_COPILOT_HOOKS' };
      const action = step.action === 'kubectl' ? KUBECTL_IN_WORLD[String(step.params.verb)] : step.action;
      if (!action) return { ok: false, output: `the scenario world knows no kubectl verb "${String(step.params.verb)}"` };
      if (dryRun) return { ok: true, output: `[dry-run] would run: ${step.description}` };
      const result = world.applyAction(action, step.target, step.params);
      return { ok: result.ok, output: result.output };
    },
  };
}
