/** Robust statistics: small, pure helpers. Empty input → NaN unless said otherwise. */

/** Scales a MAD to a standard deviation for normal data. */
export const MAD_TO_SIGMA = 1.4826;
/** Scales a mean absolute deviation to a standard deviation for normal data. */
export const MEANAD_TO_SIGMA = 1.2533;

const sorted = (xs: readonly number[]): number[] => xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);

/** Quantile with linear interpolation (R type 7); q in [0,1]. */
export function quantile(xs: readonly number[], q: number): number {
  const s = sorted(xs);
  return quantileSorted(s, q);
}

export function quantileSorted(s: readonly number[], q: number): number {
  if (s.length === 0) return NaN;
  const pos = Math.min(1, Math.max(0, q)) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

export function median(xs: readonly number[]): number {
  return quantile(xs, 0.5);
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Median absolute deviation (unscaled) around `center` (default: the median). */
export function mad(xs: readonly number[], center = median(xs)): number {
  return median(xs.map((x) => Math.abs(x - center)));
}

export interface ScaleOptions {
  /** absolute lower bound of the scale, in the series' units */
  minScale?: number;
  /** lower bound relative to |median| (e.g. 0.02 → 2 % of the level) */
  relFloor?: number;
}

/**
 * A robust standard-deviation estimate: 1.4826·MAD; when MAD is 0 (mostly flat series) 1.2533·mean absolute
 * deviation; never below the floors (so a perfectly flat series does not turn every wiggle into an anomaly).
 */
export function robustScale(xs: readonly number[], opts: ScaleOptions = {}, center = median(xs)): number {
  let s = MAD_TO_SIGMA * mad(xs, center);
  if (!(s > 0)) s = MEANAD_TO_SIGMA * mean(xs.map((x) => Math.abs(x - center)));
  if (!Number.isFinite(s)) s = 0;
  const floor = Math.max(opts.minScale ?? 0, (opts.relFloor ?? 0) * Math.abs(center), 1e-9);
  return Math.max(s, floor);
}

export interface RobustStats {
  n: number;
  median: number;
  scale: number;
}
export function robustStats(xs: readonly number[], opts: ScaleOptions = {}): RobustStats {
  const c = median(xs);
  return { n: xs.length, median: c, scale: robustScale(xs, opts, c) };
}

/** (x − center) / scale, with a scale that is never 0. */
export function robustZ(x: number, center: number, scale: number): number {
  return (x - center) / Math.max(scale, 1e-9);
}

/** Theil–Sen slope and intercept of y over x (pairs subsampled deterministically beyond ~200 points). */
export function theilSen(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number } {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return { slope: 0, intercept: n === 1 ? ys[0]! : NaN };
  const step = Math.max(1, Math.ceil(n / 200));
  const slopes: number[] = [];
  for (let i = 0; i < n; i += step) {
    for (let j = i + 1; j < n; j += step) {
      const dx = xs[j]! - xs[i]!;
      if (dx !== 0) slopes.push((ys[j]! - ys[i]!) / dx);
    }
  }
  const slope = slopes.length ? median(slopes) : 0;
  const intercept = median(ys.slice(0, n).map((y, i) => y - slope * xs[i]!));
  return { slope, intercept };
}

/** Kendall's tau of ys against their order: +1 strictly rising, −1 strictly falling, ~0 no trend. */
export function kendallTau(ys: readonly number[]): number {
  const n = ys.length;
  if (n < 2) return 0;
  let s = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) s += Math.sign(ys[j]! - ys[i]!);
  return s / ((n * (n - 1)) / 2);
}

export const clamp01 = (x: number): number => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

/** Maps a non-negative strength (a z-score, a log-ratio…) onto [0,1): 1 − e^(−x/halfScale·ln2). */
export function saturate(x: number, half: number): number {
  if (!(x > 0)) return 0;
  return clamp01(1 - Math.pow(2, -x / half));
}
