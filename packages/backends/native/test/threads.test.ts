/**
 * A 1-thread pool and 2- and 3-thread pools (3: more threads than this machine's cores, to
 * shake out scheduling races) must agree on shapes from the FBNet-like net, within float
 * tolerance: reductions (filter gradients, BN statistics) may sum in a different order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNativeKernels, type Conv2DShape, type DepthwiseShape, type NativeKernels } from '../src/index.ts';
import { expectClose, rand } from './close.ts';

const TOL = { rtol: 1e-4, atol: 1e-4 };

/** Index of the first element whose bits differ, or -1 (fast, unlike a deep toEqual). */
function firstDifference(a: Float32Array, b: Float32Array): number {
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length), y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (x.length !== y.length) return 0;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

describe.each([2, 3])('threads=1 vs threads=%i', (threads) => {
  let one: NativeKernels, many: NativeKernels;
  beforeAll(async () => {
    [one, many] = await Promise.all([loadNativeKernels({ threads: 1 }), loadNativeKernels({ threads })]);
  });
  afterAll(async () => {
    await Promise.all([one.dispose(), many.dispose()]);
  });

  const convs: [string, Conv2DShape][] = [
    ['stem k3 s2 cin1', { n: 8, h: 28, w: 28, cin: 1, cout: 16, kh: 3, kw: 3, stride: 2, padH: 1, padW: 1 }],
    ['expand 1x1', { n: 8, h: 14, w: 14, cin: 16, cout: 96, kh: 1, kw: 1 }],
    ['project 1x1 g2', { n: 8, h: 7, w: 7, cin: 144, cout: 32, kh: 1, kw: 1, groups: 2 }],
    ['k3 s1 wide', { n: 3, h: 9, w: 9, cin: 24, cout: 40, kh: 3, kw: 3, padH: 1, padW: 1 }],
  ];
  for (const [name, p] of convs) {
    it(`conv2d ${name}`, () => {
      const { outH, outW } = one.conv2dOutShape(p);
      const x = rand(p.n * p.h * p.w * p.cin, 1), w = rand(p.kh * p.kw * (p.cin / (p.groups ?? 1)) * p.cout, 2);
      const dy = rand(p.n * outH * outW * p.cout, 3);
      expectClose(many.conv2d(x, w, p), one.conv2d(x, w, p), TOL, 'y');
      const fused = { ...p, bias: rand(p.cout, 9), act: 'hswish' as const };
      expectClose(many.conv2d(x, w, fused), one.conv2d(x, w, fused), TOL, 'y (bias+hswish)');
      expectClose(many.conv2dBackpropInput(dy, w, p), one.conv2dBackpropInput(dy, w, p), TOL, 'dx');
      expectClose(many.conv2dBackpropFilter(x, dy, p), one.conv2dBackpropFilter(x, dy, p), { rtol: 1e-4, atol: 1e-3 }, 'dw');
    });
  }

  const dws: [string, DepthwiseShape][] = [
    ['k3 s1', { n: 8, h: 14, w: 14, c: 96, kh: 3, kw: 3, padH: 1, padW: 1 }],
    ['k5 s2', { n: 8, h: 14, w: 14, c: 72, kh: 5, kw: 5, stride: 2, padH: 2, padW: 2 }],
  ];
  for (const [name, p] of dws) {
    it(`depthwise ${name}`, () => {
      const { outH, outW } = one.depthwiseOutShape(p);
      const x = rand(p.n * p.h * p.w * p.c, 4), w = rand(p.kh * p.kw * p.c, 5), dy = rand(p.n * outH * outW * p.c, 6);
      expectClose(many.depthwiseConv2d(x, w, p), one.depthwiseConv2d(x, w, p), TOL, 'y');
      const fused = { ...p, bias: rand(p.c, 9), act: 'relu6' as const };
      expectClose(many.depthwiseConv2d(x, w, fused), one.depthwiseConv2d(x, w, fused), TOL, 'y (bias+relu6)');
      expectClose(many.depthwiseConv2dBackpropInput(dy, w, p), one.depthwiseConv2dBackpropInput(dy, w, p), TOL, 'dx');
      expectClose(many.depthwiseConv2dBackpropFilter(x, dy, p), one.depthwiseConv2dBackpropFilter(x, dy, p), { rtol: 1e-4, atol: 1e-3 }, 'dw');
    });
  }

  it('batch-norm + hswish train and grad', () => {
    const p = { n: 8, h: 14, w: 14, c: 96, act: 'hswish' as const };
    const m = p.n * p.h * p.w;
    const x = rand(m * p.c, 7), g = rand(p.c, 8), b = rand(p.c, 9), dy = rand(m * p.c, 10);
    const f1 = one.batchNormActTrain(x, g, b, p), f2 = many.batchNormActTrain(x, g, b, p);
    expectClose(f2.y, f1.y, TOL, 'y');
    expectClose(f2.mean, f1.mean, { rtol: 1e-5, atol: 1e-6 }, 'mean');
    const g1 = one.batchNormActGrad(dy, x, g, b, f1.mean, f1.invStd, p);
    const g2 = many.batchNormActGrad(dy, x, g, b, f1.mean, f1.invStd, p);
    expectClose(g2.dx, g1.dx, TOL, 'dx');
    expectClose(g2.dgamma, g1.dgamma, { rtol: 1e-5, atol: 1e-4 }, 'dgamma');
  });

  it('gemm, both parallel strategies (row blocks and K split)', () => {
    const a = rand(3136 * 72, 11), b = rand(72 * 24, 12);
    expectClose(many.gemm(a, b, { m: 3136, n: 24, k: 72 }), one.gemm(a, b, { m: 3136, n: 24, k: 72 }), TOL, 'rows');
    const at = rand(4096 * 40, 13), bt = rand(4096 * 24, 14);
    const p = { m: 40, n: 24, k: 4096, transA: true };
    expectClose(many.gemm(at, bt, p), one.gemm(at, bt, p), { rtol: 1e-4, atol: 1e-3 }, 'ksplit');
  });

  it('survives hundreds of back-to-back parallel jobs with exact results (no lost or repeated tasks)', () => {
    // element-wise and row-parallel kernels have no cross-thread reductions: results must be
    // bit-identical to one thread, whichever thread ran which task
    const n = 3 * 65536 + 77; // 4 tasks
    const a = rand(n, 21), b = rand(n, 22);
    const want = one.add(a, b);
    const dp = { n: 6, h: 14, w: 14, c: 64, kh: 3, kw: 3, padH: 1, padW: 1 }; // 4 tasks of 21 rows
    const x = rand(6 * 14 * 14 * 64, 23), w = rand(9 * 64, 24);
    const wantDw = one.depthwiseConv2d(x, w, dp);
    const ha = many.heap.fromArray(a), hb = many.heap.fromArray(b), hy = many.heap.alloc(n);
    const hx = many.heap.fromArray(x), hw = many.heap.fromArray(w), hd = many.heap.alloc(wantDw.length);
    try {
      for (let i = 0; i < 400; i++) {
        many.add(ha, hb, hy);
        many.depthwiseConv2d(hx, hw, dp, hd);
        if (i % 100 === 0) {
          expect(firstDifference(hy.array, want), 'add').toBe(-1);
          expect(firstDifference(hd.array, wantDw), 'depthwise').toBe(-1);
        }
      }
      expect(firstDifference(hy.array, want), 'add').toBe(-1);
      expect(firstDifference(hd.array, wantDw), 'depthwise').toBe(-1);
    } finally {
      for (const h of [ha, hb, hy, hx, hw, hd]) h.dispose();
    }
  });
});

describe('reductions are deterministic on a multi-threaded pool', () => {
  // Filter gradients, BN statistics and K-split GEMM sum per-slot partials; slots are fixed task
  // ranges, so repeated calls give the same bits however the threads happened to be scheduled
  // (a training run resumed from a checkpoint must end exactly where an uninterrupted one does).
  let k: NativeKernels;
  beforeAll(async () => {
    k = await loadNativeKernels({ threads: 3 });
  });
  afterAll(async () => {
    await k.dispose();
  });

  it('repeated calls give bit-identical dW, BN sums and K-split products', () => {
    const cp: Conv2DShape = { n: 16, h: 14, w: 14, cin: 16, cout: 24, kh: 3, kw: 3, padH: 1, padW: 1 };
    const pw: Conv2DShape = { n: 16, h: 14, w: 14, cin: 16, cout: 96, kh: 1, kw: 1 };
    const dp: DepthwiseShape = { n: 16, h: 14, w: 14, c: 96, kh: 5, kw: 5, stride: 2, padH: 2, padW: 2 };
    const x = rand(16 * 14 * 14 * 16, 31), dyc = rand(16 * 14 * 14 * 24, 32), dyp = rand(16 * 14 * 14 * 96, 33);
    const xd = rand(16 * 14 * 14 * 96, 34), dyd = rand(16 * 7 * 7 * 96, 35);
    const bn = { n: 16, h: 14, w: 14, c: 96, act: 'relu' as const };
    const g = rand(96, 36), b = rand(96, 37);
    const run = () => {
      const f = k.batchNormActTrain(xd, g, b, bn);
      return [
        k.conv2dBackpropFilter(x, dyc, cp),
        k.conv2dBackpropFilter(x, dyp, pw),
        k.depthwiseConv2dBackpropFilter(xd, dyd, dp),
        f.mean,
        f.invStd,
        k.batchNormActGrad(dyp, xd, g, b, f.mean, f.invStd, bn).dgamma,
      ];
    };
    const first = run();
    for (let i = 0; i < 20; i++) {
      run().forEach((r, j) => expect(firstDifference(r, first[j]), `output ${j}, repetition ${i}`).toBe(-1));
    }
  });
});
