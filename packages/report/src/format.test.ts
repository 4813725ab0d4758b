import { describe, expect, it } from 'vitest';
import { duration, fixed, ms, percent, siCount } from './format.ts';

describe('format', () => {
  it('counts with SI suffixes, 3 significant digits', () => {
    expect(siCount(356_598_000)).toBe('357M');
    expect(siCount(8_542_000)).toBe('8.54M');
    expect(siCount(74_800)).toBe('74.8K');
    expect(siCount(640)).toBe('640');
    expect(siCount(0)).toBe('0');
    expect(siCount(undefined)).toBe('–');
  });
  it('milliseconds, percentages, durations', () => {
    expect([ms(0.01234), ms(4.567), ms(45.67), ms(456.7)]).toEqual(['0.0123', '4.57', '45.7', '457']);
    expect(percent(0.87123)).toBe('87.12%');
    expect(fixed(-0.0001, 2)).toBe('0.00');
    expect([duration(4.2), duration(42), duration(185), duration(3725)]).toEqual(['4.2 s', '42 s', '3 min 05 s', '1 h 02 min']);
  });
});
