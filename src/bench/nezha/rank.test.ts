import { describe, expect, it } from 'vitest';
import type { Span } from '../../model/telemetry.js';
import { analyzeCase } from './analyze.js';
import type { PodLog } from './data.js';
import { namedService, poissonSurprise } from './features.js';
import { descendants, rankServices, typicalScores } from './rank.js';

/** gateway → order → payment; each request logs one line per service. */
function world(fromMs: number, n: number, fault: boolean) {
  const spans: Span[] = [];
  const logs: PodLog[] = [];
  for (let i = 0; i < n; i++) {
    const t = `t${fromMs}-${i}`;
    const ts = fromMs + i * 1000;
    const sp = (id: string, parent: string | undefined, service: string, name: string, dur: number): Span => ({
      traceId: t, spanId: id, ...(parent ? { parentSpanId: parent } : {}), service, name, kind: 'INTERNAL', startMs: ts, endMs: ts + dur, status: 'UNSET', attributes: {},
    });
    spans.push(sp('g', undefined, 'gateway', 'GET /pay', 30), sp('o', 'g', 'order', 'OrderController.pay', 20), sp('p', 'o', 'payment', 'PaymentController.charge', 10));
    const log = (service: string, spanId: string, level: PodLog['level'], message: string): PodLog => ({ ts, pod: `${service}-abcdef123-xyz12`, service, level, message, traceId: t, spanId });
    logs.push(log('gateway', 'g', 'INFO', 'g.GatewayFilter#10 [route][pay]'));
    if (fault) {
      // the payment service throws; its caller logs the failed call, the gateway still answers
      logs.push(log('payment', 'p', 'ERROR', 'p.PaymentServiceImpl#77 [charge][Exception: injected]'));
      if (i % 2 === 0) logs.push(log('order', 'o', 'ERROR', 'o.OrderServiceImpl#40 [pay][payment call failed]'));
      else logs.push(log('order', 'o', 'INFO', 'o.OrderServiceImpl#41 [pay][paid]'));
    } else {
      logs.push(log('payment', 'p', 'INFO', 'p.PaymentServiceImpl#70 [charge][charged]'));
      logs.push(log('order', 'o', 'INFO', 'o.OrderServiceImpl#41 [pay][paid]'));
    }
  }
  return { spans, logs };
}

describe('ranking on a constructed 3-service call chain', () => {
  it('puts the injected root cause first and its callers after it', () => {
    const inject = 1_000_000_000;
    const base = world(inject - 120_000, 120, false);
    const win = world(inject, 120, true);
    const { ranked } = analyzeCase({
      injectMs: inject,
      baselineLogs: base.logs, baselineSpans: base.spans, baselineMinutes: 2,
      windowLogs: win.logs, windowSpans: win.spans, windowMinutes: 2,
      metrics: new Map(), metricBaseline: { fromMs: inject - 120_000, toMs: inject }, metricWindow: { fromMs: inject, toMs: inject + 120_000 },
    });
    expect(ranked[0]!.service).toBe('payment');
    expect(ranked.map((r) => r.service).indexOf('order')).toBeLessThan(ranked.map((r) => r.service).indexOf('gateway'));
    expect(ranked[0]!.evidence.join(' ')).toMatch(/PaymentServiceImpl#77/);
  });
});

describe('Poisson surprise', () => {
  it('grows with the distance from the expectation', () => {
    expect(poissonSurprise(0, 20, 'lower')).toBeGreaterThan(poissonSurprise(10, 20, 'lower'));
    expect(poissonSurprise(30, 2, 'upper')).toBeGreaterThan(poissonSurprise(5, 2, 'upper'));
    expect(poissonSurprise(2, 2, 'upper')).toBeLessThan(1);
  });
});

describe('day-level normalisation and graph rules', () => {
  const feat = (service: string, logNew: number) => ({
    service, logNew, logVanished: 0, traceNew: 0, traceVanished: 0, selfTime: 0, metric: 0, metricName: '', metricOnsetMs: Infinity, onsetMs: Infinity, changes: [], traffic: 1,
  });
  it('discounts a service that looks changed in every case of the day', () => {
    const days = Array.from({ length: 6 }, (_, i) => [feat('noisy', 8), feat('quiet', i === 0 ? 8 : 0)]);
    const typical = typicalScores(days);
    const ranked = rankServices(days[0]!, new Map(), typical);
    expect(ranked[0]!.service).toBe('quiet');
    expect(ranked[1]!.score).toBe(0);
  });
  it('halves a caller whose downstream service (any depth) is comparably anomalous', () => {
    const g = new Map([['a', new Set(['b'])], ['b', new Set(['c'])]]);
    expect([...descendants(g, 'a')].sort()).toEqual(['b', 'c']);
    const ranked = rankServices([feat('a', 10), feat('b', 0), feat('c', 7)], g);
    expect(ranked.map((r) => r.service)).toEqual(['c', 'a', 'b']);
  });
  it('finds a service named in an error message', () => {
    const known = new Set(['ts-basic-service', 'ts-travel-service', 'ts-travel2-service']);
    expect(namedService('IllegalStateException: No instances available for ts-basic-service] with root cause', 'ts-travel-service', known)).toBe('ts-basic-service');
    expect(namedService('calling ts-travel2-service failed', 'ts-basic-service', known)).toBe('ts-travel2-service');
    expect(namedService('all good in ts-travel-service', 'ts-travel-service', known)).toBeUndefined();
  });
});
