import type { AnomalyKind, FaultKind, Finding } from '../../model/evidence.js';
import type { MetricSeries, Span } from '../../model/telemetry.js';
import { detectAnomaly, type DetectOptions, type MetricAnomaly } from '../metric-anomaly.js';
import { analyzeTraces, type LatencyStats, type TraceAnomaly } from '../trace-analysis.js';
import { topology, type Topology } from './changes.js';
import type { ExpertContext } from './types.js';
import { finalize, fmtDelta, fmtNum, fmtValue, fullRange, hhmm, SourceGuard } from './util.js';

const GOLDEN: Record<string, { opts: DetectOptions; signal: 'latency' | 'errors' | 'throughput' }> = {
  latency_p95_ms: { signal: 'latency', opts: { direction: 'up', relFloor: 0.05, minRelChange: 0.3, minAbsChange: 5 } },
  error_rate: { signal: 'errors', opts: { direction: 'up', minScale: 0.005, relFloor: 0, minRelChange: 0, minAbsChange: 0.02 } },
  throughput_rpm: { signal: 'throughput', opts: { direction: 'both', minRelChange: 0.3, minScale: 1 } },
};

const ms = (x: number) => `${fmtNum(x)} ms`;
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Symptom hints by component kind: slow databases and failing caches are typical of their own faults. */
function kindHints(topo: Topology, svc: string, signal: string): FaultKind[] {
  const kind = topo.services.get(svc)?.kind;
  if (kind === 'external') return ['third_party_timeout'];
  if (kind === 'database' && signal !== 'throughput') return ['db_connection_exhaustion'];
  if (kind === 'cache') return ['cache_outage'];
  return [];
}

/**
 * Expert 'traces': per-service latency / error / throughput anomalies (SERVER spans and golden-signal metrics),
 * per-edge network gaps (CLIENT minus child SERVER time: the link is slow while the callee is not), and calls to
 * external services, which have no spans of their own.
 */
export async function tracesExpert(ctx: ExpertContext): Promise<Finding[]> {
  const topo = topology(ctx.cmdb);
  const range = fullRange(ctx);
  const guard = new SourceGuard();
  const spans = await guard.read(() => ctx.connectors.traces.spans(range));
  const metrics = await guard.read(() => ctx.connectors.metrics.query(range));
  guard.rethrowIfAllFailed();
  const out = new Map<string, Finding>();
  const merge = (f: Finding) => {
    const prev = out.get(f.id);
    if (!prev) return void out.set(f.id, f);
    const [hi, lo] = prev.score >= f.score ? [prev, f] : [f, prev];
    // Metrics aggregate every request; sampled spans are noisier, so a metric's onset dates the anomaly.
    const dated = prev.series ? prev : f.series ? f : hi;
    out.set(f.id, {
      ...hi,
      onsetMs: dated.onsetMs,
      evidence: [...hi.evidence, ...lo.evidence.filter((e) => !hi.evidence.includes(e))].slice(0, 4),
      series: hi.series ?? lo.series,
      faultHints: [...new Set([...hi.faultHints, ...lo.faultHints])],
    });
  };
  for (const s of metrics ?? []) {
    const f = goldenFinding(ctx, topo, s);
    if (f) merge(f);
  }
  if (spans) for (const f of spanFindings(ctx, topo, spans)) merge(f);
  return finalize([...out.values()]);
}

function goldenFinding(ctx: ExpertContext, topo: Topology, s: MetricSeries): Finding | null {
  const g = GOLDEN[s.metric];
  if (!g || !topo.services.has(s.entity)) return null;
  const a = detectAnomaly(s.points, ctx.baseline, ctx.window, g.opts);
  if (!a) return null;
  const v = (x: number) => fmtValue(s.metric, x);
  const anomaly: AnomalyKind = g.signal === 'throughput' ? a.kind : g.signal;
  const what = { latency: 'p95 latency', errors: 'error rate', throughput: 'throughput' }[g.signal];
  return {
    id: `traces:${s.entity}:${g.signal}`,
    expert: 'traces',
    component: s.entity,
    signal: s.metric,
    anomaly,
    summary: `${what} of ${s.entity} ${a.direction === 'up' ? 'up' : 'down'} ${v(a.baseline)} → ${v(a.current)} from ${hhmm(a.onsetMs)}`,
    evidence: [`${s.metric} ${v(a.baseline)} → ${v(a.current)}${fmtDelta(s.metric, a.baseline, a.current)} from ${hhmm(a.onsetMs)} (peak ${v(a.peak)})`],
    score: a.score * (g.signal === 'throughput' ? 0.8 : 1),
    onsetMs: a.onsetMs,
    direction: a.direction,
    faultHints: kindHints(topo, s.entity, g.signal),
    series: { entity: s.entity, metric: s.metric },
  };
}

function statLine(label: string, b: LatencyStats, w: LatencyStats, errors: boolean): string {
  return errors
    ? `${label} errors ${pct(b.errorRate)} → ${pct(w.errorRate)} (${w.errors}/${w.count} spans)`
    : `${label} p50 ${ms(b.p50)} → ${ms(w.p50)}, p95 ${ms(b.p95)} → ${ms(w.p95)}`;
}

function spanFindings(ctx: ExpertContext, topo: Topology, spans: Span[]): Finding[] {
  const ta = analyzeTraces(spans, ctx.baseline, ctx.window);
  const out: Finding[] = [];
  const opAnoms = ta.anomalies.filter((x) => x.target === 'operation');
  const worstOp = (svc: string, signal: TraceAnomaly['signal']) => opAnoms.find((x) => x.service === svc && x.signal === signal);
  const svcStats = new Map(ta.services.map((s) => [s.service, s]));

  for (const x of ta.anomalies) {
    const a: MetricAnomaly = x.anomaly;
    if (x.target === 'service') {
      const svc = x.service!;
      const errors = x.signal === 'errors';
      const evidence = [
        `${statLine('SERVER spans', x.baseline, x.window, errors)} from ${hhmm(a.onsetMs)}`,
      ];
      const op = worstOp(svc, x.signal);
      if (op && ta.operations.filter((o) => o.service === svc).length > 1) {
        evidence.push(statLine(`worst operation ${op.operation}`, op.baseline, op.window, errors));
      }
      out.push({
        id: `traces:${svc}:${errors ? 'errors' : 'latency'}`,
        expert: 'traces',
        component: svc,
        signal: op?.operation ?? (errors ? 'error_rate' : 'latency'),
        anomaly: errors ? 'errors' : 'latency',
        summary: errors
          ? `${svc} failing: ${pct(x.baseline.errorRate)} → ${pct(x.window.errorRate)} of requests from ${hhmm(a.onsetMs)}`
          : `${svc} slower: p95 ${ms(x.baseline.p95)} → ${ms(x.window.p95)} from ${hhmm(a.onsetMs)}`,
        evidence,
        score: a.score,
        onsetMs: a.onsetMs,
        direction: 'up',
        faultHints: kindHints(topo, svc, x.signal),
      });
      continue;
    }
    if (x.target !== 'edge') continue;
    const caller = x.caller!;
    const callee = x.callee!;
    // callees without SERVER spans (external services, databases, caches, queues) are seen only from the caller
    const uninstrumented = !svcStats.has(callee);
    const calleeKind = topo.services.get(callee)?.kind ?? 'external';
    if (x.signal === 'network_gap') {
      // the callee is steady when its own server time shows no slowdown starting with (or before) the gap
      const callee0 = svcStats.get(callee);
      const calleeAnom = ta.anomalies.find((y) => y.target === 'service' && y.service === callee && y.signal === 'latency');
      const calleeSteady = !calleeAnom || calleeAnom.anomaly.onsetMs > a.onsetMs + 2 * 60_000;
      const hints: FaultKind[] = ['network_latency'];
      if (topo.services.get(callee)?.kind === 'database') hints.push('db_connection_exhaustion');
      const evidence = [`network gap on ${caller}->${callee}: p50 ${ms(x.baseline.p50)} → ${ms(x.window.p50)} from ${hhmm(a.onsetMs)}`];
      if (callee0 && !calleeAnom) {
        evidence.push(`${callee} server time p50 ${ms(callee0.baseline.p50)} → ${ms(callee0.window.p50)} (normal)`);
      } else if (calleeAnom && calleeSteady) {
        evidence.push(`${callee} server time normal when the gap appeared (its own slowdown starts ${hhmm(calleeAnom.anomaly.onsetMs)})`);
      } else if (calleeAnom) {
        evidence.push(`${callee} server time also up from ${hhmm(calleeAnom.anomaly.onsetMs)}: p95 ${ms(calleeAnom.baseline.p95)} → ${ms(calleeAnom.window.p95)}`);
      }
      out.push({
        id: `traces:${caller}->${callee}:gap`,
        expert: 'traces',
        component: `${caller}->${callee}`,
        signal: 'network_gap_ms',
        anomaly: 'edge_latency',
        summary: `Calls ${caller} → ${callee} spend ${ms(x.window.p50)} on the wire (was ${ms(x.baseline.p50)}) while ${callee} itself is ${calleeSteady ? 'not slower' : 'slower too'}`,
        evidence,
        score: a.score * (calleeSteady ? 1 : 0.75),
        onsetMs: a.onsetMs,
        direction: 'up',
        faultHints: hints,
      });
    } else if (uninstrumented) {
      const errors = x.signal === 'client_errors';
      const ext = calleeKind === 'external';
      const what = ext ? `external ${callee}` : `${calleeKind} ${callee}`;
      out.push({
        id: `traces:${callee}:${errors ? 'errors' : 'latency'}`,
        expert: 'traces',
        component: callee,
        signal: errors ? 'client_errors' : 'client_latency',
        anomaly: errors ? 'errors' : 'latency',
        summary: errors
          ? `Calls from ${caller} to ${what} failing: ${pct(x.baseline.errorRate)} → ${pct(x.window.errorRate)} from ${hhmm(a.onsetMs)}`
          : `Calls from ${caller} to ${what} slower: p95 ${ms(x.baseline.p95)} → ${ms(x.window.p95)} from ${hhmm(a.onsetMs)}`,
        evidence: [`${statLine(`CLIENT spans ${caller}->${callee}`, x.baseline, x.window, errors)} from ${hhmm(a.onsetMs)}`],
        score: a.score,
        onsetMs: a.onsetMs,
        direction: 'up',
        faultHints: topo.services.has(callee) ? kindHints(topo, callee, x.signal) : ['third_party_timeout'],
      });
    }
  }
  return out;
}
