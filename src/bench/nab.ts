import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { normalTail, scoreSeries, type StreamingDetectorOptions } from '../analytics/streaming-detector.js';
import { NAB_PROFILES, probationLength, scoreCorpus, windowRows, type CostMatrix, type Profiles, type ScoredFile } from './nab-score.js';
import { renderTable } from './table.js';
import type { BenchSuite } from './types.js';

export interface NabSeries {
  /** "<group>/<name>.csv" as in NAB's label files */
  name: string;
  timestamps: number[];
  /** the timestamps as written in the file */
  stamps: string[];
  values: number[];
  /** inclusive row ranges of the labelled windows */
  windows: [number, number][];
}

/** NAB timestamps are "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC. */
export function parseNabTime(s: string): number {
  return Date.parse(`${s.trim().replace(' ', 'T').replace(/\.\d+$/, '')}Z`);
}

async function readLines(file: string): Promise<string[]> {
  const input = file.endsWith('.gz') ? createReadStream(file).pipe(createGunzip()) : createReadStream(file);
  const lines: string[] = [];
  for await (const line of createInterface({ input, crlfDelay: Infinity })) lines.push(line);
  return lines;
}

export async function loadNab(dir: string): Promise<{ series: NabSeries[]; profiles: Profiles; published: Record<string, Record<string, number>> }> {
  const labels = JSON.parse(await readFile(path.join(dir, 'labels', 'combined_windows.json'), 'utf8')) as Record<string, [string, string][]>;
  const series: NabSeries[] = [];
  for (const name of Object.keys(labels).sort()) {
    const base = path.join(dir, 'data', name);
    const file = existsSync(base) ? base : `${base}.gz`;
    const lines = await readLines(file);
    const timestamps: number[] = [];
    const stamps: string[] = [];
    const values: number[] = [];
    for (const line of lines.slice(1)) {
      if (!line.trim()) continue;
      const comma = line.indexOf(',');
      stamps.push(line.slice(0, comma));
      timestamps.push(parseNabTime(line.slice(0, comma)));
      values.push(Number(line.slice(comma + 1)));
    }
    const windows = windowRows(
      timestamps,
      labels[name]!.map(([a, b]) => [parseNabTime(a), parseNabTime(b)]),
    );
    series.push({ name, timestamps, stamps, values, windows });
  }
  const profiles: Profiles = {};
  const profilesFile = path.join(dir, 'profiles.json');
  if (existsSync(profilesFile)) {
    const raw = JSON.parse(await readFile(profilesFile, 'utf8')) as Record<string, { CostMatrix: CostMatrix }>;
    for (const [k, v] of Object.entries(raw)) profiles[k] = { tpWeight: v.CostMatrix.tpWeight, fpWeight: v.CostMatrix.fpWeight, fnWeight: v.CostMatrix.fnWeight };
  }
  const publishedFile = path.join(dir, 'published_final_results.json');
  const published = existsSync(publishedFile) ? (JSON.parse(await readFile(publishedFile, 'utf8')) as Record<string, Record<string, number>>) : {};
  return { series, profiles: Object.keys(profiles).length ? profiles : NAB_PROFILES, published };
}

/** NAB's "Windowed Gaussian" baseline, reimplemented from its description: a Gaussian over the last 6,400 values,
 * refreshed every 100 points; the score is 1 − the tail probability of the value's |z|. */
export function windowedGaussian(values: ArrayLike<number>, windowSize = 6400, stepSize = 100): Float64Array {
  const out = new Float64Array(values.length);
  let window: number[] = [];
  let buffer: number[] = [];
  let mean = 0;
  let std = 1;
  const refresh = () => {
    mean = window.reduce((a, b) => a + b, 0) / window.length;
    std = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / window.length) || 0.000001;
  };
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    if (window.length > 0) {
      // the tail probability comes from a table in steps of 0.1 σ, 0 beyond 7 σ (as NAB's likelihood helper does)
      const z = Math.round((10 * Math.abs(x - mean)) / std) / 10;
      out[i] = z > 7 ? 1 : 1 - normalTail(z);
    }
    if (window.length < windowSize) {
      window.push(x);
      refresh();
    } else {
      buffer.push(x);
      if (buffer.length === stepSize) {
        window = window.slice(stepSize).concat(buffer);
        buffer = [];
        refresh();
      }
    }
  }
  return out;
}

export type NabDetector = (s: NabSeries) => Float64Array;

export function nabDetectors(options: StreamingDetectorOptions = {}): Record<string, NabDetector> {
  return {
    sreCopilot: (s) => scoreSeries(s.timestamps, s.values, { probation: probationLength(s.values.length), ...options }),
    windowedGaussian: (s) => windowedGaussian(s.values),
  };
}

/** Rows labelled 1 inside a window, for NAB's results layout. */
function labelsOf(s: NabSeries): Uint8Array {
  const out = new Uint8Array(s.values.length);
  for (const [a, b] of s.windows) out.fill(1, a, b + 1);
  return out;
}

async function writeResults(out: string, detector: string, s: NabSeries, scores: ArrayLike<number>): Promise<void> {
  const [group, file] = s.name.split('/') as [string, string];
  const dir = path.join(out, detector, group);
  await mkdir(dir, { recursive: true });
  const labels = labelsOf(s);
  const rows = ['timestamp,value,anomaly_score,label'];
  for (let i = 0; i < s.values.length; i++) rows.push(`${s.stamps[i]},${s.values[i]},${scores[i]},${labels[i]}`);
  await writeFile(path.join(dir, `${detector}_${file}`), `${rows.join('\n')}\n`);
}

const ANCHORS: [string, string][] = [
  ['ARTime', 'ARTime'],
  ['numenta', 'Numenta HTM'],
  ['contextOSE', 'CAD OSE'],
  ['knncad', 'KNN-CAD'],
  ['randomCutForest', 'Random Cut Forest'],
  ['twitterADVec', 'Twitter ADVec'],
  ['windowedGaussian', 'Windowed Gaussian'],
  ['random', 'Random'],
];

const PROFILE_ORDER = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'];

/** Detector options from suite params, e.g. --param baselineWindow=800 (for exploring; the defaults are what is reported). */
function optionsFromParams(params: Record<string, string>): StreamingDetectorOptions {
  const keys = ['baselineWindow', 'lag', 'shortWindow', 'likelihoodWindow', 'historyWindow', 'suppress', 'damp', 'seasonalGain', 'tailCount', 'spikeWeight', 'patternBins', 'patternWindow'] as const;
  const out: StreamingDetectorOptions = {};
  for (const k of keys) if (params[k] !== undefined) out[k] = Number(params[k]);
  return out;
}

export const nabSuite: BenchSuite = {
  name: 'nab',
  description: 'Numenta Anomaly Benchmark: 58 series, NAB score per profile (param detectors=sreCopilot,windowedGaussian)',
  async run({ config, data, out, params, progress }) {
    const dir = data ?? path.join(config.datasetsDir, 'nab');
    if (!existsSync(path.join(dir, 'labels', 'combined_windows.json'))) throw new Error(`no NAB data in ${dir} (expected labels/combined_windows.json and data/<group>/<name>.csv)`);
    progress('loading NAB');
    const { series, profiles, published } = await loadNab(dir);
    const all = nabDetectors(optionsFromParams(params));
    const names = (params.detectors ?? Object.keys(all).join(',')).split(',').map((d) => d.trim());
    for (const n of names) if (!all[n]) throw new Error(`unknown NAB detector "${n}"; choose from ${Object.keys(all).join(', ')}`);
    const results: Record<string, Record<string, { score: number; threshold: number; tp: number; fp: number; fn: number }>> = {};
    const perFile: Record<string, Record<string, number>> = {};
    for (const name of names) {
      const files: ScoredFile[] = [];
      for (const [k, s] of series.entries()) {
        progress(`${name} [${k + 1}/${series.length}] ${s.name}`);
        const scores = all[name]!(s);
        files.push({ name: s.name, scores, windows: s.windows });
        if (out) await writeResults(out, name, s, scores);
      }
      results[name] = {};
      for (const p of PROFILE_ORDER.filter((p) => profiles[p])) {
        const r = scoreCorpus(files, profiles[p]!);
        results[name][p] = { score: round(r.score), threshold: r.threshold, tp: r.tp, fp: r.fp, fn: r.fn };
      }
      // per-file standard score at the corpus threshold, for looking at where a detector wins and loses
      const t = results[name].standard?.threshold;
      if (t !== undefined && profiles.standard) {
        perFile[name] = Object.fromEntries(files.map((f) => [f.name, round(scoreCorpus([f], profiles.standard!, t).raw)]));
      }
    }
    const rows: (string | number)[][] = [];
    for (const name of names) rows.push([`${name} (this run)`, ...PROFILE_ORDER.map((p) => results[name]![p]?.score ?? NaN), results[name]!.standard?.threshold ?? NaN, `${results[name]!.standard?.tp}/${results[name]!.standard?.fp}/${results[name]!.standard?.fn}`]);
    for (const [key, label] of ANCHORS) {
      const p = published[key];
      if (p) rows.push([`${label} (published)`, ...PROFILE_ORDER.map((q) => round(p[q] ?? NaN)), '', '']);
    }
    const windows = series.reduce((a, s) => a + s.windows.length, 0);
    const table = renderTable(['detector', 'standard', 'low FP', 'low FN', 'threshold', 'TP/FP rows/FN (std)'], rows);
    const head = names[0]!;
    const summary = Object.fromEntries(PROFILE_ORDER.map((p) => [p, results[head]![p]?.score ?? null]));
    return {
      suite: 'nab',
      text: `NAB score, ${series.length} series, ${windows} windows (detector ${head} first; threshold optimised per detector and profile over the corpus)\n\n${table}`,
      json: { summary, detector: head, detectors: results, perFile },
    };
  },
};

function round(x: number): number {
  return Math.round(x * 100) / 100;
}
