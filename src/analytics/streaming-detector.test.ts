import { describe, expect, it } from 'vitest';
import { ContextNovelty } from './streaming-context.js';
import { RobustStreamingDetector, scoreSeries } from './streaming-detector.js';
import { BlockNeighbours } from './streaming-knn.js';
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

  it('gives a rising excursion few alarms: a record right after a record stands only if clearly higher', () => {
    let fewer = 0;
    for (let seed = 1; seed <= 3; seed++) {
      const { ts, values } = series((i, r) => 100 + 3 * gauss(r) + (i >= 2000 ? Math.min(i - 2000, 300) * 0.2 : 0), seed);
      const standing = (restPoints: number) =>
        Array.from(scoreSeries(ts, values, { probation: PROBATION, restPoints }))
          .map((s, i) => [i, s] as const)
          .filter(([i, s]) => i >= 2000 && i < 2300 && s > 0.2);
      const withRule = standing(20);
      const without = standing(0);
      expect(withRule[0]).toEqual(without[0]); // the first alarm is not delayed
      for (let k = 1; k < withRule.length; k++) {
        const [i, s] = withRule[k]!;
        const [j, r] = withRule[k - 1]!;
        if (i - j < 20) expect(s).toBeGreaterThanOrEqual(r + 0.05);
      }
      if (withRule.length < without.length) fewer++;
    }
    expect(fewer).toBeGreaterThan(0);
  });

  it('sees a broken daily rhythm that stays within the usual range', () => {
    // 288 points a day; from point 2300 on, one day's curve is flat at its mean
    const day = 288;
    const { ts, values } = series((i, r) => 50 + 20 * Math.sin((2 * Math.PI * i) / day) + gauss(r) * 0.5 - (i >= 2300 && i < 2300 + day ? 20 * Math.sin((2 * Math.PI * i) / day) : 0));
    const scores = scoreSeries(ts, values, { probation: PROBATION });
    expect(max(scores, 2300, 2300 + day)).toBeGreaterThan(max(scores, PROBATION, 2300));
  });
});

describe('ContextNovelty', () => {
  it('learns a repeating sequence and flags a step it has never seen after a familiar context', () => {
    const c = new ContextNovelty({ bins: 8, maxOrder: 4 });
    const cycle = [0, 2, 4, 6, 7, 5, 3, 1];
    expect(c.update(0)).toBe(0); // nothing familiar yet: nothing to say
    let late = 0;
    for (let i = 1; i < 400; i++) {
      const v = c.update(cycle[i % cycle.length]!);
      if (i >= 200) late = Math.max(late, v);
    }
    expect(late).toBe(0);
    // after ...6, 7 the cycle goes on to 5; going back to 0 breaks every familiar context
    for (const v of [0, 2, 4, 6, 7]) c.update(v);
    expect(c.update(0)).toBe(1);
  });
});

describe('BlockNeighbours', () => {
  it('speaks once per block, finds a familiar rhythm close and a new shape far', () => {
    const b = new BlockNeighbours({ block: 4, length: 8, k: 2, references: 200 });
    const wave = (i: number) => 10 * Math.sin((2 * Math.PI * i) / 32);
    const out: (number | undefined)[] = [];
    for (let i = 0; i < 3000; i++) out.push(b.update(wave(i)));
    expect(out.slice(1000).filter((v) => v !== undefined)).toHaveLength(500);
    const familiar = Math.max(...out.slice(2000).filter((v): v is number => v !== undefined));
    expect(familiar).toBeLessThan(1e-6);
    // the rhythm stops: the value stays at its last level
    let novel = 0;
    for (let i = 3000; i < 3064; i++) novel = Math.max(novel, b.update(wave(2999)) ?? 0);
    expect(novel).toBeGreaterThan(5);
  });
});
