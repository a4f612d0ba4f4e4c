import { describe, expect, it } from 'vitest';
import { RobustStreamingDetector, scoreSeries } from './streaming-detector.js';
import { gauss, rng } from './test-util.js';

const STEP = 5 * 60_000;
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const N = 3000;
const PROBATION = 450;

function series(f: (i: number, r: () => number) => number, seed = 1): { ts: number[]; values: number[] } {
  const r = rng(seed);
  const ts = Array.from({ length: N }, (_, i) => T0 + i * STEP);
  return { ts, values: ts.map((_, i) => f(i, r)) };
}

const max = (xs: ArrayLike<number>, from = 0, to = xs.length) => Math.max(...Array.from(xs).slice(from, to));

describe('RobustStreamingDetector', () => {
  it('scores every point in [0,1], one point at a time', () => {
    const d = new RobustStreamingDetector({ probation: PROBATION });
    const { ts, values } = series((_, r) => 10 + gauss(r));
    for (let i = 0; i < N; i++) {
      const s = d.update(ts[i]!, values[i]!);
      expect(s).toBeGreaterThanOrEqual(0);
      expect(s).toBeLessThanOrEqual(1);
      if (i < PROBATION) expect(s).toBe(0);
    }
  });

  it('finds an injected level shift early', () => {
    const { ts, values } = series((i, r) => 100 + 3 * gauss(r) + (i >= 2000 ? 25 : 0));
    const scores = scoreSeries(ts, values, { probation: PROBATION });
    expect(max(scores, PROBATION, 2000)).toBeLessThan(0.7);
    const first = Array.from(scores).findIndex((s, i) => i >= 2000 && s > 0.75);
    expect(first).toBeGreaterThanOrEqual(2000);
    expect(first).toBeLessThan(2030);
  });

  it('finds an injected spike', () => {
    const { ts, values } = series((i, r) => 100 + 3 * gauss(r) + (i === 2200 ? 60 : 0));
    const scores = scoreSeries(ts, values, { probation: PROBATION });
    expect(scores[2200]).toBeGreaterThan(0.75);
    expect(scores[2200]).toBeGreaterThan(max(scores, PROBATION, 2200));
  });

  // the score is −log10 of a tail probability over 10: pure noise sets an occasional record (p ≈ 1/history) but
  // stays below 0.7, while a real excursion reaches ≈1
  it('stays quiet on flat noisy series and on a constant', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const { ts, values } = series((_, r) => 50 + 5 * gauss(r), seed);
      expect(max(scoreSeries(ts, values, { probation: PROBATION }), PROBATION)).toBeLessThan(0.7);
    }
    const { ts, values } = series(() => 7);
    expect(max(scoreSeries(ts, values, { probation: PROBATION }))).toBe(0);
  });

  it('sees a broken daily rhythm that stays within the usual range', () => {
    // 288 points a day; from point 2300 on, one day's curve is flat at its mean
    const day = 288;
    const { ts, values } = series((i, r) => 50 + 20 * Math.sin((2 * Math.PI * i) / day) + gauss(r) * 0.5 - (i >= 2300 && i < 2300 + day ? 20 * Math.sin((2 * Math.PI * i) / day) : 0));
    const scores = scoreSeries(ts, values, { probation: PROBATION });
    expect(max(scores, 2300, 2300 + day)).toBeGreaterThan(max(scores, PROBATION, 2300));
  });
});
