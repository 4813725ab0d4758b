import { Rng } from '@fbnet/core';
import { describe, expect, it } from 'vitest';
import { randomCrop } from './random-crop.ts';
import { expectFbnetError } from './test-helpers.ts';

/** An Rng stand-in whose int() returns the queued values, so the offsets are known. */
function fixedInts(...values: number[]): Rng {
  return { int: (n: number) => {
    const v = values.shift();
    if (v === undefined || v >= n) throw new Error(`fixedInts: no value for int(${n})`);
    return v;
  } } as unknown as Rng;
}

// 3×3 image 1..9, one channel.
const IMG = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9]);
const S1 = { n: 1, height: 3, width: 3, channels: 1 };

describe('randomCrop', () => {
  it('offset (−1, −1): shifts the image down-right, border filled with 0', () => {
    // int(3) = 0 → offset −padding on both axes: out[y][x] = in[y−1][x−1]
    expect([...randomCrop(IMG, S1, { padding: 1, rng: fixedInts(0, 0) })]).toEqual([0, 0, 0, 0, 1, 2, 0, 4, 5]);
  });

  it('offset (+1, +1): shifts up-left', () => {
    expect([...randomCrop(IMG, S1, { padding: 1, rng: fixedInts(2, 2) })]).toEqual([5, 6, 0, 8, 9, 0, 0, 0, 0]);
  });

  it('offset (0, 0) is the identity; rows then columns are drawn', () => {
    expect([...randomCrop(IMG, S1, { padding: 1, rng: fixedInts(1, 1) })]).toEqual([...IMG]);
    // row offset +1 (int 2), column offset −1 (int 0)
    expect([...randomCrop(IMG, S1, { padding: 1, rng: fixedInts(2, 0) })]).toEqual([0, 4, 5, 0, 7, 8, 0, 0, 0]);
  });

  it('uses the fill value for the border and moves all channels of a pixel together', () => {
    const x = Float32Array.from([1, -1, 2, -2, 3, -3, 4, -4]); // 2×2×2
    const out = randomCrop(x, { n: 1, height: 2, width: 2, channels: 2 }, { padding: 1, rng: fixedInts(0, 0), fill: 9 });
    expect([...out]).toEqual([9, 9, 9, 9, 9, 9, 1, -1]);
  });

  it('draws offsets per sample', () => {
    const two = Float32Array.from([...IMG, ...IMG]);
    const out = randomCrop(two, { ...S1, n: 2 }, { padding: 1, rng: fixedInts(0, 0, 2, 2) });
    expect([...out]).toEqual([0, 0, 0, 0, 1, 2, 0, 4, 5, 5, 6, 0, 8, 9, 0, 0, 0, 0]);
  });

  it('with a real Rng every output is one of the (2p+1)² shifts and all of them occur; same seed, same crops', () => {
    const n = 200;
    const x = new Float32Array(n * 9);
    for (let i = 0; i < n; i++) x.set(IMG, i * 9);
    const out = randomCrop(x, { ...S1, n }, { padding: 1, rng: new Rng(4) });
    const shifts = new Map<string, string>();
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) shifts.set(randomCrop(IMG, S1, { padding: 1, rng: fixedInts(a, b) }).join(), `${a}${b}`);
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const key = shifts.get(out.subarray(i * 9, i * 9 + 9).join());
      expect(key).toBeDefined();
      seen.add(key!);
    }
    expect(seen.size).toBe(9);
    expect(randomCrop(x, { ...S1, n }, { padding: 1, rng: new Rng(4) })).toEqual(out);
  });

  it('padding 0 is the identity and the input is not modified', () => {
    const x = IMG.slice();
    expect([...randomCrop(x, S1, { padding: 0, rng: new Rng(1) })]).toEqual([...IMG]);
    randomCrop(x, S1, { padding: 1, rng: fixedInts(0, 0) });
    expect(x).toEqual(IMG);
  });

  it('refuses a shape that does not match x', () =>
    expectFbnetError(() => randomCrop(IMG, { ...S1, n: 2 }, { padding: 1, rng: new Rng(0) }), 'USAGE', 'x has 9'));
});
