import type { FaultKind } from '../model/evidence.js';
import type { ActionKind } from '../model/remediation.js';

/**
 * Contract of the bundled scenario world: a deterministic simulator of an online shop that writes telemetry files
 * (see docs/telemetry-format.md). Everything else reads those files through connectors, never this object's state,
 * except the demo's scorer, which reads `groundTruth`, and the scenario executor, which calls `applyAction`.
 */
export interface ScenarioDef {
  name: string; // kebab-case, e.g. "bad-deploy-payment"
  description: string;
  fault: { kind: FaultKind; target: string }; // target: a CMDB service name, or a link "caller->callee"
}

export interface GroundTruth {
  scenario: string;
  seed: number;
  fault: { kind: FaultKind; target: string };
  onsetMs: number;
  alertMs: number;
  /** actions that end the fault; any one of them, on `target`, fixes it */
  fixedBy: { action: ActionKind; target: string }[];
  /** name of the alert that fired (added by the world; optional for other producers) */
  alertName?: string;
  /** simulated start of the telemetry (first metrics row), epoch ms */
  startMs?: number;
}

export interface ActionResult {
  ok: boolean; // false when the target does not exist or the action cannot apply to it
  output: string; // what an operator would see in the executor's output
  fixed: boolean; // whether this action ended the fault (the world knows; verification must still re-read telemetry)
}

export interface ScenarioWorld {
  readonly def: ScenarioDef;
  readonly seed: number;
  /** folder holding metrics.csv, logs/, traces/, cmdb.yaml, alerts/ */
  readonly dir: string;
  readonly groundTruth: GroundTruth;
  /** simulated clock, epoch ms; starts at the alert time after `start()` */
  now(): number;
  /** writes the history up to the alert (baseline + fault onset) and the firing alert; idempotent */
  start(): Promise<void>;
  /** the firing alert as an Alertmanager webhook payload (what lands in the channel) */
  alertPayload(): unknown;
  /** performs a remediation action at the simulated `now()` */
  applyAction(action: ActionKind, target: string, params: Record<string, string | number | boolean>): ActionResult;
  /** lets simulated time pass, appending telemetry for those minutes */
  advance(minutes: number): Promise<void>;
}

export interface WorldOptions {
  scenario: string;
  seed: number;
  dir: string;
}
