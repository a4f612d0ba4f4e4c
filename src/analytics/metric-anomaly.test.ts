import { describe, expect, it } from 'vitest';
import type { MetricPoint } from '../model/telemetry.js';
import { detectAnomaly, StreamingAnomalyDetector } from './metric-anomaly.js';
import { gauss, rng } from './test-util.js';

const MIN = 60_000;
const T0 = Date.parse('2026-11-20T08:00:00.000Z');
const baseline = { fromMs: T0, toMs: T0 + 60 * MIN };
const window = { fromMs: T0 + 60 * MIN, toMs: T0 + 90 * MIN };

function series(f: (i: number) => number, n = 90): MetricPoint[] {
  return Array.from({ length: n }, (_, i) => ({ ts: T0 + i * MIN, value: f(i) }));
}

describe('detectAnomaly', () => {
  it('finds a level shift with its onset', () => {
    const r = rng(1);
    const pts = series((i) => 100 + 3 * gauss(r) + (i >= 72 ? 60 : 0));
    const a = detectAnomaly(pts, baseline, window);
    expect(a).toMatchObject({ kind: 'level_shift', direction: 'up', onsetMs: T0 + 72 * MIN });
    expect(a!.current).toBeGreaterThan(150);
    expect(a!.score).toBeGreaterThan(0.5);
  });

  it('stays quiet on a flat noisy series and on flat constants', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const r = rng(seed);
      expect(detectAnomaly(series(() => 50 + 5 * gauss(r)), baseline, window)).toBeNull();
    }
    expect(detectAnomaly(series(() => 0), baseline, window)).toBeNull();
  });

  it('ignores tiny changes even when the baseline is very flat', () => {
    const pts = series((i) => 40 + (i % 2) * 0.01 + (i >= 70 ? 1 : 0));
    expect(detectAnomaly(pts, baseline, window)).toBeNull();
  });

  it('finds a spike', () => {
    const r = rng(3);
    const pts = series((i) => 20 + gauss(r) + (i === 80 ? 40 : 0));
    const a = detectAnomaly(pts, baseline, window);
    expect(a).toMatchObject({ kind: 'spike', direction: 'up', onsetMs: T0 + 80 * MIN });
    expect(a!.peak).toBeGreaterThan(55);
  });

  it('finds a downward shift and respects the direction option', () => {
    const r = rng(4);
    const pts = series((i) => 0.99 + 0.003 * gauss(r) - (i >= 75 ? 0.3 : 0));
    expect(detectAnomaly(pts, baseline, window)).toMatchObject({ direction: 'down', onsetMs: T0 + 75 * MIN });
    expect(detectAnomaly(pts, baseline, window, { direction: 'up' })).toBeNull();
  });

  it('classifies a ramp as a trend with an onset near its start', () => {
    const r = rng(5);
    const pts = series((i) => 500 + 4 * gauss(r) + (i >= 66 ? (i - 66) * 8 : 0));
    const a = detectAnomaly(pts, baseline, window);
    expect(a?.kind).toBe('trend');
    expect(Math.abs(a!.onsetMs - (T0 + 66 * MIN))).toBeLessThanOrEqual(2 * MIN);
  });
});

describe('StreamingAnomalyDetector', () => {
  it('scores a level shift once sustained and stays at 0 on noise', () => {
    const r = rng(7);
    const d = new StreamingAnomalyDetector();
    const scores = series((i) => 100 + 3 * gauss(r) + (i >= 72 ? 60 : 0)).map((p) => d.update(p));
    expect(scores.slice(0, 72).every((s) => s === 0)).toBe(true);
    expect(scores[80]).toBeGreaterThan(0.5);
    expect(d.state).toMatchObject({ kind: 'level_shift', onsetMs: T0 + 72 * MIN });
  });
});

describe('transient excursions', () => {
  it('a burst that is over by the end of the window is a spike, not a level shift', () => {
    const r = rng(8);
    const pts = series((i) => 15 + gauss(r) + (i >= 65 && i < 69 ? 35 : 0));
    const a = detectAnomaly(pts, baseline, window);
    expect(a).toMatchObject({ kind: 'spike', onsetMs: T0 + 65 * MIN });
    expect(a!.peak).toBeGreaterThan(45);
    expect(a!.current).toBeLessThan(20);
  });
});
