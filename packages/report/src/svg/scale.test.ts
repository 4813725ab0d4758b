import { describe, expect, it } from 'vitest';
import { decimalsOf, extent, linearScale, niceStep, niceTicks, tickLabel } from './scale.ts';

describe('linearScale', () => {
  it('maps the domain onto the range, inverted ranges included (SVG y grows down)', () => {
    const y = linearScale([0, 10], [200, 0]);
    expect(y(0)).toBe(200);
    expect(y(10)).toBe(0);
    expect(y(2.5)).toBe(150);
    expect(y.domain).toEqual([0, 10]);
  });
  it('puts an empty domain in the middle of the range instead of dividing by zero', () => {
    expect(linearScale([3, 3], [0, 100])(3)).toBe(50);
  });
});

describe('niceTicks', () => {
  it('chooses 1-2-5 steps and widens the domain to whole steps', () => {
    const t = niceTicks(0.13, 0.87, 4);
    expect(t.step).toBe(0.2);
    expect(t.values).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect([t.min, t.max]).toEqual([0, 1]);
    expect(t.decimals).toBe(1);
  });
  it('handles large and negative spans', () => {
    expect(niceTicks(-37, 112, 5).values).toEqual([-50, -25, 0, 25, 50, 75, 100, 125]);
    expect(niceTicks(1200, 9800, 4).values).toEqual([0, 2000, 4000, 6000, 8000, 10000]);
  });
  it('keeps values on the grid despite float error (no 0.30000000000000004)', () => {
    const t = niceTicks(0.1, 0.7, 6);
    expect(t.values).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]);
  });
  it('writes a 2.5 step with the decimals it needs', () => {
    const t = niceTicks(0.25, 0.278, 10);
    expect(t.step).toBeCloseTo(0.0025, 12);
    expect(t.decimals).toBe(4);
    expect(t.values.map((v) => tickLabel(v, t))).toContain('0.2525');
  });
  it('widens a single value and survives non-finite input', () => {
    const t = niceTicks(5, 5);
    expect(t.min).toBeLessThan(5);
    expect(t.max).toBeGreaterThan(5);
    expect(niceTicks(NaN, Infinity).values).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
  });
  it('integer ticks never step under 1 (epochs)', () => {
    expect(niceTicks(1, 3, 8, { integer: true }).values).toEqual([1, 2, 3]);
    expect(niceTicks(1, 8, 3, { integer: true }).values.every(Number.isInteger)).toBe(true);
  });
});

describe('helpers', () => {
  it('niceStep picks from {1, 2, 2.5, 5} x 10^k', () => {
    expect(niceStep(10, 5)).toBe(2);
    expect(niceStep(1, 4)).toBe(0.25);
    expect(niceStep(700, 2)).toBe(500);
  });
  it('decimalsOf', () => {
    expect([decimalsOf(20), decimalsOf(2.5), decimalsOf(0.2), decimalsOf(0.0025)]).toEqual([0, 1, 1, 4]);
  });
  it('extent ignores non-finite values', () => {
    expect(extent([3, NaN, -1, Infinity, 7])).toEqual([-1, 7]);
    expect(extent([NaN])).toBeUndefined();
  });
  it('tickLabel never prints -0', () => {
    expect(tickLabel(-0.00001, { decimals: 2 })).toBe('0.00');
  });
});
