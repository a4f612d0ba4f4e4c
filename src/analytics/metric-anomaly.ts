import type { MetricPoint, TimeWindow } from '../model/telemetry.js';
import { kendallTau, median, robustStats, saturate, theilSen } from './robust.js';

export type Direction = 'up' | 'down';
export type MetricAnomalyKind = 'level_shift' | 'spike' | 'trend';

export interface MetricAnomaly {
  /** strength in [0,1] */
  score: number;
  direction: Direction;
  kind: MetricAnomalyKind;
  /** first point of the excursion (for a trend: where its fitted line leaves the baseline) */
  onsetMs: number;
  /** baseline median */
  baseline: number;
  /** baseline robust scale (σ estimate) */
  scale: number;
  /** median since onset (spike: the last value) */
  current: number;
  /** most extreme value since onset, in the anomaly's direction */
  peak: number;
  /** robust z of `current` (spike: of `peak`), signed by direction (≥ 0) */
  z: number;
}

export interface DetectOptions {
  direction?: Direction | 'both';
  /** |z| a point must reach to count as excursion (default 4) */
  zThreshold?: number;
  /** |z| for a lone spike (default 6) */
  spikeZ?: number;
  /** sustained = k of n consecutive points exceed (default 3 of 5) */
  k?: number;
  n?: number;
  /** absolute floor of the baseline scale, series units */
  minScale?: number;
  /** scale floor relative to |baseline median| (default 0.02) */
  relFloor?: number;
  /** ignore changes smaller than this share of |baseline| (default 0.1) … */
  minRelChange?: number;
  /** … or smaller than this absolute amount (default 0) */
  minAbsChange?: number;
  /** fewer baseline points → no verdict (default 5) */
  minBaselinePoints?: number;
  /** z at which the score reaches 0.5 (default 8) */
  halfScoreZ?: number;
}

const DEFAULTS = {
  direction: 'both' as Direction | 'both',
  zThreshold: 4,
  spikeZ: 6,
  k: 3,
  n: 5,
  minScale: 0,
  relFloor: 0.02,
  minRelChange: 0.1,
  minAbsChange: 0,
  minBaselinePoints: 5,
  halfScoreZ: 8,
};
type Opts = typeof DEFAULTS;
const withDefaults = (o: DetectOptions): Opts => ({ ...DEFAULTS, ...stripUndefined(o) });
function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const inWindow = (p: MetricPoint, w: TimeWindow): boolean => p.ts >= w.fromMs && p.ts < w.toMs;
const dirs = (d: Opts['direction']): Direction[] => (d === 'both' ? ['up', 'down'] : [d]);
const sgn = (d: Direction): number => (d === 'up' ? 1 : -1);

/**
 * Compares the points of `window` against the robust baseline of the points in `baseline` and reports the strongest
 * sustained excursion (level shift or trend; onset by a k-of-n rule) or, failing that, a lone spike. null when the
 * window looks like the baseline, the change is tiny, or there is too little data.
 */
export function detectAnomaly(
  points: readonly MetricPoint[],
  baseline: TimeWindow,
  window: TimeWindow,
  options: DetectOptions = {},
): MetricAnomaly | null {
  const o = withDefaults(options);
  const base = points.filter((p) => inWindow(p, baseline)).map((p) => p.value);
  const win = points.filter((p) => inWindow(p, window)).sort((a, b) => a.ts - b.ts);
  if (base.length < o.minBaselinePoints || win.length === 0) return null;
  const st = robustStats(base, { minScale: o.minScale, relFloor: o.relFloor });
  return scanWindow(win, st.median, st.scale, o);
}

function minChange(c: number, o: Opts): number {
  return Math.max(o.minAbsChange, o.minRelChange * Math.abs(c));
}

/** The excursion logic shared by the batch and streaming detectors. */
export function scanWindow(
  win: readonly MetricPoint[],
  c: number,
  s: number,
  options: DetectOptions = {},
): MetricAnomaly | null {
  const o = withDefaults(options);
  const need = minChange(c, o);
  let best: MetricAnomaly | null = null;
  const consider = (a: MetricAnomaly | null) => {
    if (a && (!best || a.score > best.score || (a.score === best.score && a.onsetMs < best.onsetMs))) best = a;
  };
  for (const d of dirs(o.direction)) consider(sustained(win, c, s, d, need, o));
  if (best) return best;
  for (const d of dirs(o.direction)) consider(spike(win, c, s, d, need, o));
  return best;
}

function sustained(
  win: readonly MetricPoint[],
  c: number,
  s: number,
  d: Direction,
  need: number,
  o: Opts,
): MetricAnomaly | null {
  const sg = sgn(d);
  const z = win.map((p) => (sg * (p.value - c)) / s);
  const ex = win.map((p, i) => z[i]! >= o.zThreshold && sg * (p.value - c) >= need);
  let at = -1;
  for (let i = 0; i < win.length && at < 0; i++) {
    if (!ex[i]) continue;
    const rest = win.length - i;
    if (rest < 2) break;
    const span = Math.min(o.n, rest);
    const required = rest >= o.n ? o.k : Math.max(2, Math.ceil((o.k * rest) / o.n));
    let cnt = 0;
    for (let j = i; j < i + span; j++) if (ex[j]) cnt++;
    if (cnt >= required) at = i;
  }
  if (at < 0) return null;
  // an excursion followed by n normal points is over: a transient burst, reported as a spike
  let lastEx = win.length - 1;
  while (lastEx > at && !ex[lastEx]) lastEx--;
  if (win.length - 1 - lastEx >= o.n) {
    const sp = spike(win.slice(at, lastEx + 1), c, s, d, need, { ...o, spikeZ: o.zThreshold });
    return sp && { ...sp, current: win[win.length - 1]!.value };
  }
  const post = win.slice(at);
  const vals = post.map((p) => p.value);
  const current = median(vals);
  const peak = sg > 0 ? Math.max(...vals) : Math.min(...vals);
  const exceeding = z.slice(at).filter((_, i) => ex[at + i]);
  const persistence = exceeding.length / post.length;
  const zEx = median(exceeding);
  let kind: MetricAnomalyKind = 'level_shift';
  let onsetIdx = at;
  while (onsetIdx > 0 && z[onsetIdx - 1]! >= 2) onsetIdx--;
  let onsetMs = win[onsetIdx]!.ts;
  if (post.length >= 5 && sg * kendallTau(vals) >= 0.5) {
    const ts = post.map((p) => p.ts);
    const fit = theilSen(ts, vals);
    const rise = sg * fit.slope * (ts[ts.length - 1]! - ts[0]!);
    if (rise >= 0.5 * Math.abs(current - c) && sg * fit.slope > 0) {
      kind = 'trend';
      // where the fitted line leaves the baseline level (snapped to a sample at or after it), but not before the
      // series itself is 1σ out: a ramp that flattens (a disk at 100 %) would otherwise pull the line back too far
      const t0 = (c - fit.intercept) / fit.slope;
      let soft = at;
      while (soft > 0 && z[soft - 1]! >= 1) soft--;
      const first = win.find((p) => p.ts >= t0);
      if (first) onsetMs = Math.min(onsetMs, Math.max(first.ts, win[soft]!.ts));
    }
  }
  const score = saturate(zEx, o.halfScoreZ) * (0.6 + 0.4 * persistence);
  return { score, direction: d, kind, onsetMs, baseline: c, scale: s, current, peak, z: (sg * (current - c)) / s };
}

function spike(
  win: readonly MetricPoint[],
  c: number,
  s: number,
  d: Direction,
  need: number,
  o: Opts,
): MetricAnomaly | null {
  const sg = sgn(d);
  let bi = -1;
  let bz = 0;
  win.forEach((p, i) => {
    const z = (sg * (p.value - c)) / s;
    if (z >= o.spikeZ && sg * (p.value - c) >= need && z > bz) {
      bz = z;
      bi = i;
    }
  });
  if (bi < 0) return null;
  let start = bi;
  while (start > 0 && (sg * (win[start - 1]!.value - c)) / s >= o.zThreshold) start--;
  return {
    score: 0.7 * saturate(bz, o.halfScoreZ),
    direction: d,
    kind: 'spike',
    onsetMs: win[start]!.ts,
    baseline: c,
    scale: s,
    current: win[win.length - 1]!.value,
    peak: win[bi]!.value,
    z: bz,
  };
}

export interface StreamingOptions extends DetectOptions {
  /** baseline points kept (default 120) */
  history?: number;
  /** points needed before any verdict (default 10) */
  warmup?: number;
}

/**
 * Online version of `detectAnomaly` for schedules: `update(point)` returns the current anomaly score (0 when normal).
 * Points that look anomalous are kept out of the baseline, so a sustained shift stays visible until `reset()`.
 */
export class StreamingAnomalyDetector {
  private readonly o: Opts;
  private readonly history: number;
  private readonly warmup: number;
  private base: number[] = [];
  private recent: MetricPoint[] = [];
  private active: MetricAnomaly | null = null;

  constructor(options: StreamingOptions = {}) {
    this.o = withDefaults(options);
    this.history = options.history ?? 120;
    this.warmup = Math.max(options.warmup ?? 10, this.o.minBaselinePoints);
  }

  /** the anomaly in progress, or null */
  get state(): MetricAnomaly | null {
    return this.active;
  }

  reset(): void {
    this.base = [];
    this.recent = [];
    this.active = null;
  }

  update(point: MetricPoint): number {
    if (this.base.length < this.warmup) {
      this.pushBase(point.value);
      return 0;
    }
    const st = robustStats(this.base, { minScale: this.o.minScale, relFloor: this.o.relFloor });
    this.recent.push(point);
    // keep enough recent points to classify trends, the k-of-n rule looks at the last n
    if (this.recent.length > Math.max(this.o.n, 30)) this.recent.shift();
    const lastN = this.recent.slice(-this.o.n);
    const need = minChange(st.median, this.o);
    const exceeds = (p: MetricPoint, d: Direction) =>
      (sgn(d) * (p.value - st.median)) / st.scale >= this.o.zThreshold && sgn(d) * (p.value - st.median) >= need;
    const pointExceeds = dirs(this.o.direction).some((d) => exceeds(point, d));
    const sustainedDir = dirs(this.o.direction).find(
      (d) => lastN.filter((p) => exceeds(p, d)).length >= Math.min(this.o.k, this.o.n),
    );
    if (sustainedDir) {
      // same analysis as the batch detector, over the recent points since the excursion began
      const since = this.active && this.active.kind !== 'spike' ? this.recent.filter((p) => p.ts >= this.active!.onsetMs) : lastN;
      const a = scanWindow(since.length ? since : lastN, st.median, st.scale, { ...this.o, direction: sustainedDir });
      if (a && a.kind !== 'spike') {
        const onsetMs = this.active && this.active.kind !== 'spike' ? Math.min(this.active.onsetMs, a.onsetMs) : a.onsetMs;
        this.active = { ...a, onsetMs };
        return a.score;
      }
    }
    if (pointExceeds) {
      const a = scanWindow([point], st.median, st.scale, this.o);
      this.active = a;
      return a?.score ?? 0;
    }
    this.active = null;
    this.pushBase(point.value);
    return 0;
  }

  private pushBase(v: number): void {
    this.base.push(v);
    if (this.base.length > this.history) this.base.shift();
  }
}
