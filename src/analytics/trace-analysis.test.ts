import { describe, expect, it } from 'vitest';
import type { Span } from '../model/telemetry.js';
import { analyzeTraces, callGraph, edgeSamples } from './trace-analysis.js';
import { gauss, rng } from './test-util.js';

const MIN = 60_000;
const T0 = Date.parse('2026-11-20T08:00:00.000Z');

/** web SERVER → web CLIENT (peer api) → api SERVER → api CLIENT → db SERVER; from minute 70 the web→api link adds 250 ms. */
function spans(): Span[] {
  const r = rng(11);
  const out: Span[] = [];
  for (let m = 0; m < 90; m++) {
    for (let k = 0; k < 6; k++) {
      const t = T0 + m * MIN + k * 9000;
      const tid = `t${m}-${k}`;
      const dbMs = 3 + Math.abs(gauss(r));
      const apiMs = 20 + 2 * Math.abs(gauss(r)) + dbMs + 1;
      const wire = m >= 70 ? 250 + 10 * Math.abs(gauss(r)) : 1 + Math.abs(gauss(r));
      const webClient = apiMs + wire;
      const webMs = webClient + 5;
      const mk = (service: string, spanId: string, parent: string | undefined, kind: Span['kind'], start: number, dur: number, peer?: string): Span => ({
        traceId: tid, spanId, service, name: kind === 'SERVER' ? `GET /${service}` : `call ${peer}`, kind, startMs: start, endMs: start + dur,
        status: 'UNSET', attributes: peer ? { 'peer.service': peer } : {}, ...(parent ? { parentSpanId: parent } : {}),
      });
      out.push(mk('web', 'a', undefined, 'SERVER', t, webMs));
      out.push(mk('web', 'b', 'a', 'CLIENT', t + 2, webClient, 'api'));
      out.push(mk('api', 'c', 'b', 'SERVER', t + 2 + wire / 2, apiMs));
      out.push(mk('api', 'd', 'c', 'CLIENT', t + 3 + wire / 2, dbMs + 0.5, 'db'));
      out.push(mk('db', 'e', 'd', 'SERVER', t + 3.2 + wire / 2, dbMs));
    }
  }
  return out;
}

describe('trace analysis', () => {
  it('builds the call graph and pairs client with server spans', () => {
    const s = spans().slice(0, 5);
    expect(callGraph(s).edges.map((e) => `${e.caller}->${e.callee}`)).toEqual(['api->db', 'web->api']);
    const e = edgeSamples(s).find((x) => x.callee === 'api')!;
    expect(e.gapMs).toBeCloseTo(e.clientMs - e.serverMs!);
  });

  it('finds the network gap on one edge while the callee is healthy', () => {
    const ta = analyzeTraces(spans(), { fromMs: T0, toMs: T0 + 60 * MIN }, { fromMs: T0 + 60 * MIN, toMs: T0 + 90 * MIN });
    const gaps = ta.anomalies.filter((a) => a.signal === 'network_gap');
    expect(gaps.map((g) => `${g.caller}->${g.callee}`)).toEqual(['web->api']);
    expect(gaps[0]!.anomaly.onsetMs).toBe(T0 + 70 * MIN);
    expect(gaps[0]!.window.p50).toBeGreaterThan(200);
    // the callee's own server time did not change, the caller did
    expect(ta.anomalies.some((a) => a.target === 'service' && a.service === 'api')).toBe(false);
    expect(ta.anomalies.some((a) => a.target === 'service' && a.service === 'web' && a.signal === 'latency')).toBe(true);
  });
});
