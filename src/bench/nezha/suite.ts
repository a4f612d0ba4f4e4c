import path from 'node:path';
import { renderTable } from '../table.js';
import type { BenchSuite } from '../types.js';
import { analyzeCase, discountChronic, type CaseResult } from './analyze.js';
import { FUSION, rankServices, typicalScores } from './rank.js';
import { caseWindows, datasetRoot, inRange, listDays, loadFaults, loadLogs, loadMetrics, loadSpans, minuteFiles, selectFiles, type NezhaFault, type PodLog } from './data.js';
import type { Span } from '../../model/telemetry.js';

/** Parameters, chosen once for every case and fault type (see README.md in this folder). */
export const NEZHA_PARAMS = {
  /** telemetry analysed after inject_time */
  windowMs: 10 * 60_000,
  /** the case's own telemetry before inject_time added to the fault-free baseline (never before the previous injection) */
  preMs: 0,
  /** metric baseline before inject_time (one row a minute) */
  metricBaselineMs: 30 * 60_000,
  /** metric window after inject_time */
  metricWindowMs: 5 * 60_000,
  /** the window starts this long before inject_time (the recorded time can trail the fault's first effects) */
  leadMs: 60_000,
  /** 1: patterns already changed in the pre-inject minutes do not count (a second reference); 0: off */
  recentCheck: 0,
  /** 1: discount each service's median evidence over the day's cases; 0: off */
  typical: 1,
  /** 1: discount pattern changes by their median surprise over the day's cases; 0: off */
  chronic: 0,
  /** 1: WARN/ERROR logs naming another service count as evidence about that service; 0: off */
  blameNamed: 0,
  /** see FUSION in rank.ts */
  propagation: FUSION.propagation,
  explainedShare: FUSION.explainedShare,
};
export type NezhaParams = typeof NEZHA_PARAMS;

/** NEZHA_PARAMS with numeric overrides from `--param key=value`. */
export function nezhaParams(params: Record<string, string> = {}): NezhaParams {
  const p = { ...NEZHA_PARAMS };
  for (const [k, v] of Object.entries(params)) {
    if (!(k in p)) continue;
    const n = Number(v);
    if (!Number.isFinite(n)) throw new Error(`--param ${k} takes a number, got "${v}"`);
    (p as Record<string, number>)[k] = n;
  }
  return p;
}

const extentMinutes = (ts: number[], from: number, to: number) => (ts.length ? Math.min(to, Math.max(...ts)) - Math.max(from, Math.min(...ts)) : 0) / 60_000;

export interface CaseOutcome {
  fault: NezhaFault;
  rank: number;
  top: string[];
  seconds: number;
  result: CaseResult;
}

export async function runNezha(root: string, progress: (line: string) => void, onCase?: (o: CaseOutcome) => void, P: NezhaParams = NEZHA_PARAMS): Promise<CaseOutcome[]> {
  const { rca, construct } = listDays(root);
  const outcomes: CaseOutcome[] = [];
  for (const day of rca) {
    const faults = loadFaults(root, day);
    if (faults.length === 0) continue;
    const rcaDir = path.join(root, 'rca_data', day);
    // fault-free telemetry of the same day when present, else of any construct day
    const cDay = construct.includes(day) ? day : construct[0];
    let cLogs: PodLog[] = [];
    let cSpans: Span[] = [];
    let cMinutes = 0;
    if (cDay) {
      progress(`nezha ${day}: reading fault-free telemetry of ${cDay}`);
      const cDir = path.join(root, 'construct_data', cDay);
      const all = { fromMs: -Infinity, toMs: Infinity };
      cLogs = await loadLogs(minuteFiles(path.join(cDir, 'log'), cDay, 'log'), all);
      cSpans = await loadSpans(minuteFiles(path.join(cDir, 'trace'), cDay, 'trace'), all);
      const ts = cSpans.map((s) => s.startMs);
      cMinutes = ts.length ? (Math.max(...ts) - Math.min(...ts)) / 60_000 : 0;
    }
    progress(`nezha ${day}: reading metrics`);
    const first = faults[0]!.injectMs;
    const last = faults[faults.length - 1]!.injectMs;
    const metrics = await loadMetrics(path.join(rcaDir, 'metric'), { fromMs: first - P.metricBaselineMs, toMs: last + P.metricWindowMs });
    const logFiles = minuteFiles(path.join(rcaDir, 'log'), day, 'log');
    const traceFiles = minuteFiles(path.join(rcaDir, 'trace'), day, 'trace');
    const dayCases: { fault: NezhaFault; result: CaseResult; seconds: number }[] = [];
    for (const [i, fault] of faults.entries()) {
      progress(`nezha ${day} case ${i + 1}/${faults.length}: ${fault.injectTime} ${fault.type}`);
      const started = performance.now();
      // telemetry after the next injection belongs to the next case, before the previous one to the previous case
      const next = faults[i + 1]?.injectMs ?? Infinity;
      const prev = faults[i - 1]?.injectMs ?? -Infinity;
      const start = fault.injectMs - P.leadMs;
      const w = caseWindows(start, Math.min(P.windowMs, next - P.leadMs - start), Math.min(P.preMs, start - prev));
      const range = { fromMs: w.baseline.fromMs, toMs: w.window.toMs };
      const logs = await loadLogs(selectFiles(logFiles, range), range);
      const spans = await loadSpans(selectFiles(traceFiles, range), range);
      const preLogs = logs.filter((l) => inRange(l.ts, w.baseline));
      const preSpans = spans.filter((s) => inRange(s.startMs, w.baseline));
      const winLogs = logs.filter((l) => inRange(l.ts, w.window));
      const winSpans = spans.filter((s) => inRange(s.startMs, w.window));
      const result = analyzeCase({
        injectMs: fault.injectMs,
        baselineLogs: [...cLogs, ...preLogs],
        baselineSpans: [...cSpans, ...preSpans],
        baselineMinutes: cMinutes + extentMinutes(preSpans.map((s) => s.startMs), w.baseline.fromMs, w.baseline.toMs),
        ...(P.recentCheck ? { recentLogs: preLogs, recentSpans: preSpans } : {}),
        windowFromMs: w.window.fromMs,
        blameNamed: P.blameNamed === 1,
        windowLogs: winLogs,
        windowSpans: winSpans,
        windowMinutes: extentMinutes([start, ...winSpans.map((s) => s.startMs)], w.window.fromMs, w.window.toMs),
        metrics,
        metricBaseline: { fromMs: fault.injectMs - P.metricBaselineMs, toMs: fault.injectMs },
        metricWindow: { fromMs: fault.injectMs, toMs: fault.injectMs + Math.min(P.metricWindowMs, next - fault.injectMs) },
      });
      dayCases.push({ fault, result, seconds: (performance.now() - started) / 1000 });
    }
    FUSION.propagation = P.propagation;
    FUSION.explainedShare = P.explainedShare;
    // second pass: discount what each service shows in every case of the day (unlabelled), then rank
    const started = performance.now();
    if (P.chronic) discountChronic(dayCases.map((c) => c.result.features));
    const typical = P.typical ? typicalScores(dayCases.map((c) => c.result.features)) : new Map<string, number>();
    for (const c of dayCases) c.result.ranked = rankServices(c.result.features, c.result.graph, typical);
    const rerankSeconds = (performance.now() - started) / 1000 / Math.max(1, dayCases.length);
    for (const { fault, result, seconds } of dayCases) {
      const top = result.ranked.map((r) => r.service);
      const rank = top.indexOf(fault.service) + 1;
      const o: CaseOutcome = { fault, rank, top: top.slice(0, 5), seconds: seconds + rerankSeconds, result };
      outcomes.push(o);
      onCase?.(o);
    }
  }
  return outcomes;
}

const share = (x: number, n: number) => (n === 0 ? 0 : Math.round((x / n) * 1000) / 1000);

/** Nezha TrainTicket multi-modal RCA: AC@1/3/5 per fault type and overall, seconds per case. */
export const nezhaSuite: BenchSuite = {
  name: 'nezha',
  description: 'Nezha TrainTicket RCA (metrics+logs+traces): service-level AC@1/3/5 per fault type (--data DIR)',
  async run({ config, data, progress, params }) {
    const root = datasetRoot(data, config.datasetsDir);
    const outcomes = await runNezha(root, progress, undefined, nezhaParams(params));
    const types = [...new Set(outcomes.map((o) => o.fault.type))].sort();
    const row = (name: string, os: CaseOutcome[]) => {
      const n = os.length;
      const hit = (k: number) => share(os.filter((o) => o.rank > 0 && o.rank <= k).length, n);
      return { name, cases: n, ac1: hit(1), ac3: hit(3), ac5: hit(5), secondsPerCase: share(os.reduce((a, o) => a + o.seconds, 0), n) };
    };
    const rows = [...types.map((t) => row(t, outcomes.filter((o) => o.fault.type === t))), row('all', outcomes)];
    const overall = rows[rows.length - 1]!;
    const table = renderTable(['fault type', 'cases', 'AC@1', 'AC@3', 'AC@5', 's/case'], rows.map((r) => [r.name, r.cases, r.ac1, r.ac3, r.ac5, r.secondsPerCase]));
    const misses = outcomes.filter((o) => o.rank !== 1);
    const missText = misses.length
      ? `\n\nNot first:\n${misses.map((o) => `  ${o.fault.injectTime} ${o.fault.type} ${o.fault.service}: rank ${o.rank || '-'}; top ${o.top.slice(0, 3).join(', ')}`).join('\n')}`
      : '';
    const published = 'Published (Nezha, FSE 2023, TrainTicket service level): AC@1 0.867, AC@3 0.978';
    return {
      suite: 'nezha',
      text: `Nezha TrainTicket RCA, ${root}\n\n${table}\n\n${published}${missText}`,
      json: {
        summary: { cases: overall.cases, ac1: overall.ac1, ac3: overall.ac3, ac5: overall.ac5, secondsPerCase: overall.secondsPerCase },
        byType: Object.fromEntries(rows.map((r) => [r.name, r])),
        cases: outcomes.map((o) => ({ day: o.fault.day, injectTime: o.fault.injectTime, type: o.fault.type, service: o.fault.service, rank: o.rank, top: o.top, evidence: o.result.ranked[0]?.evidence ?? [], seconds: Math.round(o.seconds * 1000) / 1000 })),
      },
    };
  },
};
