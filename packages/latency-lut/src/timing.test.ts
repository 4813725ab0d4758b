import { describe, expect, it } from 'vitest';
import { needsRound, quantileSorted, resolveTiming, roundsAgree, summarizeRounds } from './timing.ts';

describe('timing rounds', () => {
  it('quantiles interpolate linearly', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([1, 2, 3, 4, 5], 0.1)).toBeCloseTo(1.4, 12);
  });

  it('keeps the quietest round: median, p10, p90 from the round with the lowest median; read-back median over all', () => {
    const s = summarizeRounds([
      { samples: [12, 11, 13, 30, 12], syncs: [0.1] },
      { samples: [10, 10.5, 9.5, 10, 11], syncs: [0.3, 0.2] },
      { samples: [20, 21, 19, 22, 20], syncs: [] },
    ]);
    expect(s.medianMs).toBe(10);
    expect(s.p10Ms).toBeCloseTo(9.5 + 0.4 * 0.5, 12);
    expect(s.p90Ms).toBeCloseTo(10.5 + 0.6 * 0.5, 12);
    expect(s.samples).toBe(15);
    expect(s.syncMs).toBe(0.2);
    expect(s.roundMediansMs).toEqual([12, 10, 20]);
  });

  it('asks for more rounds until the two quietest agree, up to maxRounds', () => {
    const t = resolveTiming({ rounds: 3, maxRounds: 5, agreement: 0.03 });
    expect(roundsAgree([1, 1.02], 0.03)).toBe(true);
    expect(roundsAgree([1.2, 1, 1.05], 0.03)).toBe(false);
    expect(needsRound([1, 1], t)).toBe(true); // fewer than `rounds`
    expect(needsRound([1, 1.01, 1.5], t)).toBe(false);
    expect(needsRound([1, 1.1, 1.5], t)).toBe(true);
    expect(needsRound([1, 1.1, 1.5, 1.2, 1.3], t)).toBe(false); // maxRounds reached
  });
});
