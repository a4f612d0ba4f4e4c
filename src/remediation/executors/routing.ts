import type { ActionKind } from '../../model/remediation.js';
import type { Executor } from './types.js';

/**
 * One executor in front of several: steps of the routed action kinds go to their specialist (scripts to the shell,
 * `call_webhook` to the configured hooks, `kubectl` to kubectl), every other step to the base executor. Dry runs and
 * rollbacks follow the same route, so a plan's dry run shows exactly where each step would go.
 */
export function createRoutingExecutor(base: Executor, routes: Partial<Record<ActionKind, Executor>>): Executor {
  const pick = (action: ActionKind) => routes[action] ?? base;
  return {
    name: base.name,
    execute: (step, options) => pick(step.action).execute(step, options),
    rollback: async (step, options) => {
      const executor = pick(step.action);
      if (!executor.rollback) return { ok: false, output: `the ${executor.name} executor cannot undo ${step.action} steps; undo it by hand: ${step.rollback ?? 'no rollback recorded'}` };
      return executor.rollback(step, options);
    },
  };
}
