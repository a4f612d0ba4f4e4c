/** The bundled scenario world: a deterministic simulator of an online shop that writes telemetry files. */
import { SCENARIOS } from './scenarios.js';
import type { ScenarioDef, ScenarioWorld, WorldOptions } from './types.js';
import { World } from './world.js';

export type { ActionResult, GroundTruth, ScenarioDef, ScenarioWorld, WorldOptions } from './types.js';
export { FAULT_RUNBOOKS } from './faults.js';
export { RULES as ALERT_RULES } from './alerts.js';
export { World } from './world.js';

export class UnknownScenarioError extends Error {
  constructor(
    readonly scenario: string,
    readonly valid: string[],
  ) {
    super(`unknown scenario "${scenario}"; valid scenarios: ${valid.join(', ')}`);
    this.name = 'UnknownScenarioError';
  }
}

export function listScenarios(): ScenarioDef[] {
  return SCENARIOS.map((s) => ({ ...s, fault: { ...s.fault } }));
}

export function getScenario(name: string): ScenarioDef | undefined {
  const s = SCENARIOS.find((x) => x.name === name);
  return s ? { ...s, fault: { ...s.fault } } : undefined;
}

export function createWorld(opts: WorldOptions): ScenarioWorld {
  const def = getScenario(opts.scenario);
  if (!def) throw new UnknownScenarioError(opts.scenario, SCENARIOS.map((s) => s.name));
  if (!Number.isInteger(opts.seed)) throw new Error(`seed must be an integer, got ${opts.seed}`);
  return new World(def, opts.seed, opts.dir);
}
