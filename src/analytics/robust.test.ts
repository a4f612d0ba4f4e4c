import { describe, expect, it } from 'vitest';
import { kendallTau, mad, median, quantile, robustScale, robustZ, saturate, theilSen } from './robust.js';

describe('robust statistics', () => {
  it('median, quantile, MAD', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(Number.isNaN(median([]))).toBe(true);
    expect(quantile([1, 2, 3, 4, 5], 0.95)).toBeCloseTo(4.8);
    expect(mad([1, 1, 2, 2, 4, 6, 9])).toBe(1);
  });
  it('scale is robust to outliers and floored for flat series', () => {
    expect(robustScale([10, 10, 10, 10, 1000])).toBeGreaterThan(0); // MAD 0 → mean-AD fallback
    expect(robustScale([5, 5, 5], { relFloor: 0.1 })).toBeCloseTo(0.5);
    expect(robustScale([0, 0, 0], { minScale: 0.01 })).toBe(0.01);
    expect(robustZ(12, 10, 0.5)).toBe(4);
  });
  it('trend helpers', () => {
    const xs = [0, 1, 2, 3, 4, 5];
    const fit = theilSen(xs, xs.map((x) => 2 * x + 1));
    expect(fit.slope).toBeCloseTo(2);
    expect(fit.intercept).toBeCloseTo(1);
    expect(kendallTau([1, 2, 3, 4])).toBe(1);
    expect(kendallTau([4, 3, 2, 1])).toBe(-1);
    expect(saturate(8, 8)).toBeCloseTo(0.5);
  });
});
