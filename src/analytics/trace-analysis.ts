import type { MetricPoint, Span, TimeWindow } from '../model/telemetry.js';
import { detectAnomaly, type DetectOptions, type MetricAnomaly } from './metric-anomaly.js';
import { mean, quantileSorted } from './robust.js';

/** Service call graph, per-operation and per-edge latency/error statistics, and robust anomalies from spans. */

export interface CallEdge {
  caller: string;
  callee: string;
  calls: number;
  errors: number;
}
export interface CallGraph {
  services: string[];
  edges: CallEdge[];
  callees: Map<string, string[]>;
  callers: Map<string, string[]>;
}

export interface LatencyStats {
  count: number;
  errors: number;
  errorRate: number;
  p50: number;
  p95: number;
  mean: number;
}

/** One call over a link: the CLIENT span's duration and, when its child SERVER span is known, the callee's time. */
export interface EdgeSample {
  caller: string;
  callee: string;
  ts: number;
  clientMs: number;
  serverMs?: number;
  /** clientMs − serverMs: time on the wire (and in queues) rather than in the callee */
  gapMs?: number;
  error: boolean;
}

export type TraceSignal = 'latency' | 'errors' | 'network_gap' | 'client_latency' | 'client_errors';
export interface TraceAnomaly {
  target: 'service' | 'operation' | 'edge';
  signal: TraceSignal;
  service?: string;
  operation?: string;
  caller?: string;
  callee?: string;
  anomaly: MetricAnomaly;
  /** stats of the signal's raw values (durations or gaps, ms): the baseline, and the window from the onset on */
  baseline: LatencyStats;
  window: LatencyStats;
}

export interface EdgeComparison {
  caller: string;
  callee: string;
  /** whether the callee emits SERVER spans (false for external services) */
  calleeInstrumented: boolean;
  baseline: { client: LatencyStats; gap: LatencyStats };
  window: { client: LatencyStats; gap: LatencyStats };
}

export interface TraceAnalysis {
  graph: CallGraph;
  services: { service: string; baseline: LatencyStats; window: LatencyStats }[];
  operations: { service: string; operation: string; baseline: LatencyStats; window: LatencyStats }[];
  edges: EdgeComparison[];
  /** sorted by score, strongest first */
  anomalies: TraceAnomaly[];
}

export interface TraceAnalysisOptions {
  bucketMs?: number;
  latency?: DetectOptions;
  errors?: DetectOptions;
  gap?: DetectOptions;
}

const dur = (s: Span): number => s.endMs - s.startMs;
const inW = (ts: number, w: TimeWindow): boolean => ts >= w.fromMs && ts < w.toMs;
const spanKey = (traceId: string, spanId: string): string => `${traceId}/${spanId}`;
export const edgeKey = (caller: string, callee: string): string => `${caller}->${callee}`;

export function latencyStats(durations: readonly number[], errors: number): LatencyStats {
  const s = [...durations].sort((a, b) => a - b);
  const count = s.length;
  return {
    count,
    errors,
    errorRate: count ? errors / count : 0,
    p50: count ? quantileSorted(s, 0.5) : NaN,
    p95: count ? quantileSorted(s, 0.95) : NaN,
    mean: count ? mean(s) : NaN,
  };
}

/** CLIENT (and PRODUCER) spans with their callee (peer.service, else the child's service) and child SERVER span. */
export function edgeSamples(spans: readonly Span[]): EdgeSample[] {
  const children = new Map<string, Span[]>();
  for (const s of spans) {
    if (!s.parentSpanId) continue;
    const k = spanKey(s.traceId, s.parentSpanId);
    const list = children.get(k);
    if (list) list.push(s);
    else children.set(k, [s]);
  }
  const out: EdgeSample[] = [];
  for (const s of spans) {
    if (s.kind !== 'CLIENT' && s.kind !== 'PRODUCER') continue;
    const server = children.get(spanKey(s.traceId, s.spanId))?.find((c) => c.kind === 'SERVER' && c.service !== s.service);
    const peer = s.attributes['peer.service'];
    const callee = typeof peer === 'string' && peer ? peer : server?.service;
    if (!callee || callee === s.service) continue;
    const e: EdgeSample = { caller: s.service, callee, ts: s.startMs, clientMs: dur(s), error: s.status === 'ERROR' };
    if (server) {
      e.serverMs = dur(server);
      e.gapMs = Math.max(0, e.clientMs - e.serverMs);
    }
    out.push(e);
  }
  return out;
}

/** Call graph from CLIENT spans' peer.service and from parent/child links that cross services. */
export function callGraph(spans: readonly Span[]): CallGraph {
  const byId = new Map<string, Span>();
  for (const s of spans) byId.set(spanKey(s.traceId, s.spanId), s);
  const edges = new Map<string, CallEdge>();
  const services = new Set<string>();
  const add = (caller: string, callee: string, error: boolean) => {
    const k = edgeKey(caller, callee);
    let e = edges.get(k);
    if (!e) edges.set(k, (e = { caller, callee, calls: 0, errors: 0 }));
    e.calls++;
    if (error) e.errors++;
  };
  for (const s of spans) services.add(s.service);
  for (const e of edgeSamples(spans)) {
    services.add(e.callee);
    add(e.caller, e.callee, e.error);
  }
  // links with no CLIENT span in between (a SERVER span whose parent lives in another service)
  for (const s of spans) {
    if (!s.parentSpanId || s.kind !== 'SERVER') continue;
    const p = byId.get(spanKey(s.traceId, s.parentSpanId));
    if (p && p.kind !== 'CLIENT' && p.service !== s.service) add(p.service, s.service, s.status === 'ERROR');
  }
  const list = [...edges.values()].sort((a, b) => edgeKey(a.caller, a.callee).localeCompare(edgeKey(b.caller, b.callee)));
  const callees = new Map<string, string[]>();
  const callers = new Map<string, string[]>();
  for (const e of list) {
    callees.set(e.caller, [...(callees.get(e.caller) ?? []), e.callee]);
    callers.set(e.callee, [...(callers.get(e.callee) ?? []), e.caller]);
  }
  return { services: [...services].sort(), edges: list, callees, callers };
}

interface Sample {
  ts: number;
  value: number;
  error: boolean;
}

/** Aggregates samples per bucket into a series: p95 of values, median of values, or the error share. */
export function bucketSeries(samples: readonly Sample[], agg: 'p95' | 'p50' | 'error_rate', bucketMs = 60_000): MetricPoint[] {
  const buckets = new Map<number, Sample[]>();
  for (const s of samples) {
    const b = Math.floor(s.ts / bucketMs) * bucketMs;
    const l = buckets.get(b);
    if (l) l.push(s);
    else buckets.set(b, [s]);
  }
  return [...buckets.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([ts, l]) => {
      if (agg === 'error_rate') return { ts, value: l.filter((x) => x.error).length / l.length };
      const v = l.map((x) => x.value).sort((a, b) => a - b);
      return { ts, value: quantileSorted(v, agg === 'p95' ? 0.95 : 0.5) };
    });
}

function stats(samples: readonly Sample[], w: TimeWindow): LatencyStats {
  const inside = samples.filter((s) => inW(s.ts, w));
  return latencyStats(inside.map((s) => s.value), inside.filter((s) => s.error).length);
}

function group<K>(items: readonly Sample[], keys: readonly K[]): Map<K, Sample[]> {
  const m = new Map<K, Sample[]>();
  items.forEach((s, i) => {
    const k = keys[i]!;
    const l = m.get(k);
    if (l) l.push(s);
    else m.set(k, [s]);
  });
  return m;
}

/**
 * Per-minute series of small samples are noisy: an excursion must also show in the pooled spans since its onset
 * (p95 up ≥ 30 % and ≥ 10 ms; error share at least doubled, +2 points, and ≥ 3 Poisson σ above the baseline share).
 */
function latencyConfirmed(b: LatencyStats, w: LatencyStats): boolean {
  return b.count === 0 || (w.p95 >= 1.3 * b.p95 && w.p95 - b.p95 >= 10);
}
function errorsConfirmed(b: LatencyStats, w: LatencyStats): boolean {
  const p0 = (b.errors + 1) / (b.count + 2);
  const expected = w.count * p0;
  return (
    w.errorRate >= Math.max(2 * b.errorRate, b.errorRate + 0.02) && w.errors - expected >= 3 * Math.sqrt(Math.max(expected, 1))
  );
}

const LATENCY: DetectOptions = { direction: 'up', relFloor: 0.05, minRelChange: 0.3, minAbsChange: 5 };
const ERRORS: DetectOptions = { direction: 'up', minScale: 0.01, relFloor: 0, minRelChange: 0, minAbsChange: 0.03 };
const GAP: DetectOptions = { direction: 'up', minScale: 1, relFloor: 0.05, minRelChange: 0.5, minAbsChange: 10 };

/**
 * Compares `window` against `baseline` for every service (SERVER spans), operation and edge, running the metric
 * detector on per-minute series (p95 latency, error share, median network gap).
 */
export function analyzeTraces(
  spans: readonly Span[],
  baseline: TimeWindow,
  window: TimeWindow,
  options: TraceAnalysisOptions = {},
): TraceAnalysis {
  const bucketMs = options.bucketMs ?? 60_000;
  const lat = { ...LATENCY, ...options.latency };
  const err = { ...ERRORS, ...options.errors };
  const gapO = { ...GAP, ...options.gap };
  const relevant = spans.filter((s) => inW(s.startMs, baseline) || inW(s.startMs, window));
  const graph = callGraph(relevant);
  const anomalies: TraceAnomaly[] = [];
  const detect = (
    samples: Sample[],
    base: Omit<TraceAnomaly, 'anomaly' | 'baseline' | 'window' | 'signal'>,
    sig: { latency: TraceSignal; errors: TraceSignal },
  ) => {
    const bs = stats(samples, baseline);
    const ws = stats(samples, window);
    if (ws.count === 0) return { bs, ws };
    const since = (m: MetricAnomaly) => stats(samples, { fromMs: m.onsetMs, toMs: window.toMs });
    const a = detectAnomaly(bucketSeries(samples, 'p95', bucketMs), baseline, window, lat);
    const as = a && since(a);
    if (a && as && latencyConfirmed(bs, as)) anomalies.push({ ...base, signal: sig.latency, anomaly: a, baseline: bs, window: as });
    const e = detectAnomaly(bucketSeries(samples, 'error_rate', bucketMs), baseline, window, err);
    const es = e && since(e);
    if (e && es && errorsConfirmed(bs, es)) anomalies.push({ ...base, signal: sig.errors, anomaly: e, baseline: bs, window: es });
    return { bs, ws };
  };

  const server = relevant.filter((s) => s.kind === 'SERVER');
  const serverSamples = server.map((s) => ({ ts: s.startMs, value: dur(s), error: s.status === 'ERROR' }));
  const services: TraceAnalysis['services'] = [];
  for (const [service, samples] of [...group(serverSamples, server.map((s) => s.service))].sort()) {
    const { bs, ws } = detect(samples, { target: 'service', service }, { latency: 'latency', errors: 'errors' });
    services.push({ service, baseline: bs, window: ws });
  }
  const operations: TraceAnalysis['operations'] = [];
  const opKeys = server.map((s) => `${s.service}\u0000${s.name}`);
  for (const [k, samples] of [...group(serverSamples, opKeys)].sort()) {
    const [service, operation] = k.split('\u0000') as [string, string];
    const { bs, ws } = detect(samples, { target: 'operation', service, operation }, { latency: 'latency', errors: 'errors' });
    operations.push({ service, operation, baseline: bs, window: ws });
  }

  const instrumented = new Set(server.map((s) => s.service));
  const es = edgeSamples(relevant);
  const edges: EdgeComparison[] = [];
  for (const [k, list] of [...group(
    es.map((e) => ({ ts: e.ts, value: e.clientMs, error: e.error })),
    es.map((e) => edgeKey(e.caller, e.callee)),
  )].sort()) {
    const first = es.find((e) => edgeKey(e.caller, e.callee) === k)!;
    const { caller, callee } = first;
    const { bs, ws } = detect(list, { target: 'edge', caller, callee }, { latency: 'client_latency', errors: 'client_errors' });
    const gaps = es
      .filter((e) => e.gapMs !== undefined && e.caller === caller && e.callee === callee)
      .map((e) => ({ ts: e.ts, value: e.gapMs!, error: e.error }));
    const gb = stats(gaps, baseline);
    const gw = stats(gaps, window);
    if (gw.count > 0) {
      const a = detectAnomaly(bucketSeries(gaps, 'p50', bucketMs), baseline, window, gapO);
      const since = a && stats(gaps, { fromMs: a.onsetMs, toMs: window.toMs });
      if (a && since && since.p50 >= Math.max(1.5 * gb.p50, gb.p50 + (gapO.minAbsChange ?? 0))) {
        anomalies.push({ target: 'edge', signal: 'network_gap', caller, callee, anomaly: a, baseline: gb, window: since });
      }
    }
    edges.push({
      caller, callee, calleeInstrumented: instrumented.has(callee),
      baseline: { client: bs, gap: gb }, window: { client: ws, gap: gw },
    });
  }
  anomalies.sort((a, b) => b.anomaly.score - a.anomaly.score || a.anomaly.onsetMs - b.anomaly.onsetMs);
  return { graph, services, operations, edges, anomalies };
}
