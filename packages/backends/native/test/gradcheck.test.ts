/**
 * Finite-difference checks of the backward kernels against their own forward, independent of
 * the PyTorch fixtures: for L = sum(f(x) * r), dL/dx from the backward kernel (dy = r) must
 * match central differences. Convs are linear (any step works); BN+hswish and softmax-CE are
 * smooth away from kinks, checked with a small step and float64 sums.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNativeKernels, type NativeKernels } from '../src/index.ts';

function rand(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 31 - 1) * scale;
  });
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};

/** Central difference of f at x along coordinate i. */
function fd(f: (x: Float32Array) => number, x: Float32Array, i: number, h: number): number {
  const xp = x.slice(), xm = x.slice();
  xp[i] += h;
  xm[i] -= h;
  return (f(xp) - f(xm)) / (Math.fround(x[i] + h) - Math.fround(x[i] - h));
}

describe('finite differences', () => {
  let k: NativeKernels;
  beforeAll(async () => {
    k = await loadNativeKernels({ threads: 1 });
  });
  afterAll(async () => {
    await k.dispose();
  });

  it('conv2d k3 s2 p1 groups 2: dx and dfilter', () => {
    const p = { n: 2, h: 6, w: 5, cin: 4, cout: 6, kh: 3, kw: 3, stride: 2, padH: 1, padW: 1, groups: 2 };
    const { outH, outW } = k.conv2dOutShape(p);
    const x = rand(2 * 6 * 5 * 4, 1), w = rand(3 * 3 * 2 * 6, 2), r = rand(2 * outH * outW * 6, 3);
    const dx = k.conv2dBackpropInput(r, w, p), dw = k.conv2dBackpropFilter(x, r, p);
    for (const i of [0, 7, 33, 59, 100, 119]) expect(fd((xx) => dot(k.conv2d(xx, w, p), r), x, i, 0.25)).toBeCloseTo(dx[i], 3);
    for (const i of [0, 5, 50, 107]) expect(fd((ww) => dot(k.conv2d(x, ww, p), r), w, i, 0.25)).toBeCloseTo(dw[i], 3);
  });

  it('depthwise k5 s2 p1: dx and dfilter', () => {
    const p = { n: 1, h: 7, w: 7, c: 6, kh: 5, kw: 5, stride: 2, padH: 1, padW: 1 };
    const { outH, outW } = k.depthwiseOutShape(p);
    const x = rand(7 * 7 * 6, 4), w = rand(25 * 6, 5), r = rand(outH * outW * 6, 6);
    const dx = k.depthwiseConv2dBackpropInput(r, w, p), dw = k.depthwiseConv2dBackpropFilter(x, r, p);
    for (const i of [0, 13, 100, 200, 293]) expect(fd((xx) => dot(k.depthwiseConv2d(xx, w, p), r), x, i, 0.25)).toBeCloseTo(dx[i], 3);
    for (const i of [0, 31, 77, 149]) expect(fd((ww) => dot(k.depthwiseConv2d(x, ww, p), r), w, i, 0.25)).toBeCloseTo(dw[i], 3);
  });

  it('batch-norm + hswish: dx, dgamma, dbeta', () => {
    const p = { n: 2, h: 3, w: 3, c: 5, act: 'hswish' as const, eps: 1e-3 };
    const x = rand(2 * 9 * 5, 7, 2), gamma = rand(5, 8, 0.5).map((v) => v + 1), beta = rand(5, 9, 0.5), r = rand(90, 10);
    const f = k.batchNormActTrain(x, gamma, beta, p);
    const g = k.batchNormActGrad(r, x, gamma, beta, f.mean, f.invStd, p);
    const L = (xx: Float32Array, gg: Float32Array, bb: Float32Array) => dot(k.batchNormActTrain(xx, gg, bb, p).y, r);
    const h = 1e-2, tol = (v: number) => 2e-3 + 2e-2 * Math.abs(v);
    for (const i of [0, 11, 42, 89]) {
      const want = fd((xx) => L(xx, gamma, beta), x, i, h);
      expect(Math.abs(want - g.dx[i])).toBeLessThan(tol(want));
    }
    for (let i = 0; i < 5; i++) {
      const wg = fd((gg) => L(x, gg, beta), gamma, i, h), wb = fd((bb) => L(x, gamma, bb), beta, i, h);
      expect(Math.abs(wg - g.dgamma[i])).toBeLessThan(tol(wg));
      expect(Math.abs(wb - g.dbeta[i])).toBeLessThan(tol(wb));
    }
  });

  it('softmax cross-entropy with label smoothing: dlogits', () => {
    const n = 4, kk = 6, labels = Int32Array.from([0, 5, 2, 2]);
    const z = rand(n * kk, 11, 3);
    const { dlogits } = k.softmaxCrossEntropy(z, labels, { n, k: kk, labelSmoothing: 0.1 });
    for (const i of [0, 5, 11, 17, 23]) {
      const want = fd((zz) => k.softmaxCrossEntropy(zz, labels, { n, k: kk, labelSmoothing: 0.1 }).loss, z, i, 1e-2);
      expect(Math.abs(want - dlogits[i])).toBeLessThan(1e-3);
    }
  });
});
