import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { FindingSchema } from '../../model/evidence.js';
import { gauss, rng } from '../test-util.js';
import { at, contextFor, metricsCsv, otlpLine, telemetryDir, type SpanSpec } from './fixture.js';
import { tracesExpert } from './traces.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

/** web → api (network delay +250 ms from minute 70) → db, and api → bank-gateway (slow from minute 75). */
function spansJsonl(): string {
  const r = rng(5);
  const lines: string[] = [];
  for (let m = 0; m < 90; m++) {
    const spans: SpanSpec[] = [];
    for (let k = 0; k < 6; k++) {
      const t = at(m, k * 9);
      const traceId = `${m}-${k}`;
      const wire = m >= 70 ? 250 + 10 * Math.abs(gauss(r)) : 1 + Math.abs(gauss(r));
      const db = 3 + Math.abs(gauss(r));
      const bank = m >= 75 ? 3000 + 100 * Math.abs(gauss(r)) : 300 + 20 * Math.abs(gauss(r));
      const api = 10 + db + bank + 2 * Math.abs(gauss(r));
      const s = t + 2 + wire / 2;
      spans.push(
        { service: 'web', traceId, spanId: 'a', name: 'POST /checkout', kind: 'SERVER', startMs: t, durMs: api + wire + 6 },
        { service: 'web', traceId, spanId: 'b', parentSpanId: 'a', name: 'POST /orders', kind: 'CLIENT', startMs: t + 2, durMs: api + wire, peer: 'api' },
        { service: 'api', traceId, spanId: 'c', parentSpanId: 'b', name: 'POST /orders', kind: 'SERVER', startMs: s, durMs: api },
        { service: 'api', traceId, spanId: 'd', parentSpanId: 'c', name: 'SELECT', kind: 'CLIENT', startMs: s + 1, durMs: db + 0.4, peer: 'db' },
        { service: 'db', traceId, spanId: 'e', parentSpanId: 'd', name: 'SELECT', kind: 'SERVER', startMs: s + 1.2, durMs: db },
        { service: 'api', traceId, spanId: 'f', parentSpanId: 'c', name: 'POST /v2/authorisations', kind: 'CLIENT', startMs: s + 6, durMs: bank, peer: 'bank-gateway' },
      );
    }
    lines.push(otlpLine(spans));
  }
  return lines.join('\n') + '\n';
}

describe('traces expert', () => {
  it('finds the slow link, the slow external service and the symptomatic services', async () => {
    const r = rng(9);
    const dir = await telemetryDir({
      'traces/spans.jsonl': spansJsonl(),
      'metrics.csv': metricsCsv([
        { entity: 'api', metric: 'latency_p95_ms', f: (i) => (i >= 75 ? 3100 : 330) + 10 * gauss(r) },
        { entity: 'api', metric: 'error_rate', f: () => Math.max(0, 0.004 + 0.001 * gauss(r)) },
        { entity: 'api', metric: 'throughput_rpm', f: () => 360 + 8 * gauss(r) },
      ]),
    });
    dirs.push(dir);
    const findings = await tracesExpert(await contextFor(dir));
    for (const f of findings) FindingSchema.parse(f);
    const byId = new Map(findings.map((f) => [f.id, f]));
    expect(byId.get('traces:web->api:gap')).toMatchObject({
      component: 'web->api', anomaly: 'edge_latency', faultHints: ['network_latency'], onsetMs: at(70),
    });
    expect(byId.get('traces:web->api:gap')!.evidence.join(' ')).toContain('normal when the gap appeared');
    expect(byId.get('traces:bank-gateway:latency')).toMatchObject({
      component: 'bank-gateway', anomaly: 'latency', faultHints: ['third_party_timeout'], onsetMs: at(75),
    });
    expect(byId.get('traces:api:latency')).toMatchObject({ anomaly: 'latency', series: { entity: 'api', metric: 'latency_p95_ms' } });
    expect(byId.get('traces:web:latency')?.onsetMs).toBe(at(70));
    expect([...byId.keys()].filter((id) => id.includes('db') || id.includes('error') || id.includes('throughput'))).toEqual([]);
  });

  it('still works on metrics alone when the traces file is missing', async () => {
    const dir = await telemetryDir({
      'metrics.csv': metricsCsv([{ entity: 'api', metric: 'error_rate', f: (i) => (i >= 80 ? 0.2 : 0.004) }]),
    });
    dirs.push(dir);
    const findings = await tracesExpert(await contextFor(dir));
    expect(findings.map((f) => [f.id, f.onsetMs])).toEqual([['traces:api:errors', at(80)]]);
    expect(findings[0]!.evidence[0]).toMatch(/error_rate 0\.4% → 20\.0% from 09:20/);
  });
});
