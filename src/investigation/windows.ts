import type { TimeWindow } from '../model/telemetry.js';

const MIN = 60_000;
/** The incident window covers the run-up to the alert (slow faults such as leaks start well before it). */
export const INCIDENT_LOOKBACK_MS = 30 * MIN;
/** Healthy history before the incident window to learn normal from. */
export const BASELINE_MS = 90 * MIN;

export function investigationWindows(anchorMs: number): { baseline: TimeWindow; window: TimeWindow } {
  const windowFrom = anchorMs - INCIDENT_LOOKBACK_MS;
  return {
    baseline: { fromMs: windowFrom - BASELINE_MS, toMs: windowFrom },
    window: { fromMs: windowFrom, toMs: anchorMs + MIN },
  };
}
