/**
 * A streaming anomaly scorer for one metric series (host metrics, golden signals, business KPIs): feed it one point
 * at a time with `update(ts, value)` and it returns a score in [0,1] for that point; `scoreSeries` is the batch form.
 *
 * How it scores a point:
 * 1. A robust baseline: median and scale (MAD, with floors from the inter-quantile range and the series' own
 *    resolution) of a long lagged window of raw values. The lag keeps an ongoing excursion out of its own baseline.
 * 2. Level evidence, as robust z's against that baseline: the point itself (spikes), the median of the last few
 *    points (level shifts / change points), and — when the timestamps show a daily rhythm — the point against the
 *    same time of day in earlier days (seasonal-aware: a flat line where a daily peak belongs counts).
 * 3. Context novelty (streaming-context.ts): the series quantised into a few levels over its running range; the share
 *    of familiar contexts (the last 1..6 levels) that have never been followed by the current level — a familiar
 *    level reached in an unfamiliar way (a broken rhythm, a new pattern) even though no single value is extreme.
 * 4. Shape novelty (streaming-knn.ts): once per block of 4 points, the distance of the last 16 block means to their
 *    nearest neighbours among recent earlier shapes — slower changes of shape that no single point shows.
 * 5. An anomaly likelihood per channel (after Numenta's HTM anomaly likelihood): the evidence is ranked among its own
 *    recent history, with an exponential tail fitted to the largest values beyond it (peaks over threshold); the
 *    channels' tail probabilities combine by Bonferroni (k · the smallest) into p, and the score is
 *    log(p)/log(1e-10) clipped to [0,1], so scores mean the same across series of different noise (pure noise:
 *    occasional records ≈ 0.3–0.6; a real level shift or spike ≈ 1).
 * 6. Alarm suppression: a score only stands if it beats every score of the last few hundred points, otherwise it is
 *    damped — one excursion is one alarm, not a burst; within a few points of a standing score, a new record stands
 *    only if it is clearly higher (a rising excursion sets record after record).
 *
 * Work per point is O(window) plus O(references · length) per block; memory O(window + history + references).
 */

import { BlockNeighbours } from './streaming-knn.js';
import { ContextNovelty, PatternModel } from './streaming-context.js';
import { RollingMoments, SortedWindow, TailModel } from './streaming-window.js';

export interface StreamingDetectorOptions {
  /** points that only train (score 0); NAB calls it the probationary period (default 0 = score from the start) */
  probation?: number;
  /** baseline window length, points (default 600) */
  baselineWindow?: number;
  /** recent points excluded from the baseline (default 24) */
  lag?: number;
  /** points whose median tests for a level shift (default 12) */
  shortWindow?: number;
  /** points averaged for the likelihood (default 1) */
  likelihoodWindow?: number;
  /** history of evidence for the likelihood's mean and spread (default 2000) */
  historyWindow?: number;
  /** points a score must beat to stand (default 300) */
  suppress?: number;
  /** factor on a score that does not beat the recent maximum (default 0.1) */
  damp?: number;
  /** points after a record in which a new record counts as the same excursion (damped)... (default 20) */
  restPoints?: number;
  /** ...unless it beats the last record by this much (default 0.05) */
  restMargin?: number;
  /** longest daily period, points, for the day-over-day channel (default 2000) */
  maxPeriod?: number;
  /** the day-over-day channel counts when its scale is below this share of the level's (default 0.7) */
  seasonalGain?: number;
  /** rank the evidence among its history instead of a Gaussian fit (default true) */
  rank?: boolean;
  /** bins of the order-2 Markov pattern channel; 0 turns it off (default 0: off, context novelty does its job) */
  patternBins?: number;
  /** surprises averaged by the pattern channel (default 20) */
  patternWindow?: number;
  /** weight of a single point's z against the recent median's (default 0.5) */
  spikeWeight?: number;
  /** largest values of the evidence history that fit its exponential tail (default 5) */
  tailCount?: number;
  /** evidence on a log scale, log(1 + z) (default true) */
  logEvidence?: boolean;
  /** levels of the context-novelty channel; 0 turns it off (default 8) */
  contextBins?: number;
  /** longest context of the context-novelty channel, points (default 6) */
  contextOrder?: number;
  /** novelties averaged by the context channel (default 5) */
  contextWindow?: number;
  /** points per block of the shape channel; 0 turns it off (default 4) */
  shapeBlock?: number;
  /** block means per shape (default 16) */
  shapeLength?: number;
  /** nearest neighbours averaged by the shape channel (default 3) */
  shapeNeighbours?: number;
  /** earlier shapes kept as references (default 400) */
  shapeReferences?: number;
}


const DEFAULTS: Required<StreamingDetectorOptions> = {
  probation: 0,
  baselineWindow: 600,
  lag: 24,
  shortWindow: 12,
  likelihoodWindow: 1,
  historyWindow: 2000,
  suppress: 300,
  damp: 0.1,
  restPoints: 20,
  restMargin: 0.05,
  maxPeriod: 2000,
  seasonalGain: 0.7,
  rank: true,
  patternBins: 0,
  patternWindow: 20,
  spikeWeight: 0.5,
  tailCount: 5,
  logEvidence: true,
  contextBins: 8,
  contextOrder: 6,
  contextWindow: 5,
  shapeBlock: 4,
  shapeLength: 16,
  shapeNeighbours: 3,
  shapeReferences: 400,
};


/** Upper tail of the standard normal, Q(z) = P(Z > z). */
export function normalTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

function erfc(x: number): number {
  // Numerical Recipes' erfc (Chebyshev fit), relative error < 1.2e-7
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851413 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}


/** Robust z's of a stream against a lagged rolling baseline: the point (spikes) and the recent median (shifts). */
class RobustChannel {
  private readonly baseline: SortedWindow;
  private readonly recent: number[] = [];
  private resolution = 0;
  private seen = 0;
  /** robust scale of the baseline at the last update */
  scale = 0;
  /** median of the baseline at the last update */
  center = 0;
  constructor(private readonly o: Required<StreamingDetectorOptions>) {
    this.baseline = new SortedWindow(o.baselineWindow);
  }
  /** [zPoint, zShift], or undefined while the baseline is too short */
  update(value: number): [number, number] | undefined {
    const o = this.o;
    this.recent.push(value);
    if (this.recent.length > o.lag) this.baseline.push(this.recent.shift()!);
    if (this.baseline.size < Math.min(o.baselineWindow, 30)) return undefined;
    const b = this.baseline;
    const med = b.quantile(0.5);
    this.center = med;
    if (this.seen++ % 50 === 0) this.resolution = b.resolution();
    const madScale = 1.4826 * b.mad(med);
    const iqrScale = (b.quantile(0.75) - b.quantile(0.25)) / 1.349;
    const wideScale = (b.quantile(0.95) - b.quantile(0.05)) / 3.29;
    this.scale = Math.max(madScale, iqrScale, 0.5 * wideScale, this.resolution, 1e-9 * Math.abs(med), 1e-12);
    const short = this.recent.slice(-o.shortWindow).sort((x, y) => x - y);
    const shortMed = short[short.length >> 1]!;
    return [Math.abs(value - med) / this.scale, Math.abs(shortMed - med) / this.scale];
  }
}


const DAY_MS = 86_400_000;

export class RobustStreamingDetector {
  private readonly o: Required<StreamingDetectorOptions>;
  private readonly level: RobustChannel;
  private readonly seasonal: RobustChannel;
  private readonly evidence: RollingMoments;
  private readonly shortEvidence: number[] = [];
  private readonly recentRaw: number[] = [];
  private readonly firstTimes: number[] = [];
  /** points per day, once the sampling interval is known (0: not daily-seasonal-capable) */
  private period = -1;
  private readonly history: number[] = [];
  private n = 0;
  private lastStanding = -Infinity;
  private lastStandingScore = 0;
  private readonly levelTail: TailModel;
  private readonly patternTail: TailModel;
  private readonly pattern: PatternModel;
  private readonly surprises: number[] = [];
  private readonly context: ContextNovelty;
  private readonly contextTail: TailModel;
  private readonly novelties: number[] = [];
  private readonly shape: BlockNeighbours | undefined;
  private readonly shapeTail: TailModel;

  constructor(options: StreamingDetectorOptions = {}) {
    this.o = { ...DEFAULTS, ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) };
    this.level = new RobustChannel(this.o);
    this.seasonal = new RobustChannel(this.o);
    this.evidence = new RollingMoments(this.o.historyWindow);
    this.levelTail = new TailModel(this.o.historyWindow, this.o.tailCount);
    this.patternTail = new TailModel(this.o.historyWindow, this.o.tailCount);
    this.pattern = new PatternModel(Math.max(1, this.o.patternBins));
    this.context = new ContextNovelty({ bins: Math.max(1, this.o.contextBins), maxOrder: this.o.contextOrder });
    this.contextTail = new TailModel(this.o.historyWindow, this.o.tailCount);
    const o = this.o;
    if (o.shapeBlock > 0) this.shape = new BlockNeighbours({ block: o.shapeBlock, length: o.shapeLength, k: o.shapeNeighbours, references: o.shapeReferences });
    this.shapeTail = new TailModel(o.historyWindow, o.tailCount);
  }

  private learnPeriod(ts: number): void {
    if (this.period >= 0) return;
    this.firstTimes.push(ts);
    if (this.firstTimes.length < 21) return;
    const gaps = this.firstTimes.slice(1).map((t, i) => t - this.firstTimes[i]!).sort((a, b) => a - b);
    const dt = gaps[gaps.length >> 1]!;
    const p = dt > 0 ? Math.round(DAY_MS / dt) : 0;
    this.period = p >= 12 && p <= this.o.maxPeriod ? p : 0;
  }

  /** Scores one point in [0,1] and learns from it. Timestamps are epoch ms. */
  update(ts: number, value: number): number {
    const i = this.n++;
    if (!Number.isFinite(value)) return 0;
    const o = this.o;
    this.learnPeriod(ts);
    const zl = this.level.update(value);
    let zs: [number, number] | undefined;
    if (this.period > 0) {
      this.history.push(value);
      if (this.history.length > this.period) zs = this.seasonal.update(value - this.history.shift()!);
    }
    if (!zl) return 0;
    let strength = Math.max(zl[0] * o.spikeWeight, zl[1]);
    // the day-over-day difference counts only where it is steadier than the level itself (a daily rhythm)
    if (zs && this.seasonal.scale < o.seasonalGain * this.level.scale) strength = Math.max(strength, zs[0] * o.spikeWeight, zs[1]);
    const ev = o.logEvidence ? Math.log1p(strength) : strength;

    this.shortEvidence.push(ev);
    if (this.shortEvidence.length > o.likelihoodWindow) this.shortEvidence.shift();
    const avg = this.shortEvidence.reduce((a, b) => a + b, 0) / this.shortEvidence.length;
    const std = Math.max(this.evidence.std, 0.05);
    const enough = this.evidence.count >= 100;
    const z = (avg - this.evidence.mean) / std;
    this.evidence.push(ev);
    let patternEv = 0;
    if (o.patternBins > 0) {
      this.surprises.push(this.pattern.update(value));
      if (this.surprises.length > o.patternWindow) this.surprises.shift();
      patternEv = this.surprises.reduce((a, b) => a + b, 0) / this.surprises.length;
    }
    let contextEv = 0;
    if (o.contextBins > 0) {
      this.novelties.push(this.context.update(value));
      if (this.novelties.length > o.contextWindow) this.novelties.shift();
      contextEv = this.novelties.reduce((a, b) => a + b, 0) / this.novelties.length;
    }
    // the shape channel speaks once per block (tail 1 in between); its history is ranked from the start
    let shapeTail = 1;
    const shapeEv = this.shape?.update(value);
    if (shapeEv !== undefined) {
      shapeTail = this.shapeTail.tail(shapeEv);
      this.shapeTail.push(shapeEv);
    }
    if (i < o.probation || !enough) {
      this.levelTail.push(avg);
      if (o.patternBins > 0) this.patternTail.push(patternEv);
      if (o.contextBins > 0) this.contextTail.push(contextEv);
      return 0;
    }

    const tails = [o.rank ? this.levelTail.tail(avg) : normalTail(z)];
    this.levelTail.push(avg);
    if (o.patternBins > 0) {
      tails.push(this.patternTail.tail(patternEv));
      this.patternTail.push(patternEv);
    }
    if (o.contextBins > 0) {
      tails.push(this.contextTail.tail(contextEv));
      this.contextTail.push(contextEv);
    }
    if (this.shape) tails.push(shapeTail);
    // several looks at the same point: Bonferroni
    const tail = Math.min(1, tails.length * Math.min(...tails));
    const raw = Math.min(1, Math.max(0, Math.log(tail + 1e-10) / Math.log(1e-10)));
    // one excursion, one alarm: a score only stands if it beats every score of the last `suppress` points
    let recentMax = 0;
    for (const r of this.recentRaw) if (r > recentMax) recentMax = r;
    this.recentRaw.push(raw);
    if (this.recentRaw.length > o.suppress) this.recentRaw.shift();
    if (raw <= recentMax) return raw * o.damp;
    // a rising excursion sets record after record: one right after the last record stands only if clearly higher
    const same = i - this.lastStanding < o.restPoints && raw < this.lastStandingScore + o.restMargin;
    this.lastStanding = i;
    this.lastStandingScore = raw;
    return same ? raw * o.damp : raw;
  }
}

/** Batch form: one score per point. */
export function scoreSeries(timestamps: ArrayLike<number>, values: ArrayLike<number>, options: StreamingDetectorOptions = {}): Float64Array {
  const d = new RobustStreamingDetector(options);
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = d.update(timestamps[i]!, values[i]!);
  return out;
}

