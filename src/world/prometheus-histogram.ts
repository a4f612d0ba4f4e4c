/**
 * Latency histograms for the world's Prometheus export: turns one minute's request count and p95 into bucket counts
 * that a real OpenTelemetry SDK could have produced, chosen so that PromQL's histogram_quantile(0.95) over them gives
 * the world's p95 back.
 */

/**
 * Bucket upper bounds in seconds: four per doubling from 2^-13 s (0.12 ms, below the cache's 0.5 ms) to 2^6 s (64 s,
 * above the longest timeout), the bounds of a Prometheus native histogram of schema 2. Fine enough that linear
 * interpolation inside a bucket stays within a few percent, coarse enough (77 buckets) that a world's export stays
 * a few tens of MB of text (a few hundred KB of TSDB blocks).
 */
export const LATENCY_BUCKETS_S: readonly number[] = Array.from({ length: 77 }, (_, i) => Number((2 ** ((i - 52) / 4)).toPrecision(6)));

/** log-space spread of the per-minute latency distribution (mean ≈ p95 / 2, like the world's own service times) */
export const LATENCY_SIGMA = 0.5;

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 for erf; absolute error below 1.5e-7, far below a count of one). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * PromQL's histogram_quantile over cumulative counts per upper bound (the last being +Inf, i.e. `cumulative` has one
 * more entry than `bounds`): the bucket where the rank falls, interpolated linearly, 0 as the lower bound of the first
 * bucket, the highest finite bound when the rank is in +Inf. NaN when there are no observations.
 */
export function histogramQuantile(q: number, bounds: readonly number[], cumulative: readonly number[]): number {
  const total = cumulative[cumulative.length - 1] ?? 0;
  if (!(total > 0)) return Number.NaN;
  const rank = q * total;
  let i = 0;
  while (i < bounds.length && cumulative[i]! < rank) i++;
  if (i === bounds.length) return bounds[bounds.length - 1]!;
  const lo = i === 0 ? 0 : bounds[i - 1]!;
  const below = i === 0 ? 0 : cumulative[i - 1]!;
  const inBucket = cumulative[i]! - below;
  return inBucket > 0 ? lo + (bounds[i]! - lo) * ((rank - below) / inBucket) : bounds[i]!;
}

/** Share of a log-normal (median `median`, spread LATENCY_SIGMA) at or below each bucket bound. */
function shares(median: number): number[] {
  const mu = Math.log(median);
  return LATENCY_BUCKETS_S.map((b) => normalCdf((Math.log(b) - mu) / LATENCY_SIGMA));
}

/**
 * The median whose log-normal, bucketed and read back by histogram_quantile(0.95), gives `p95S`: the read-back grows
 * with the median, so bisection in log space finds it. Exact up to the counts' rounding to whole requests.
 */
export function medianForP95(p95S: number): number {
  let lo = Math.log(p95S) - 6 * LATENCY_SIGMA;
  let hi = Math.log(p95S) + 2;
  for (let k = 0; k < 32; k++) {
    const mid = (lo + hi) / 2;
    const cum = [...shares(Math.exp(mid)), 1];
    if (histogramQuantile(0.95, LATENCY_BUCKETS_S, cum) < p95S) lo = mid;
    else hi = mid;
  }
  return Math.exp((lo + hi) / 2);
}

export interface MinuteHistogram {
  /** requests at or below each bound of LATENCY_BUCKETS_S, then all requests (+Inf) */
  cumulative: number[];
  /** total latency in seconds */
  sumS: number;
}

/**
 * One minute of `count` requests whose p95 is `p95Ms`, as whole-request bucket counts and a latency sum. A p95 of 0
 * (the world writes 0 for a service that is down) puts every request in the first bucket with no latency.
 */
export function minuteHistogram(count: number, p95Ms: number, median?: number): MinuteHistogram {
  if (count <= 0) return { cumulative: new Array<number>(LATENCY_BUCKETS_S.length + 1).fill(0), sumS: 0 };
  if (!(p95Ms > 0)) return { cumulative: new Array<number>(LATENCY_BUCKETS_S.length + 1).fill(count), sumS: 0 };
  const m = median ?? medianForP95(p95Ms / 1000);
  const cumulative = [...shares(m).map((s) => Math.round(count * s)), count];
  return { cumulative, sumS: count * m * Math.exp((LATENCY_SIGMA * LATENCY_SIGMA) / 2) };
}
