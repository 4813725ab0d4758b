import { describe, expect, it } from 'vitest';
import { paretoFront } from './pareto-front.ts';

describe('paretoFront', () => {
  const pts = [
    { x: 1, y: 70 },
    { x: 2, y: 80 },
    { x: 2, y: 75 }, // dominated by (2, 80)
    { x: 3, y: 78 }, // dominated by (2, 80)
    { x: 4, y: 90 },
    { x: NaN, y: 99 },
  ];
  it('keeps the non-dominated points for lower-x/higher-y, sorted by x', () => {
    expect(paretoFront(pts)).toEqual([
      { x: 1, y: 70 },
      { x: 2, y: 80 },
      { x: 4, y: 90 },
    ]);
  });
  it('follows the sense given (higher x and higher y better)', () => {
    expect(paretoFront(pts, { x: 'max', y: 'max' })).toEqual([{ x: 4, y: 90 }]);
    expect(paretoFront(pts, { x: 'min', y: 'min' })).toEqual([{ x: 1, y: 70 }]);
  });
  it('is empty for no points', () => {
    expect(paretoFront([])).toEqual([]);
  });
});
