import { describe, expect, it } from 'vitest';
import { fitFigures } from './metrics.ts';

describe('fit figures', () => {
  it('MAPE, share within ±10%, bias', () => {
    const f = fitFigures([110, 80, 100, 121], [100, 100, 100, 110]);
    expect(f.mape).toBeCloseTo((10 + 20 + 0 + 10) / 4, 10);
    expect(f.within10).toBe(0.75);
    expect(f.maxAbsErrPct).toBeCloseTo(20, 10);
    expect(f.biasPct).toBeCloseTo((10 - 20 + 0 + 10) / 4, 10);
  });
});
