import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { FindingSchema } from '../../model/evidence.js';
import { gauss, rng } from '../test-util.js';
import { at, BASELINE, contextFor, metricsCsv, telemetryDir } from './fixture.js';
import { kpiExpectation, kpiExpert } from './kpi.js';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('kpi expert', () => {
  it('reports a payment success drop, not the normal morning ramp of orders', async () => {
    const r = rng(13);
    const dir = await telemetryDir({
      'metrics.csv': metricsCsv([
        // a steady ramp-up (+1 order/min every minute) that continues through the window: not a drop
        { entity: 'business', metric: 'orders_per_minute', f: (i) => 100 + i + 2 * gauss(r) },
        { entity: 'business', metric: 'payment_success_rate', f: (i) => (i >= 72 ? 0.7 : 0.985) + 0.003 * gauss(r) },
        { entity: 'business', metric: 'transaction_amount', f: (i) => (i >= 72 ? 3000 : 5000) + 150 * gauss(r) },
        { entity: 'api', metric: 'error_rate', f: (i) => (i >= 72 ? 0.3 : 0.01) },
      ]),
    });
    dirs.push(dir);
    const findings = await kpiExpert(await contextFor(dir));
    for (const f of findings) FindingSchema.parse(f);
    expect(findings.map((f) => f.id).sort()).toEqual(['kpi:payment_success_rate', 'kpi:transaction_amount']);
    expect(findings.find((f) => f.id === 'kpi:payment_success_rate')).toMatchObject({
      component: 'business', anomaly: 'kpi_drop', direction: 'down', onsetMs: at(72), series: { entity: 'business', metric: 'payment_success_rate' },
    });
    expect(findings[0]!.evidence[0]).toMatch(/→/);
  });

  it('a ramp that stops in the window is a drop against the trend, within the baseline range', () => {
    const pts = Array.from({ length: 90 }, (_, i) => ({ ts: at(i), value: i < 70 ? 100 + i : 40 }));
    const exp = kpiExpectation(pts, BASELINE)!;
    expect(exp.trending).toBe(true);
    expect(exp.expected(at(80))).toBeLessThanOrEqual(165); // clamped near the baseline's top, not extrapolated to 180
  });
});
