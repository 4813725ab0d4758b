import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_NORMALIZATION, computeMeanStd, normalizePixels, pixelTable } from './normalization.ts';
import { expectFbnetError } from './test-helpers.ts';

describe('computeMeanStd', () => {
  it('matches hand-computed values', () => {
    // [0, 255, 51, 102] / 255 = [0, 1, 0.2, 0.4]: mean 0.4, variance (0.16 + 0.36 + 0.04 + 0) / 4 = 0.14.
    const s = computeMeanStd(Uint8Array.from([0, 255, 51, 102]));
    expect(s.mean).toBeCloseTo(0.4, 14);
    expect(s.std).toBeCloseTo(Math.sqrt(0.14), 14);
    expect(s.std).toBeCloseTo(0.37416573867739417, 14);
  });

  it('gives std 0 for a constant image', () => {
    const s = computeMeanStd(new Uint8Array(10).fill(51));
    expect(s.mean).toBeCloseTo(0.2, 14);
    expect(s.std).toBe(0);
  });

  it('refuses an empty array', () => expectFbnetError(() => computeMeanStd(new Uint8Array(0)), 'USAGE', 'no pixels'));
});

describe('pixel mapping', () => {
  it('raw keeps 0..255, unit divides by 255, standardize is (x/255 − mean)/std', () => {
    const px = Uint8Array.from([0, 51, 255]);
    expect([...normalizePixels(px, { kind: 'raw' })]).toEqual([0, 51, 255]);
    expect([...normalizePixels(px, { kind: 'unit' })].map((v) => +v.toFixed(6))).toEqual([0, 0.2, 1]);
    // mean 0.4, std 0.5: 0 → −0.8, 51 → −0.4, 255 → 1.2
    const s = normalizePixels(px, { kind: 'standardize', mean: 0.4, std: 0.5 });
    expect(s[0]).toBeCloseTo(-0.8, 6);
    expect(s[1]).toBeCloseTo(-0.4, 6);
    expect(s[2]).toBeCloseTo(1.2, 6);
  });

  it('Fashion-MNIST constants: black is −0.28604/0.35302 ≈ −0.81026', () => {
    const t = pixelTable(FASHION_MNIST_NORMALIZATION);
    expect(t[0]).toBeCloseTo(-0.8102576, 5);
    expect(t[255]).toBeCloseTo((1 - 0.28604059698879547) / 0.35302424451492254, 5);
  });

  it('writes into a given output array', () => {
    const out = new Float32Array(2);
    expect(normalizePixels(Uint8Array.from([1, 2]), { kind: 'raw' }, out)).toBe(out);
    expect([...out]).toEqual([1, 2]);
    expectFbnetError(() => normalizePixels(Uint8Array.from([1, 2]), { kind: 'raw' }, new Float32Array(3)), 'USAGE');
  });

  it('refuses std ≤ 0', () => expectFbnetError(() => pixelTable({ kind: 'standardize', mean: 0.5, std: 0 }), 'USAGE', 'positive std'));
});
