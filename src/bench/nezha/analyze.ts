import type { MetricSeries, Span, TimeWindow } from '../../model/telemetry.js';
import type { PodLog } from './data.js';
import { TemplateMiner } from '../../analytics/log-templates.js';
import { addLogPairs, addSpanPairs, condChanges, emptyCond, LEVEL_WEIGHT, metricScore, selfTimeShift, type PatternChange, type ServiceFeatures } from './features.js';
import { callGraphFromSpans, rankServices, type RankedService } from './rank.js';

/** One fault case's telemetry, already cut to its windows. */
export interface CaseTelemetry {
  injectMs: number;
  /** fault-free logs and spans (construct_data plus the case's own minutes before inject_time) */
  baselineLogs: PodLog[];
  baselineSpans: Span[];
  baselineMinutes: number;
  /** the case's own minutes just before inject_time (also part of the baseline above); a second reference */
  recentLogs?: PodLog[];
  recentSpans?: Span[];
  /** attribute WARN/ERROR logs that name another service to that service */
  blameNamed?: boolean;
  /** window start (default injectMs) */
  windowFromMs?: number;
  /** from inject_time on */
  windowLogs: PodLog[];
  windowSpans: Span[];
  windowMinutes: number;
  /** per pod series; the metric windows below */
  metrics: Map<string, MetricSeries[]>;
  metricBaseline: TimeWindow;
  metricWindow: TimeWindow;
}

export interface CaseResult {
  ranked: RankedService[];
  features: ServiceFeatures[];
  graph: Map<string, Set<string>>;
}


export function analyzeCase(c: CaseTelemetry): CaseResult {
  const minutes = { baseline: Math.max(c.baselineMinutes, 0.1), window: Math.max(c.windowMinutes, 0.1) };
  // system-wide traffic ratio from span rates, so a service's own drop in traffic stays visible as vanished patterns
  const traffic = c.baselineSpans.length > 0 && c.windowSpans.length > 0 ? (c.windowSpans.length / minutes.window) / (c.baselineSpans.length / minutes.baseline) : 1;
  void traffic;
  const miner = new TemplateMiner();
  const spanOp = new Map<string, string>();
  for (const s of [...c.baselineSpans, ...c.windowSpans]) spanOp.set(`${s.traceId}/${s.spanId}`, s.name);
  const cb = emptyCond(minutes.baseline);
  const cw = emptyCond(minutes.window);
  cw.fromMs = c.windowFromMs ?? c.injectMs;
  addSpanPairs(cb, c.baselineSpans);
  addSpanPairs(cw, c.windowSpans);
  const known = c.blameNamed ? new Set([...c.baselineSpans, ...c.windowSpans].map((s) => s.service)) : undefined;
  addLogPairs(cb, c.baselineLogs, spanOp, miner, known);
  addLogPairs(cw, c.windowLogs, spanOp, miner, known);
  let recent: ReturnType<typeof emptyCond> | undefined;
  if (c.recentSpans?.length) {
    recent = emptyCond(0);
    addSpanPairs(recent, c.recentSpans);
    addLogPairs(recent, c.recentLogs ?? [], spanOp, miner, known);
  }
  const changes = condChanges(cb, cw, recent);
  const self = selfTimeShift(c.baselineSpans, c.windowSpans);
  const services = new Set<string>();
  for (const e of [...cb.pairs.values(), ...cw.pairs.values()]) services.add(e.service);
  const metricByService = new Map<string, { score: number; metric: string; onsetMs: number }>();
  for (const [, series] of c.metrics) {
    const svc = series[0]?.entity;
    if (!svc) continue;
    services.add(svc);
    const m = metricScore(series, c.metricBaseline, c.metricWindow);
    const cur = metricByService.get(svc);
    if (!cur || m.score > cur.score) metricByService.set(svc, m);
  }
  const features: ServiceFeatures[] = [];
  for (const service of [...services].sort()) {
    const m = metricByService.get(service) ?? { score: 0, metric: '', onsetMs: Infinity };
    features.push({
      service, logNew: 0, logVanished: 0, traceNew: 0, traceVanished: 0,
      selfTime: self.get(service)?.log2 ?? 0,
      metric: m.score,
      metricName: m.metric,
      metricOnsetMs: m.onsetMs,
      onsetMs: Infinity,
      changes: changes.get(service) ?? [],
      traffic,
    });
    summarizeChanges(features[features.length - 1]!);
  }
  const graph = callGraphFromSpans([...c.baselineSpans, ...c.windowSpans]);
  return { ranked: rankServices(features, graph), features, graph };
}

const isTrace = (x: PatternChange) => x.key.includes('\u0001>');
const levelOf = (key: string) => LEVEL_WEIGHT[(key.split('\u0001')[1]?.split(' ')[0] ?? 'INFO') as keyof typeof LEVEL_WEIGHT] ?? 0.3;

/**
 * Sets the per-modality numbers of `f` from its pattern changes: the strongest single change counts (a sum would
 * reward services that merely log a lot). New/surging logs weigh by level (a surge half as much as a new pattern);
 * vanished patterns weigh fully whatever their level (a skipped code path logs nothing at all).
 */
export function summarizeChanges(f: ServiceFeatures): void {
  f.changes.sort((a, b) => b.surprise - a.surprise);
  const strongest = (xs: PatternChange[], up: boolean, w: (x: PatternChange) => number) =>
    xs.filter((x) => (up ? x.kind !== 'vanished' : x.kind === 'vanished')).reduce((a, x) => Math.max(a, w(x) * x.surprise), 0);
  const lc = f.changes.filter((x) => !isTrace(x));
  const tc = f.changes.filter(isTrace);
  f.logNew = strongest(lc, true, (x) => levelOf(x.key) * (x.kind === 'new' ? 1 : 0.5));
  f.logVanished = strongest(lc, false, () => 1);
  f.traceNew = strongest(tc, true, (x) => (x.kind === 'new' ? 1 : 0.5));
  f.traceVanished = strongest(tc, false, () => 1);
  f.onsetMs = f.changes[0]?.onsetMs ?? Infinity;
}

/**
 * Pattern changes seen in most of a day's cases are chronic (the short fault-free baseline missed that part of the
 * workload), not a fault's: each change keeps only the surprise above its median over the day's cases (labels unused).
 */
export function discountChronic(cases: readonly (readonly ServiceFeatures[])[], minCases = 5): void {
  if (cases.length < minCases) return;
  const per = new Map<string, number[]>();
  const id = (svc: string, c: PatternChange) => `${svc}\u0002${c.key}\u0002${c.kind === 'vanished' ? 'down' : 'up'}`;
  for (const fs of cases) for (const f of fs) for (const c of f.changes) {
    const k = id(f.service, c);
    let a = per.get(k);
    if (!a) per.set(k, (a = []));
    a.push(c.surprise);
  }
  const med = new Map<string, number>();
  for (const [k, xs] of per) {
    while (xs.length < cases.length) xs.push(0);
    xs.sort((a, b) => a - b);
    med.set(k, xs[Math.floor((xs.length - 1) / 2)]!);
  }
  for (const fs of cases) for (const f of fs) {
    f.changes = f.changes.map((c) => ({ ...c, surprise: Math.max(0, c.surprise - (med.get(id(f.service, c)) ?? 0)) })).filter((c) => c.surprise > 0);
    summarizeChanges(f);
  }
}
