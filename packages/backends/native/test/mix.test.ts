/**
 * Per-channel scaling (V2's channel masks) and the mixed operation y = Σ w_i x_i and its backward against a float64 reference, on lengths
 * that span several 64K-element chunks with a ragged tail; the weight gradient is summed per
 * chunk in chunk order, so 1 and 2 threads must agree bit for bit.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNativeKernels, type NativeKernels } from '../src/index.ts';
import { rand } from './close.ts';

function maxRel(got: ArrayLike<number>, want: ArrayLike<number>): number {
  let scale = 1e-6, d = 0;
  for (let i = 0; i < want.length; i++) scale = Math.max(scale, Math.abs(want[i]));
  for (let i = 0; i < want.length; i++) d = Math.max(d, Math.abs(got[i] - want[i]));
  return d / scale;
}

describe('mix (FBNetV1 mixed operation)', () => {
  let one: NativeKernels, two: NativeKernels;
  beforeAll(async () => {
    [one, two] = await Promise.all([loadNativeKernels({ threads: 1 }), loadNativeKernels({ threads: 2 })]);
  });
  afterAll(async () => {
    await Promise.all([one.dispose(), two.dispose()]);
  });

  for (const [k, n] of [[1, 7], [9, 3 * 65536 + 13], [4, 1000]] as const) {
    it(`k=${k}, n=${n}: forward, input and weight gradients match float64`, () => {
      const xs = Array.from({ length: k }, (_, i) => rand(n, 11 + i));
      const w = Array.from({ length: k }, (_, i) => (i % 3) - 0.7 + i / 10);
      const dy = rand(n, 99);
      const y = one.mix(xs, w);
      const wantY = new Float64Array(n);
      for (let i = 0; i < k; i++) for (let e = 0; e < n; e++) wantY[e] += w[i] * xs[i][e];
      expect(maxRel(y, wantY)).toBeLessThan(1e-6);
      expect(Array.from(two.mix(xs, w))).toEqual(Array.from(y)); // element-wise: no reduction order
      const g1 = one.mixGrad(dy, xs, w);
      const g2 = two.mixGrad(dy, xs, w);
      for (let i = 0; i < k; i++) {
        const want = Float64Array.from(dy, (d) => d * w[i]);
        expect(maxRel(g1.dxs[i] as Float32Array, want), `dx${i}`).toBeLessThan(1e-7);
        // float32 products summed in blocks: bounded by the sum's condition, Σ|dy·x|
        let dot = 0, mag = 0;
        for (let e = 0; e < n; e++) {
          dot += dy[e] * xs[i][e];
          mag += Math.abs(dy[e] * xs[i][e]);
        }
        expect(Math.abs(g1.dw[i] - dot) / mag, `dw${i}`).toBeLessThan(1e-6);
      }
      expect(Array.from(g2.dw)).toEqual(Array.from(g1.dw));
    });
  }

  it('computes only the input gradients asked for, and reads resident inputs in place', () => {
    const n = 5000;
    const xs = [rand(n, 1), rand(n, 2), rand(n, 3)].map((x) => two.heap.fromArray(x));
    const dy = two.heap.fromArray(rand(n, 4));
    const before = two.heap.stats().liveBlocks;
    const g = two.mixGrad(dy, xs, [0.5, 2, -1], [false, true, false]);
    expect(g.dxs[0]).toBeUndefined();
    expect(g.dxs[2]).toBeUndefined();
    expect(maxRel(g.dxs[1] as Float32Array, Float64Array.from(dy.array, (d) => 2 * d))).toBeLessThan(1e-7);
    expect(two.heap.stats().liveBlocks).toBe(before); // temporaries (pointer tables, partial sums) freed
    for (const h of [...xs, dy]) h.dispose();
  });

  it('refuses inputs of different lengths or a weight per input missing', () => {
    expect(() => one.mix([rand(4, 1), rand(5, 2)], [1, 1])).toThrow(/xs\[1\] has 5 elements, expected 4/);
    expect(() => one.mix([rand(4, 1)], [1, 2])).toThrow(/w has 2 elements, expected 1/);
  });
});

describe('channelScale (FBNetV2 channel masks)', () => {
  let one: NativeKernels, two: NativeKernels;
  beforeAll(async () => {
    [one, two] = await Promise.all([loadNativeKernels({ threads: 1 }), loadNativeKernels({ threads: 2 })]);
  });
  afterAll(async () => {
    await Promise.all([one.dispose(), two.dispose()]);
  });

  for (const [n, h, c] of [[2, 3, 5], [32, 14, 96], [64, 7, 150]] as const) {
    it(`[${n},${h},${h},${c}]: forward, dx and the mask gradient match float64`, () => {
      const rows = n * h * h;
      const x = rand(rows * c, 5), dy = rand(rows * c, 6), m = rand(c, 7);
      const p = { n, h, w: h, c };
      const y = one.channelScale(x, m, p);
      expect(maxRel(y, Float64Array.from(x, (v, i) => v * m[i % c]))).toBeLessThan(1e-7);
      const g1 = one.channelScaleGrad(dy, x, m, p);
      const g2 = two.channelScaleGrad(dy, x, m, p);
      expect(maxRel(g1.dx as Float32Array, Float64Array.from(dy, (v, i) => v * m[i % c]))).toBeLessThan(1e-7);
      for (let k = 0; k < c; k++) {
        let dot = 0, mag = 0;
        for (let r = 0; r < rows; r++) {
          dot += dy[r * c + k] * x[r * c + k];
          mag += Math.abs(dy[r * c + k] * x[r * c + k]);
        }
        expect(Math.abs(g1.dm[k] - dot) / mag, `dm${k}`).toBeLessThan(1e-6);
      }
      expect(Array.from(g2.dm)).toEqual(Array.from(g1.dm));
      expect(two.channelScaleGrad(dy, x, m, p, false).dx).toBeUndefined();
    });
  }
});
