import { Rng } from '@fbnet/core';
import { describe, expect, it } from 'vitest';
import { randomHorizontalFlip } from './horizontal-flip.ts';

/** An Rng stand-in whose next() returns the queued values. */
const fixedNext = (...values: number[]) => ({ next: () => values.shift()! }) as unknown as Rng;

// Two 2×3 images: [[1,2,3],[4,5,6]] and [[7,8,9],[10,11,12]].
const X = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
const S = { n: 2, height: 2, width: 3, channels: 1 };

describe('randomHorizontalFlip', () => {
  it('mirrors the samples whose draw falls below p, leaves the others', () => {
    const out = randomHorizontalFlip(X, S, { rng: fixedNext(0.2, 0.7), p: 0.5 });
    expect([...out]).toEqual([3, 2, 1, 6, 5, 4, 7, 8, 9, 10, 11, 12]);
  });

  it('p = 1 flips all, p = 0 none; the input is untouched', () => {
    const x = X.slice();
    expect([...randomHorizontalFlip(x, S, { rng: new Rng(1), p: 1 })]).toEqual([3, 2, 1, 6, 5, 4, 9, 8, 7, 12, 11, 10]);
    expect([...randomHorizontalFlip(x, S, { rng: new Rng(1), p: 0 })]).toEqual([...X]);
    expect(x).toEqual(X);
  });

  it('keeps the channels of a pixel together', () => {
    const x = Float32Array.from([1, -1, 2, -2]); // 1×1×2×2
    expect([...randomHorizontalFlip(x, { n: 1, height: 1, width: 2, channels: 2 }, { rng: fixedNext(0) })]).toEqual([2, -2, 1, -1]);
  });

  it('flips about half the samples at the default p, the same ones for the same seed', () => {
    const n = 1000;
    const x = Float32Array.from({ length: n * 2 }, (_, k) => k % 2); // each 1×2 image is [0, 1]
    const out = randomHorizontalFlip(x, { n, height: 1, width: 2, channels: 1 }, { rng: new Rng(8) });
    let flipped = 0;
    for (let i = 0; i < n; i++) flipped += out[2 * i] === 1 ? 1 : 0;
    expect(flipped).toBeGreaterThan(440);
    expect(flipped).toBeLessThan(560);
    expect(randomHorizontalFlip(x, { n, height: 1, width: 2, channels: 1 }, { rng: new Rng(8) })).toEqual(out);
  });
});
