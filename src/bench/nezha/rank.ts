import type { Span } from '../../model/telemetry.js';
import type { Finding } from '../../model/evidence.js';
import type { ServiceFeatures } from './features.js';

/**
 * Fuses per-service evidence on the call graph discovered from the traces. A fault's symptoms travel upstream (a
 * caller waits for, or fails with, its callee), so among anomalous services the root cause is the one whose own
 * patterns changed while the services it calls stayed normal (the downstream-most anomalous node), and it changed first.
 */

export const FUSION = {
  /** weights of the modalities in the evidence score */
  log: 1,
  trace: 1,
  selfTime: 1,
  metric: 2,
  /** a service with a downstream service (any depth) at least `explainedShare` as anomalous as itself is likely a
   *  victim of it: its score is multiplied by 1 − propagation */
  propagation: 0.5,
  explainedShare: 0.5,
};

/** Services reachable from `s` over caller→callee edges (excluding s). */
export function descendants(graph: Map<string, Set<string>>, s: string): Set<string> {
  const seen = new Set<string>();
  const stack = [...(graph.get(s) ?? [])];
  while (stack.length) {
    const x = stack.pop()!;
    if (x === s || seen.has(x)) continue;
    seen.add(x);
    stack.push(...(graph.get(x) ?? []));
  }
  return seen;
}

export interface RankedService {
  service: string;
  score: number;
  evidence: string[];
  findings: Finding[];
}

/** caller → callees from parent/child spans in different services. */
export function callGraphFromSpans(spans: readonly Span[]): Map<string, Set<string>> {
  const byId = new Map<string, Span>();
  for (const s of spans) byId.set(`${s.traceId}/${s.spanId}`, s);
  const g = new Map<string, Set<string>>();
  for (const s of spans) {
    const p = s.parentSpanId ? byId.get(`${s.traceId}/${s.parentSpanId}`) : undefined;
    if (!p || p.service === s.service) continue;
    let set = g.get(p.service);
    if (!set) g.set(p.service, (set = new Set()));
    set.add(s.service);
  }
  return g;
}

const sat = (x: number, half: number) => (x <= 0 ? 0 : x / (x + half));

/** Evidence strength of one service in [0, ~5]. */
export function evidenceScore(f: ServiceFeatures): number {
  return (
    FUSION.log * sat(Math.max(f.logNew, f.logVanished), 10) +
    FUSION.trace * sat(Math.max(f.traceNew, f.traceVanished), 10) +
    FUSION.selfTime * sat(Math.max(0, f.selfTime - 0.5), 1) +
    FUSION.metric * f.metric
  );
}

/**
 * Ranks services of one case. `typical` is each service's usual evidence score (its median over the day's cases,
 * labels unused): a service that always looks changed against the short fault-free baseline (its workload varies)
 * only counts with what it shows beyond that.
 */
export function rankServices(features: readonly ServiceFeatures[], graph: Map<string, Set<string>>, typical: Map<string, number> = new Map()): RankedService[] {
  const e = new Map(features.map((f) => [f.service, Math.max(0, evidenceScore(f) - (typical.get(f.service) ?? 0))]));
  const out: RankedService[] = [];
  for (const f of features) {
    const own = e.get(f.service)!;
    const down = Math.max(0, ...[...descendants(graph, f.service)].map((c) => e.get(c) ?? 0));
    const explained = own > 0 && down >= FUSION.explainedShare * own;
    const score = own * (explained ? 1 - FUSION.propagation : 1);
    const evidence = [
      ...(f.metric > 0 ? [`metric ${f.metricName} (score ${f.metric.toFixed(2)})`] : []),
      ...(f.selfTime > 0.5 ? [`own span time ×${(2 ** f.selfTime).toFixed(1)}`] : []),
      ...f.changes.slice(0, 3).map((c) => `${c.kind} ${c.key.includes('\u0001>') ? 'trace' : 'log'} pattern "${c.label.slice(0, 80)}" ${c.baseline}→${c.window} (expected ${c.expected.toFixed(1)})`),
    ];
    out.push({ service: f.service, score, evidence, findings: toFindings(f) });
  }
  return out.sort((a, b) => b.score - a.score || a.service.localeCompare(b.service));
}

/** Each service's median evidence score over a set of cases (0 with fewer than `minCases`). */
export function typicalScores(cases: readonly (readonly ServiceFeatures[])[], minCases = 5): Map<string, number> {
  const out = new Map<string, number>();
  if (cases.length < minCases) return out;
  const per = new Map<string, number[]>();
  for (const fs of cases) for (const f of fs) {
    let a = per.get(f.service);
    if (!a) per.set(f.service, (a = []));
    a.push(evidenceScore(f));
  }
  for (const [svc, xs] of per) {
    while (xs.length < cases.length) xs.push(0);
    xs.sort((a, b) => a - b);
    out.set(svc, xs[Math.floor((xs.length - 1) / 2)]!);
  }
  return out;
}

const clamp01 = (x: number) => Math.max(0, Math.min(1, x));

/** The service's strongest observations as the project's Findings (for reports and the shared ranking). */
export function toFindings(f: ServiceFeatures, max = 3): Finding[] {
  const out: Finding[] = [];
  if (f.metric > 0) {
    out.push({
      id: `${f.service}:metric`, expert: 'metrics', component: f.service, signal: f.metricName.split(' ')[0] ?? 'metric', anomaly: 'level_shift',
      summary: `${f.service}: ${f.metricName}`, evidence: [f.metricName], score: clamp01(f.metric), onsetMs: Number.isFinite(f.metricOnsetMs) ? f.metricOnsetMs : 0,
      direction: 'up', faultHints: f.metricName.startsWith('Cpu') ? ['cpu_saturation'] : [],
    });
  }
  for (const c of f.changes.slice(0, max)) {
    const trace = c.key.includes('\u0001>');
    out.push({
      id: `${f.service}:${c.key}`, expert: trace ? 'traces' : 'logs', component: f.service, signal: c.key.split('\u0001')[1] ?? c.key,
      anomaly: c.kind === 'new' ? (trace ? 'errors' : 'new_template') : c.kind === 'surge' ? 'template_surge' : 'kpi_drop',
      summary: `${c.kind} pattern in ${f.service}: ${c.label.slice(0, 120)}`,
      evidence: [`${c.baseline} in the baseline → ${c.window} in the window (expected ${c.expected.toFixed(1)}), surprise ${c.surprise.toFixed(1)}`],
      score: clamp01(c.surprise / (c.surprise + 10)), onsetMs: c.onsetMs ?? 0, ...(c.kind === 'vanished' ? { direction: 'down' as const } : { direction: 'up' as const }),
      faultHints: [],
    });
  }
  return out;
}
