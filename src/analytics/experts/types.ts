import type { Connectors } from '../../connectors/types.js';
import type { Finding } from '../../model/evidence.js';
import type { Cmdb, TimeWindow } from '../../model/telemetry.js';

/**
 * What every expert gets: the data sources, the topology, a healthy baseline (history before the incident) and the
 * window to explain. `symptomOnsetMs`, when known, is the earliest symptom onset (used to rank changes).
 * Structurally identical to investigation/types.ts ExpertContext.
 */
export interface ExpertContext {
  connectors: Connectors;
  cmdb: Cmdb;
  baseline: TimeWindow;
  window: TimeWindow;
  symptomOnsetMs?: number;
}

export type ExpertFn = (ctx: ExpertContext) => Promise<Finding[]>;
