import { TemplateMiner } from '../../analytics/log-templates.js';
import { detectAnomaly, type DetectOptions } from '../../analytics/metric-anomaly.js';
import { median } from '../../analytics/robust.js';
import type { LogLevel, LogRecord, MetricSeries, Span, TimeWindow } from '../../model/telemetry.js';

/**
 * Per-service evidence of one fault window against a fault-free baseline, one number per modality:
 *  - log patterns (Nezha's idea on logs): templates new in the window, templates whose expected count vanished;
 *  - trace patterns: operations and service-to-service call patterns that appear or vanish, and the service's own
 *    (exclusive) span time, which does not propagate to callers the way inclusive latency does;
 *  - metrics: the project's robust detector on CPU, latency, memory and network per pod.
 */

export interface PatternChange {
  key: string;
  label: string;
  baseline: number;
  window: number;
  expected: number;
  /** −log10 of the Poisson tail probability of the change (appearance or vanishing) */
  surprise: number;
  kind: 'new' | 'vanished' | 'surge';
  /** new/surge: first window record; vanished: last window record (window start when none) */
  onsetMs?: number;
}

export interface ServiceFeatures {
  service: string;
  logNew: number;
  logVanished: number;
  traceNew: number;
  traceVanished: number;
  /** log2 of the window/baseline ratio of the service's exclusive span time (strongest operation) */
  selfTime: number;
  /** strongest metric anomaly score in [0,1] with its metric */
  metric: number;
  metricName: string;
  metricOnsetMs: number;
  /** first new/vanished-pattern evidence time (ms), Infinity when none */
  onsetMs: number;
  changes: PatternChange[];
  /** traffic ratio window/baseline (records per minute) */
  traffic: number;
}

export const LEVEL_WEIGHT: Record<LogLevel, number> = { FATAL: 1, ERROR: 1, WARN: 0.6, INFO: 0.3, DEBUG: 0.2 };

/** log10 of the Poisson upper tail P(X ≥ k; λ) (k ≥ 1) or lower tail P(X ≤ k; λ), as a positive surprise. */
export function poissonSurprise(k: number, lambda: number, tail: 'upper' | 'lower'): number {
  const lam = Math.max(lambda, 1e-9);
  // log P(X = i)
  const logP = (i: number) => -lam + i * Math.log(lam) - logFact(i);
  let p = 0;
  if (tail === 'lower') for (let i = 0; i <= k; i++) p += Math.exp(logP(i));
  else {
    let s = 0;
    for (let i = 0; i < k; i++) s += Math.exp(logP(i));
    p = Math.max(0, 1 - s);
    if (p === 0) p = Math.exp(logP(k));
  }
  return Math.min(30, -Math.log10(Math.max(p, 1e-30)));
}
function logFact(n: number): number {
  let s = 0;
  for (let i = 2; i <= n; i++) s += Math.log(i);
  return s;
}

/** The longest known service name other than `own` that the message mentions as a whole word. */
export function namedService(message: string, own: string, services: ReadonlySet<string>): string | undefined {
  let best: string | undefined;
  for (const s of services) {
    if (s === own || (best && s.length <= best.length)) continue;
    const i = message.indexOf(s);
    if (i < 0) continue;
    const before = message[i - 1];
    const after = message[i + s.length];
    if ((before === undefined || !/[\w-]/.test(before)) && (after === undefined || !/[\w-]/.test(after))) best = s;
  }
  return best;
}

/**
 * Conditional patterns (Nezha's event patterns, conditioned on the operation that emits them): for a log, the pair
 * (service operation of its span → level + code location / template); for a span, (parent operation → child
 * service:operation). Counting a child per execution of its parent makes the comparison independent of how often
 * the workload happens to call each operation: a pattern is anomalous when its share of its parent's executions
 * changed, not when the traffic mix changed.
 */
export interface CondCounts {
  minutes: number;
  parent: Map<string, number>;
  /** pair key → { service the pattern belongs to, parent key, count, label } */
  pairs: Map<string, { service: string; parent: string; count: number; label: string; firstMs: number; lastMs: number }>;
  /** start of the counted window (onset of patterns that vanished at once) */
  fromMs?: number;
}

export function emptyCond(minutes: number): CondCounts {
  return { minutes, parent: new Map(), pairs: new Map() };
}

function bumpPair(c: CondCounts, service: string, parent: string, child: string, label: string, ts: number): void {
  const key = `${parent}\u0001${child}`;
  const e = c.pairs.get(key);
  if (e) {
    e.count++;
    e.firstMs = Math.min(e.firstMs, ts);
    e.lastMs = Math.max(e.lastMs, ts);
  } else c.pairs.set(key, { service, parent, count: 1, label, firstMs: ts, lastMs: ts });
}

const CODE_LOC = /^(\S+#\d+)\s/;

/** Log key: the logger#line code location when the message starts with one, else the miner's template id. */
export function logKey(message: string, miner: TemplateMiner): string {
  const m = CODE_LOC.exec(message);
  return m ? m[1]! : `tpl:${miner.add(message)}`;
}

/** Adds spans' parent→child pairs and their parents' execution counts. */
export function addSpanPairs(c: CondCounts, spans: readonly Span[]): void {
  const byId = new Map<string, Span>();
  for (const s of spans) byId.set(`${s.traceId}/${s.spanId}`, s);
  for (const s of spans) c.parent.set(`${s.service}|${s.name}`, (c.parent.get(`${s.service}|${s.name}`) ?? 0) + 1);
  for (const s of spans) {
    const p = s.parentSpanId ? byId.get(`${s.traceId}/${s.parentSpanId}`) : undefined;
    if (!p) continue;
    bumpPair(c, p.service, `${p.service}|${p.name}`, `>${s.service}:${s.name}`, `${p.name} → ${s.service}:${s.name}`, s.startMs);
  }
}

/** Adds logs as (operation of their span → level + code location) pairs; spanOp maps traceId/spanId → operation. */
export function addLogPairs(c: CondCounts, logs: readonly LogRecord[], spanOp: Map<string, string>, miner: TemplateMiner, services?: ReadonlySet<string>): void {
  for (const l of logs) {
    const sid = (l as LogRecord & { spanId?: string }).spanId;
    const op = (l.traceId && sid && spanOp.get(`${l.traceId}/${sid}`)) || '*';
    const parent = `${l.service}|${op}`;
    if (op === '*') c.parent.set(parent, (c.parent.get(parent) ?? 0) + 1);
    // a caller's error that names another service ("No instances available for ts-x", "connection refused: ts-x")
    // is evidence about that service
    const named = services && (l.level === 'ERROR' || l.level === 'WARN' || l.level === 'FATAL') ? namedService(l.message, l.service, services) : undefined;
    const owner = named ?? l.service;
    bumpPair(c, owner, parent, `${l.level} ${logKey(l.message, miner)}${named ? ` @${named}` : ''}`, `[${op}] ${l.level} ${l.message.slice(0, 140)}`, l.ts);
  }
}

/**
 * Pattern changes of every service, conditioned on the parent's executions. A parent seen fewer than `minParent`
 * times in the baseline gives no basis (the workload, not the fault, decides whether it runs) and is skipped.
 */
export function condChanges(b: CondCounts, w: CondCounts, recent?: CondCounts, opts = { minParent: 5, minSurprise: 2 }): Map<string, PatternChange[]> {
  const out = new Map<string, PatternChange[]>();
  const push = (svc: string, ch: PatternChange) => {
    let a = out.get(svc);
    if (!a) out.set(svc, (a = []));
    a.push(ch);
  };
  /** surprise of the window's count against one reference, signed by direction; null without a basis */
  const against = (ref: CondCounts, key: string, parent: string, wc: number, wp: number) => {
    const bp = ref.parent.get(parent) ?? 0;
    if (bp < opts.minParent) return null;
    const bc = ref.pairs.get(key)?.count ?? 0;
    const expected = ((bc + 0.5) / (bp + 1)) * wp;
    return wc > expected
      ? { bc, expected, up: true, s: poissonSurprise(wc, expected, 'upper') }
      : { bc, expected, up: false, s: bc > 0 ? poissonSurprise(wc, expected, 'lower') : 0 };
  };
  const keys = new Set([...b.pairs.keys(), ...w.pairs.keys()]);
  for (const key of keys) {
    const e = (w.pairs.get(key) ?? b.pairs.get(key))!;
    const wp = w.parent.get(e.parent) ?? 0;
    if (wp === 0) continue;
    const wc = w.pairs.get(key)?.count ?? 0;
    const r = against(b, key, e.parent, wc, wp);
    if (!r || r.s < opts.minSurprise) continue;
    // a change already under way in the minutes just before the injection is not this fault's doing
    const rr = recent ? against(recent, key, e.parent, wc, wp) : null;
    const s = rr ? (rr.up === r.up ? Math.min(r.s, rr.s) : 0) : r.s;
    if (s < opts.minSurprise) continue;
    const we = w.pairs.get(key);
    const onsetMs = r.up ? we?.firstMs : (we?.lastMs ?? w.fromMs);
    push(e.service, { key, label: e.label, baseline: r.bc, window: wc, expected: r.expected, surprise: s, kind: r.up ? (r.bc === 0 ? 'new' : 'surge') : 'vanished', ...(onsetMs !== undefined ? { onsetMs } : {}) });
  }
  for (const a of out.values()) a.sort((x, y) => y.surprise - x.surprise);
  return out;
}

/** Exclusive time of each span: its duration minus the union-free sum of its children's (floored at 0). */
export function selfTimes(spans: readonly Span[]): Map<Span, number> {
  const childSum = new Map<string, number>();
  for (const s of spans) {
    if (!s.parentSpanId) continue;
    const k = `${s.traceId}/${s.parentSpanId}`;
    childSum.set(k, (childSum.get(k) ?? 0) + (s.endMs - s.startMs));
  }
  const out = new Map<Span, number>();
  for (const s of spans) out.set(s, Math.max(0, s.endMs - s.startMs - (childSum.get(`${s.traceId}/${s.spanId}`) ?? 0)));
  return out;
}

/** Per service: the strongest log2 ratio of median exclusive time (window vs baseline) over its operations. */
export function selfTimeShift(baseline: readonly Span[], window: readonly Span[], minSamples = 5): Map<string, { log2: number; op: string; base: number; now: number }> {
  const group = (spans: readonly Span[]) => {
    const st = selfTimes(spans);
    const g = new Map<string, number[]>();
    for (const s of spans) {
      const k = `${s.service}\u0000${s.name}`;
      let a = g.get(k);
      if (!a) g.set(k, (a = []));
      a.push(st.get(s)!);
    }
    return g;
  };
  const gb = group(baseline);
  const gw = group(window);
  const out = new Map<string, { log2: number; op: string; base: number; now: number }>();
  for (const [k, w] of gw) {
    const b = gb.get(k);
    if (!b || b.length < minSamples || w.length < minSamples) continue;
    const [service, op] = k.split('\u0000') as [string, string];
    const mb = median(b);
    const mw = median(w);
    // 1 ms floor: sub-millisecond self times are timer noise
    const r = Math.log2((mw + 1) / (mb + 1));
    const cur = out.get(service);
    if (!cur || r > cur.log2) out.set(service, { log2: r, op, base: mb, now: mw });
  }
  return out;
}

/** Metrics the detector looks at, with the direction a fault moves them. */
export const METRIC_CHECKS: { metric: string; opts: DetectOptions }[] = [
  { metric: 'CpuUsageRate(%)', opts: { direction: 'up', minAbsChange: 5 } },
  { metric: 'MemoryUsageRate(%)', opts: { direction: 'up', minAbsChange: 5 } },
];

/** The strongest metric anomaly of one pod in `window` against `baseline` (the detector's score in [0,1]). */
export function metricScore(series: readonly MetricSeries[], baseline: TimeWindow, window: TimeWindow): { score: number; metric: string; onsetMs: number } {
  let best = { score: 0, metric: '', onsetMs: Infinity };
  for (const c of METRIC_CHECKS) {
    const s = series.find((x) => x.metric === c.metric);
    if (!s) continue;
    const a = detectAnomaly(s.points, baseline, window, { n: 3, k: 2, ...c.opts });
    if (a && a.kind !== 'spike' && a.score > best.score) best = { score: a.score, metric: `${c.metric} ${fmt(a.baseline)}→${fmt(a.current)}`, onsetMs: a.onsetMs };
  }
  return best;
}
const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(1) : x.toPrecision(2));
