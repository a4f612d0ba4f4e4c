import type { IncidentSession } from './types.js';

/**
 * How many incident sessions a copilot keeps in memory. Without a bound a long-running serve kept every incident it
 * ever handled (its findings, ranking, report: about 60 KB each, more on the heap). What is dropped is what a
 * restart drops too: its records stay in the store and its run in Mastra's storage, the thread's `status` reads the
 * store, and a click on its plan is refused and audited ("no longer awaiting a decision here").
 */
export interface SessionLimits {
  /** finished incidents (plan rejected, or the fix ran and recovery was checked) kept, the most recently decided */
  finished: number;
  /** all sessions kept; beyond it the oldest go first, even one still awaiting a decision, never one with work running */
  total: number;
}

/** A restart brings back the 50 newest incidents of a channel (Copilot.restore): the live copilot keeps ten times that. */
export const DEFAULT_SESSION_LIMITS: SessionLimits = { finished: 50, total: 500 };

/** Nothing of its run is left to do: the plan was rejected, or the fix ran and its recovery was verified. */
const finished = (s: IncidentSession) => s.approval?.decision === 'rejected' || s.verification !== null;
/** The run waits at the approval step: a plan (or a script still to be proposed) to decide on. */
const awaiting = (s: IncidentSession) => !s.approval && !s.execution;

/**
 * Drops sessions beyond the limits (the map keeps the order they were concluded in, oldest first). Never drops one
 * `busy` (a decision, a rollback or a proposal under way) nor one whose approved fix is still running or being
 * verified: the run's steps look their session up. Returns the incident ids dropped.
 */
export function pruneSessions(sessions: Map<string, IncidentSession>, busy: (incidentId: string) => boolean, limits: SessionLimits): string[] {
  const dropped: string[] = [];
  const drop = (id: string) => {
    sessions.delete(id);
    dropped.push(id);
  };
  const done = [...sessions].filter(([id, s]) => finished(s) && !busy(id)).sort(([, a], [, b]) => (a.approval?.at ?? 0) - (b.approval?.at ?? 0));
  for (const [id] of done.slice(0, Math.max(0, done.length - limits.finished))) drop(id);
  let excess = sessions.size - limits.total;
  for (const [id, s] of sessions) {
    if (excess <= 0) break;
    if (busy(id) || !(finished(s) || awaiting(s))) continue;
    drop(id);
    excess--;
  }
  return dropped;
}
