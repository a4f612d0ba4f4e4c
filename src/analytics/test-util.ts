/** Deterministic helpers for tests (not used by production code). */
// The simulator's seeded generator serves the tests too.
export { mulberry32 as rng } from '../world/random.js';

/** Standard normal sample via Box–Muller. */
export function gauss(r: () => number): number {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}
