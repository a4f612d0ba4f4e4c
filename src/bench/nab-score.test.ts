import { describe, expect, it } from 'vitest';
import { NAB_PROFILES, probationLength, scaledSigmoid, scoreCorpus, windowRows, type ScoredFile } from './nab-score.js';

const std = NAB_PROFILES.standard!;
const lowFN = NAB_PROFILES.reward_low_FN_rate!;

/** 100 rows (probation = 15 rows), one window over rows 40..49 */
function file(detected: number[], scoreOf = () => 1): ScoredFile {
  const scores = new Float64Array(100);
  for (const i of detected) scores[i] = scoreOf();
  return { name: 'f', scores, windows: [[40, 49]] };
}

describe('NAB score', () => {
  it('scaled sigmoid: ≈1 at the left edge of a window, 0 at the right edge, −1 far past it', () => {
    expect(scaledSigmoid(-1)).toBeCloseTo(0.98661, 5);
    expect(scaledSigmoid(0)).toBe(0);
    expect(scaledSigmoid(3)).toBe(-1);
  });

  it('probation is 15 % of the rows, at most 750', () => {
    expect(probationLength(100)).toBe(15);
    expect(probationLength(22_695)).toBe(750);
  });

  it('perfect detector scores 100, null detector 0, in every profile', () => {
    for (const p of Object.values(NAB_PROFILES)) {
      expect(scoreCorpus([file([40])], p).score).toBeCloseTo(100, 9);
      expect(scoreCorpus([file([])], p).score).toBe(0);
    }
  });

  it('one false positive costs A_FP (before any window), normalised by (A_TP + A_FN) per window', () => {
    // raw = 1 − 0.11; null = −1, perfect = +1 → 100·(1.89/2)
    expect(scoreCorpus([file([20, 40])], std).score).toBeCloseTo(94.5, 9);
    expect(scoreCorpus([file([20, 40])], NAB_PROFILES.reward_low_FP_rate!).score).toBeCloseTo(89, 9);
    // low-FN profile: raw = 1 − 0.11, null = −2, perfect = 1 → 100·2.89/3
    expect(scoreCorpus([file([20, 40])], lowFN).score).toBeCloseTo((100 * 2.89) / 3, 9);
  });

  it('the probationary period is not scored', () => {
    expect(scoreCorpus([file([5, 40])], std).score).toBeCloseTo(100, 9);
  });

  it('only the first detection in a window counts, and a late one is worth less', () => {
    expect(scoreCorpus([file([40, 41, 45, 49])], std).score).toBeCloseTo(100, 9);
    // last row: position −1/10 → scaledSigmoid(−0.1)/scaledSigmoid(−1)
    const late = scaledSigmoid(-0.1) / scaledSigmoid(-1);
    expect(scoreCorpus([file([49])], std).score).toBeCloseTo((100 * (late + 1)) / 2, 9);
  });

  it('a false positive just after a window costs less than one far from it', () => {
    const near = scoreCorpus([file([40, 51])], std).score;
    const far = scoreCorpus([file([40, 90])], std).score;
    expect(near).toBeGreaterThan(far);
    expect(far).toBeCloseTo(94.5, 1);
  });

  it('chooses the threshold that maximises the corpus score', () => {
    // the window row scores 0.9, a false positive 0.5: the best threshold takes the window and leaves the FP
    const scores = new Float64Array(100);
    scores[40] = 0.9;
    scores[20] = 0.5;
    const r = scoreCorpus([{ name: 'f', scores, windows: [[40, 49]] }], std);
    expect(r.threshold).toBe(0.9);
    expect(r.score).toBeCloseTo(100, 9);
    expect(r.fp).toBe(0);
  });

  it('maps window timestamps to rows', () => {
    expect(windowRows([0, 10, 20, 30, 40], [[10, 30]])).toEqual([[1, 3]]);
  });
});
