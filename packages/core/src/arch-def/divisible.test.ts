import { describe, expect, it } from 'vitest';
import { getDivisibleBy, py2Round } from './divisible.ts';

describe('getDivisibleBy (mobile-vision rounding)', () => {
  it('rounds half away from zero like Python 2', () => {
    expect(py2Round(2.5)).toBe(3);
    expect(py2Round(-2.5)).toBe(-3);
    expect(py2Round(1.49)).toBe(1);
  });
  it('matches hand-computed values', () => {
    expect(getDivisibleBy(16, 8)).toBe(16); // already divisible
    expect(getDivisibleBy(12, 8)).toBe(16); // 1.5 -> 2
    expect(getDivisibleBy(20, 8)).toBe(24); // 2.5 -> 3
    expect(getDivisibleBy(44, 8)).toBe(48); // 5.5 -> 6
    expect(getDivisibleBy(10, 8)).toBe(16); // 1.25 -> 1 -> 8 < 0.95*10 -> +8
    expect(getDivisibleBy(3, 8)).toBe(8); // min value is the divisor
    expect(getDivisibleBy(96, 1)).toBe(96);
    expect(getDivisibleBy(0, 1)).toBe(1); // min value 1
    expect(getDivisibleBy(37.5, 8)).toBe(40); // float input: 4.6875 -> 5
  });
});
