/**
 * The NAB score (Lavin & Ahmad 2015, "Evaluating Real-time Anomaly Detection Algorithms — the Numenta Anomaly
 * Benchmark"), written from the paper and NAB's documentation.
 *
 * - Each row inside a labelled window is worth, if detected, the scaled sigmoid of its relative position in the
 *   window (the window's first row → 1·A_TP, its last → ≈0); only the best (= first) detection of a window counts.
 * - Each detected row outside every window is a false positive worth A_FP times the scaled sigmoid of its distance
 *   past the previous window's right edge (relative to that window's width), i.e. between 0 and −A_FP; before any
 *   window it costs the full −A_FP.
 * - A window with no detection costs −A_FN.
 * - The probationary period (the first min(⌊15 % · rows⌋, 750) rows of each file) is not scored.
 * - One threshold per detector and profile is chosen over the whole corpus (detection ⇔ score ≥ threshold) to
 *   maximise the summed raw score; the corpus score is normalised so that the null detector (no detections)
 *   scores 0 and the perfect detector (first row of every window) scores 100.
 */

export interface CostMatrix {
  tpWeight: number;
  fpWeight: number;
  fnWeight: number;
}

export type Profiles = Record<string, CostMatrix>;

export const NAB_PROFILES: Profiles = {
  standard: { tpWeight: 1, fpWeight: 0.11, fnWeight: 1 },
  reward_low_FP_rate: { tpWeight: 1, fpWeight: 0.22, fnWeight: 1 },
  reward_low_FN_rate: { tpWeight: 1, fpWeight: 0.11, fnWeight: 2 },
};

/** One scored file: anomaly scores per row, and windows as inclusive row index ranges [first, last]. */
export interface ScoredFile {
  name: string;
  scores: ArrayLike<number>;
  windows: [number, number][];
}

export const PROBATION_PERCENT = 0.15;

export function probationLength(rows: number, percent = PROBATION_PERCENT): number {
  return Math.min(Math.floor(percent * rows), percent * 5000);
}

/** 2·sigmoid(−5x) − 1: +0.987 at −1 (left edge of a window), 0 at its right edge, −0.987 one width past it. */
export function scaledSigmoid(x: number): number {
  if (x >= 3) return -1;
  return 2 / (1 + Math.exp(5 * x)) - 1;
}

/** Per row: its window id (−1 outside, −2 probationary) and its weighted value if detected. */
interface RowValues {
  window: Int32Array;
  value: Float64Array;
}

function rowValues(rows: number, windows: [number, number][], cost: CostMatrix): RowValues {
  const window = new Int32Array(rows).fill(-1);
  const value = new Float64Array(rows);
  const maxTP = scaledSigmoid(-1);
  const sorted = [...windows].sort((a, b) => a[0] - b[0]);
  let w = 0;
  let prevRight = -1;
  let prevWidth = 0;
  for (let i = 0; i < rows; i++) {
    while (w < sorted.length && sorted[w]![1] < i) {
      prevRight = sorted[w]![1];
      prevWidth = sorted[w]![1] - sorted[w]![0] + 1;
      w++;
    }
    const cur = sorted[w];
    if (cur && cur[0] <= i && i <= cur[1]) {
      const width = cur[1] - cur[0] + 1;
      window[i] = w;
      value[i] = (scaledSigmoid(-(cur[1] - i + 1) / width) * cost.tpWeight) / maxTP;
    } else {
      const pos = prevRight < 0 ? 3 : Math.abs(prevRight - i) / Math.max(1, prevWidth - 1);
      value[i] = scaledSigmoid(pos) * cost.fpWeight;
    }
  }
  const prob = probationLength(rows);
  for (let i = 0; i < Math.min(rows, prob); i++) window[i] = -2;
  return { window, value };
}

interface ScoredRow {
  score: number;
  /** global window id, −1 = outside windows */
  window: number;
  value: number;
}

function scorable(files: ScoredFile[], cost: CostMatrix): { rows: ScoredRow[]; windows: number } {
  const rows: ScoredRow[] = [];
  let windows = 0;
  for (const f of files) {
    const n = f.scores.length;
    const { window, value } = rowValues(n, f.windows, cost);
    const ids = new Map<number, number>();
    for (let i = 0; i < n; i++) {
      const w = window[i]!;
      if (w === -2) continue;
      let id = -1;
      if (w >= 0) {
        if (!ids.has(w)) ids.set(w, windows + ids.size);
        id = ids.get(w)!;
      }
      rows.push({ score: f.scores[i]!, window: id, value: value[i]! });
    }
    windows += ids.size;
  }
  return { rows, windows };
}

export interface ThresholdResult {
  threshold: number;
  /** raw (unnormalised) score at that threshold */
  raw: number;
  tp: number;
  fp: number;
  fn: number;
}

export interface CorpusScore extends ThresholdResult {
  /** 100·(raw − null)/(perfect − null) */
  score: number;
  windows: number;
  nullRaw: number;
  perfectRaw: number;
}

/**
 * Sweeps every distinct score as a threshold (from above the highest, i.e. no detections, down) and keeps the
 * one with the best summed raw score over all files. tp/fp/fn count windows detected, false-positive rows, windows
 * missed.
 */
export function scoreCorpus(files: ScoredFile[], cost: CostMatrix, fixedThreshold?: number): CorpusScore {
  const { rows, windows } = scorable(files, cost);
  rows.sort((a, b) => b.score - a.score);
  const best = new Float64Array(windows).fill(-cost.fnWeight);
  let fpSum = 0;
  let winSum = -cost.fnWeight * windows;
  let tp = 0;
  let fp = 0;
  let top: ThresholdResult = { threshold: Infinity, raw: winSum, tp: 0, fp: 0, fn: windows };
  const consider = (threshold: number) => {
    const raw = fpSum + winSum;
    const r = { threshold, raw, tp, fp, fn: windows - tp };
    if (fixedThreshold !== undefined) {
      if (threshold >= fixedThreshold) top = r;
    } else if (raw > top.raw) top = r;
  };
  for (let i = 0; i < rows.length; ) {
    const t = rows[i]!.score;
    if (fixedThreshold !== undefined && t < fixedThreshold) break;
    for (; i < rows.length && rows[i]!.score === t; i++) {
      const r = rows[i]!;
      if (r.window < 0) {
        fpSum += r.value;
        fp++;
      } else {
        const b = best[r.window]!;
        if (b === -cost.fnWeight) tp++;
        if (r.value > b) {
          winSum += r.value - b;
          best[r.window] = r.value;
        }
      }
    }
    consider(t);
  }
  const nullRaw = -cost.fnWeight * windows;
  const perfectRaw = cost.tpWeight * windows;
  const score = windows === 0 ? 0 : (100 * (top.raw - nullRaw)) / (perfectRaw - nullRaw);
  return { ...top, score, windows, nullRaw, perfectRaw };
}

/** Inclusive row ranges of windows given as [start, end] timestamps (ms), matched to the file's timestamps. */
export function windowRows(timestamps: ArrayLike<number>, windows: [number, number][]): [number, number][] {
  const out: [number, number][] = [];
  for (const [start, end] of windows) {
    let a = -1;
    let b = -1;
    for (let i = 0; i < timestamps.length; i++) {
      const t = timestamps[i]!;
      if (a < 0 && t >= start) a = i;
      if (t <= end) b = i;
    }
    if (a >= 0 && b >= a) out.push([a, b]);
  }
  return out;
}
