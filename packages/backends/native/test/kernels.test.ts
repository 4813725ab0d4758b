/**
 * Every kernel against PyTorch (float64) fixtures, on a 1-thread and a 2-thread pool.
 * Tolerances: float32 with accumulation over at most ~2k terms of O(1) values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNativeKernels, updateRunningStats, type Activation, type Conv2DShape, type DepthwiseShape, type NativeKernels } from '../src/index.ts';
import { expectClose } from './close.ts';
import { loadFixtures, type FixtureCase } from './fixtures.ts';

const fx = loadFixtures();
const CONV_TOL = { rtol: 2e-4, atol: 2e-4 };
const BN_TOL = { rtol: 2e-4, atol: 2e-4 };

function convShape(c: FixtureCase): Conv2DShape {
  const p = c.params as unknown as Conv2DShape & { stride: [number, number] };
  return { ...p, stride: [p.stride[0], p.stride[1]] };
}

describe.each([1, 2])('native kernels vs PyTorch (threads=%i)', (threads) => {
  let k: NativeKernels;
  beforeAll(async () => {
    k = await loadNativeKernels({ threads });
  });
  afterAll(async () => {
    await k.dispose();
  });

  it('runs the requested number of threads', () => {
    expect(k.threads).toBe(threads);
    expect(k.capabilities().poolThreads).toBe(threads);
  });

  describe('conv2d', () => {
    for (const c of fx.byOp('conv2d')) {
      it(`${c.name}: forward, backprop-input, backprop-filter`, () => {
        const p = convShape(c);
        const x = fx.tensor(c, 'x'), w = fx.tensor(c, 'filter'), dy = fx.tensor(c, 'dy');
        const { outH, outW } = k.conv2dOutShape(p);
        expect([p.n, outH, outW, p.cout]).toEqual(c.tensors.y.shape);
        expectClose(k.conv2d(x, w, p), fx.tensor(c, 'y'), CONV_TOL, 'y');
        if (c.tensors.yBiasHswish)
          expectClose(k.conv2d(x, w, { ...p, bias: fx.tensor(c, 'bias'), act: 'hswish' }), fx.tensor(c, 'yBiasHswish'), CONV_TOL, 'y (bias+hswish)');
        expectClose(k.conv2dBackpropInput(dy, w, p), fx.tensor(c, 'dx'), CONV_TOL, 'dx');
        expectClose(k.conv2dBackpropFilter(x, dy, p), fx.tensor(c, 'dfilter'), CONV_TOL, 'dfilter');
      });
    }
  });

  describe('depthwise conv2d', () => {
    for (const c of fx.byOp('depthwise')) {
      it(`${c.name}: forward, backprop-input, backprop-filter`, () => {
        const p = c.params as unknown as DepthwiseShape;
        const x = fx.tensor(c, 'x'), w = fx.tensor(c, 'filter'), dy = fx.tensor(c, 'dy');
        expectClose(k.depthwiseConv2d(x, w, p), fx.tensor(c, 'y'), CONV_TOL, 'y');
        if (c.tensors.yBiasRelu6)
          expectClose(k.depthwiseConv2d(x, w, { ...p, bias: fx.tensor(c, 'bias'), act: 'relu6' }), fx.tensor(c, 'yBiasRelu6'), CONV_TOL, 'y (bias+relu6)');
        expectClose(k.depthwiseConv2dBackpropInput(dy, w, p), fx.tensor(c, 'dx'), CONV_TOL, 'dx');
        expectClose(k.depthwiseConv2dBackpropFilter(x, dy, p), fx.tensor(c, 'dfilter'), CONV_TOL, 'dfilter');
      });
    }
  });

  describe('batch-norm + activation', () => {
    for (const c of fx.byOp('batchnorm')) {
      it(`${c.name}: train forward, backward, inference, running stats`, () => {
        const p = c.params as { n: number; h: number; w: number; c: number; eps: number; act: Activation };
        const x = fx.tensor(c, 'x'), gamma = fx.tensor(c, 'gamma'), beta = fx.tensor(c, 'beta');
        const f = k.batchNormActTrain(x, gamma, beta, p);
        expectClose(f.mean, fx.tensor(c, 'mean'), { rtol: 1e-5, atol: 1e-5 }, 'mean');
        expectClose(f.invStd, fx.tensor(c, 'invStd'), { rtol: 1e-4, atol: 1e-6 }, 'invStd');
        expectClose(f.y, fx.tensor(c, 'y'), BN_TOL, 'y');
        const g = k.batchNormActGrad(fx.tensor(c, 'dy'), x, gamma, beta, f.mean, f.invStd, p);
        expectClose(g.dx, fx.tensor(c, 'dx'), BN_TOL, 'dx');
        expectClose(g.dgamma, fx.tensor(c, 'dgamma'), { rtol: 2e-4, atol: 1e-3 }, 'dgamma');
        expectClose(g.dbeta, fx.tensor(c, 'dbeta'), { rtol: 2e-4, atol: 1e-3 }, 'dbeta');
        const yi = k.batchNormActInference(x, gamma, beta, fx.tensor(c, 'runningMean'), fx.tensor(c, 'runningVar'), p);
        expectClose(yi, fx.tensor(c, 'yInference'), BN_TOL, 'yInference');
        const rm = new Float32Array(p.c), rv = new Float32Array(p.c).fill(1);
        updateRunningStats(rm, rv, f.mean, f.invStd, { m: p.n * p.h * p.w, momentum: 0.1, eps: p.eps });
        expectClose(rm, fx.tensor(c, 'runningMeanAfter'), { rtol: 1e-5, atol: 1e-5 }, 'runningMean');
        expectClose(rv, fx.tensor(c, 'runningVarAfter'), { rtol: 1e-3, atol: 1e-5 }, 'runningVar');
      });
    }
  });

  describe('elementwise', () => {
    for (const c of fx.byOp('activation')) {
      it(`${c.name}: forward and gradient`, () => {
        const act = c.params.act as Activation;
        const x = fx.tensor(c, 'x');
        expectClose(k.activation(x, act), fx.tensor(c, 'y'), { rtol: 1e-6, atol: 1e-6 }, 'y');
        expectClose(k.activationGrad(fx.tensor(c, 'dy'), x, act), fx.tensor(c, 'dx'), { rtol: 1e-6, atol: 1e-6 }, 'dx');
      });
    }
    for (const c of fx.byOp('softmax-xent')) {
      it(`${c.name}: loss and dlogits`, () => {
        const p = c.params as { n: number; k: number; labelSmoothing: number };
        const labels = Int32Array.from(fx.tensor(c, 'labels'));
        const r = k.softmaxCrossEntropy(fx.tensor(c, 'logits'), labels, p);
        expect(r.loss).toBeCloseTo(fx.tensor(c, 'loss')[0], 5);
        expectClose(r.dlogits, fx.tensor(c, 'dlogits'), { rtol: 1e-5, atol: 1e-7 }, 'dlogits');
      });
    }
    for (const c of fx.byOp('gap')) {
      it(`${c.name}: global average pool forward and gradient`, () => {
        const p = c.params as { n: number; h: number; w: number; c: number };
        expectClose(k.globalAvgPool(fx.tensor(c, 'x'), p), fx.tensor(c, 'y'), { rtol: 1e-5, atol: 1e-6 }, 'y');
        expectClose(k.globalAvgPoolGrad(fx.tensor(c, 'dy'), p), fx.tensor(c, 'dx'), { rtol: 1e-6, atol: 1e-7 }, 'dx');
      });
    }
    for (const c of fx.byOp('channel-shuffle')) {
      it(`${c.name}: channel shuffle and its inverse`, () => {
        const p = c.params as { m: number; c: number; groups: number };
        const y = k.channelShuffle(fx.tensor(c, 'x'), { n: p.m, c: p.c, groups: p.groups });
        expect(Array.from(y)).toEqual(Array.from(fx.tensor(c, 'y')));
        const back = k.channelShuffle(y, { n: p.m, c: p.c, groups: p.c / p.groups });
        expect(Array.from(back)).toEqual(Array.from(fx.tensor(c, 'x')));
      });
    }
    it('add and bias add / grad match plain loops', () => {
      const n = 70001;
      const a = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
      const b = Float32Array.from({ length: n }, (_, i) => Math.cos(3 * i));
      const y = k.add(a, b);
      for (const i of [0, 1, 4095, 16384, 70000]) expect(y[i]).toBe(Math.fround(a[i] + b[i]));
      const m = 37, c = 13;
      const x = a.subarray(0, m * c), bias = b.subarray(0, c);
      const yb = k.biasAdd(x, bias, { n: m, c });
      const db = k.biasAddGrad(x, { n: m, c });
      for (let j = 0; j < c; j++) {
        let s = 0;
        for (let i = 0; i < m; i++) {
          expect(yb[i * c + j]).toBe(Math.fround(x[i * c + j] + bias[j]));
          s += x[i * c + j];
        }
        expect(db[j]).toBeCloseTo(s, 4);
      }
    });
  });

  describe('gemm', () => {
    for (const c of fx.byOp('gemm')) {
      it(`${c.name}`, () => {
        const p = c.params as { m: number; n: number; k: number; transA: boolean; transB: boolean };
        const a = fx.tensor(c, 'a'), b = fx.tensor(c, 'b'), ref = fx.tensor(c, 'c');
        expectClose(k.gemm(a, b, p), ref, CONV_TOL, 'c');
        expectClose(k.gemm(a, b, { ...p, bias: fx.tensor(c, 'bias'), act: 'relu' }), fx.tensor(c, 'cBiasRelu'), CONV_TOL, 'c (bias+relu)');
        // accumulate: C + AB into an ordinary array and into a resident one
        const c0 = Float32Array.from({ length: p.m * p.n }, (_, i) => (i % 7) - 3);
        const want = ref.map((v, i) => v + c0[i]);
        expectClose(k.gemm(a, b, { ...p, accumulate: true }, c0.slice()), want, CONV_TOL, 'c (accumulate)');
        const h = k.heap.fromArray(c0);
        try {
          expect(k.gemm(a, b, { ...p, accumulate: true }, h)).toBe(h);
          expectClose(h.array, want, CONV_TOL, 'c (accumulate, resident)');
        } finally {
          h.dispose();
        }
      });
    }
  });
});
