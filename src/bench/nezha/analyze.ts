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

const LOG_NEW_HALF = 3;
const VANISH_HALF = 6;

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
  addSpanPairs(cb, c.baselineSpans);
  addSpanPairs(cw, c.windowSpans);
  addLogPairs(cb, c.baselineLogs, spanOp, miner);
  addLogPairs(cw, c.windowLogs, spanOp, miner);
  let recent: ReturnType<typeof emptyCond> | undefined;
  if (c.recentSpans?.length) {
    recent = emptyCond(0);
    addSpanPairs(recent, c.recentSpans);
    addLogPairs(recent, c.recentLogs ?? [], spanOp, miner);
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
    const all = changes.get(service) ?? [];
    const isTrace = (x: PatternChange) => x.key.includes('\u0001>');
    const lc = all.filter((x) => !isTrace(x));
    const tc = all.filter(isTrace);
    // the strongest single change counts (a sum would reward services that merely log a lot)
    const sum = (xs: typeof lc, kind: 'new' | 'vanished', w: (x: (typeof lc)[number]) => number, _half: number) =>
      xs.filter((x) => (kind === 'new' ? x.kind !== 'vanished' : x.kind === 'vanished')).reduce((a, x) => Math.max(a, w(x) * x.surprise), 0);
    const levelOf = (key: string) => LEVEL_WEIGHT[(key.split('\u0001')[1]?.split(' ')[0] ?? 'INFO') as keyof typeof LEVEL_WEIGHT] ?? 0.3;
    const m = metricByService.get(service) ?? { score: 0, metric: '', onsetMs: Infinity };
    features.push({
      service,
      logNew: sum(lc, 'new', (x) => levelOf(x.key) * (x.kind === 'new' ? 1 : 0.5), LOG_NEW_HALF),
      logVanished: sum(lc, 'vanished', () => 1, VANISH_HALF),
      traceNew: sum(tc, 'new', (x) => (x.kind === 'new' ? 1 : 0.5), LOG_NEW_HALF),
      traceVanished: sum(tc, 'vanished', () => 1, VANISH_HALF),
      selfTime: self.get(service)?.log2 ?? 0,
      metric: m.score,
      metricName: m.metric,
      metricOnsetMs: m.onsetMs,
      onsetMs: Infinity,
      changes: [...lc, ...tc].sort((a, b) => b.surprise - a.surprise),
      traffic,
    });
  }
  const graph = callGraphFromSpans([...c.baselineSpans, ...c.windowSpans]);
  return { ranked: rankServices(features, graph), features, graph };
}
