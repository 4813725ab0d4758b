import { describe, expect, it } from 'vitest';
import { kendallTauB } from './stats.ts';

describe('Kendall τ-b', () => {
  it('is 1 for the same order and -1 for the reverse', () => {
    expect(kendallTauB([1, 2, 3, 4, 5], [10, 20, 30, 40, 50])).toBe(1);
    expect(kendallTauB([1, 2, 3, 4, 5], [5, 4, 3, 2, 1])).toBe(-1);
  });

  it('matches hand-computed values with ties', () => {
    // pairs: 3 concordant, 1 discordant, 1 tied in x only, 1 tied in y only: (3-1)/sqrt((6-1)(6-1)) = 0.4
    expect(kendallTauB([1, 2, 2, 3], [1, 3, 2, 2])).toBeCloseTo(0.4, 12);
    // 1 concordant, 1 discordant, 2 ties in x, 2 ties in y: 0
    expect(kendallTauB([1, 1, 2, 2], [1, 2, 1, 2])).toBe(0);
    // scipy.stats.kendalltau docs example: nc 2, nd 6, one pair tied in both, one more tied in x:
    // (2-6)/sqrt((10-2)(10-1)) = -4/sqrt(72)
    expect(kendallTauB([12, 2, 1, 12, 2], [1, 4, 7, 1, 0])).toBeCloseTo(-4 / Math.sqrt(72), 12);
    expect(kendallTauB([12, 2, 1, 12, 2], [1, 4, 7, 1, 0])).toBeCloseTo(-0.4714045207910316, 12);
  });

  it('is undefined (NaN) when one side is constant', () => {
    expect(kendallTauB([1, 1, 1], [1, 2, 3])).toBeNaN();
  });
});
