import * as tf from '@tensorflow/tfjs-core';
import { FBNET_KERNELS, Rng, type BackendPlugin, type FusedActivation } from '@fbnet/core';
import { STOCK_VARIANT } from '../variant.ts';

/**
 * A kernel-conformance suite every plugin runs against independent references: stock
 * TF.js kernels of a reference backend (cpu) for convolutions, element-wise ops and
 * reductions, and a composition of stock ops (differentiated by TF.js) for the fused BN
 * kernels. Inputs are plain seeded arrays, so references are computed before a plugin
 * replaces any kernel, on whichever backend is the reference.
 */
export interface ConformanceInput {
  name: string;
  shape: number[];
  data: Float32Array;
}

export interface ConformanceCase {
  name: string;
  kernel: string;
  inputs: ConformanceInput[];
  attrs: Record<string, unknown>;
  /** Relative tolerance (on max |reference|) for float32 results. */
  tol: number;
}

function rand(rng: Rng, shape: number[], scale = 1): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rng.next() * 2 - 1) * scale;
  return out;
}

type Pad = number | 'same' | 'valid' | [number, number, number, number];

function padAttr(p: Pad): unknown {
  if (p === 'same' || p === 'valid') return p;
  if (typeof p === 'number') return p === 0 ? 'valid' : [[0, 0], [p, p], [p, p], [0, 0]];
  return [[0, 0], [p[0], p[1]], [p[2], p[3]], [0, 0]];
}

function outSize(inSize: number, k: number, s: number, before: number, after: number): number {
  return Math.floor((inSize + before + after - k) / s) + 1;
}

function convTriplet(rng: Rng, name: string, n: number, h: number, w: number, cin: number, cout: number, k: number, s: number, pad: Pad, depthwise: boolean): ConformanceCase[] {
  const xShape = [n, h, w, cin];
  const fShape = depthwise ? [k, k, cin, 1] : [k, k, cin, cout];
  const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], fShape as [number, number, number, number], [s, s], [1, 1], padAttr(pad) as 'same', undefined, depthwise);
  const dyShape = [n, info.outHeight, info.outWidth, depthwise ? cin : cout];
  const base = { strides: [s, s], pad: padAttr(pad), dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined };
  const names = depthwise
    ? ['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter']
    : ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'];
  const x = { name: 'x', shape: xShape, data: rand(rng, xShape) };
  const f = { name: 'filter', shape: fShape, data: rand(rng, fShape) };
  const dy = { name: 'dy', shape: dyShape, data: rand(rng, dyShape) };
  return [
    { name: `${names[0]} ${name}`, kernel: names[0], inputs: [x, f], attrs: base, tol: 1e-5 },
    { name: `${names[1]} ${name}`, kernel: names[1], inputs: [dy, f], attrs: { ...base, inputShape: xShape }, tol: 1e-5 },
    { name: `${names[2]} ${name}`, kernel: names[2], inputs: [x, dy], attrs: { ...base, filterShape: fShape }, tol: 1e-5 },
  ];
}

/** Dense convolutions: 1x1/3x3/5x5, strides 1/2, explicit (incl. asymmetric), same and valid padding. */
export function convConformanceCases(seed = 1): ConformanceCase[] {
  const rng = new Rng(seed);
  const specs: [string, number, number, number, number, number, number, number, Pad][] = [
    ['1x1 s1', 2, 6, 6, 8, 12, 1, 1, 0],
    ['1x1 s1 odd', 3, 5, 7, 5, 7, 1, 1, 0],
    ['1x1 s2', 2, 7, 7, 6, 10, 1, 2, 0],
    ['3x3 s1 p1', 2, 8, 8, 3, 16, 3, 1, 1],
    ['3x3 s2 p1', 2, 9, 9, 4, 6, 3, 2, 1],
    ['3x3 s2 same', 2, 8, 8, 5, 8, 3, 2, 'same'],
    ['3x3 s1 valid', 1, 7, 6, 3, 5, 3, 1, 'valid'],
    ['3x3 s2 p[0,1,1,0]', 2, 8, 8, 3, 4, 3, 2, [0, 1, 1, 0]],
    ['5x5 s1 p2', 2, 7, 7, 4, 9, 5, 1, 2],
    ['5x5 s2 p2', 2, 9, 9, 3, 8, 5, 2, 2],
    ['5x5 s2 p1', 1, 10, 10, 4, 4, 5, 2, 1],
    ['3x3 s2 p1 cin1 (stem)', 4, 12, 12, 1, 16, 3, 2, 1],
  ];
  return specs.flatMap(([name, n, h, w, cin, cout, k, s, pad]) => convTriplet(rng, name, n, h, w, cin, cout, k, s, pad, false));
}

/** tf.fused.conv2d / depthwiseConv2d as an inference path would call them (bias, relu / relu6 / linear). */
export function fusedConvConformanceCases(seed = 5): ConformanceCase[] {
  const rng = new Rng(seed);
  const out: ConformanceCase[] = [];
  const specs: [string, boolean, number, number, number, number, number, Pad, string, boolean][] = [
    ['1x1 relu bias', false, 1, 4, 8, 12, 1, 0, 'relu', true],
    ['3x3 s2 relu6 bias', false, 2, 7, 3, 6, 3, 1, 'relu6', true],
    ['1x1 linear no-bias', false, 1, 5, 6, 4, 1, 0, 'linear', false],
    ['dw 3x3 relu bias', true, 1, 6, 8, 8, 3, 1, 'relu', true],
    ['dw 5x5 s2 linear bias', true, 2, 7, 5, 5, 5, 2, 'linear', true],
  ];
  for (const [name, dw, n, h, cin, cout, k, pad, activation, withBias] of specs) {
    const s = name.includes('s2') ? 2 : 1;
    const xShape = [n, h, h, cin];
    const fShape = dw ? [k, k, cin, 1] : [k, k, cin, cout];
    const inputs = [
      { name: 'x', shape: xShape, data: rand(rng, xShape) },
      { name: 'filter', shape: fShape, data: rand(rng, fShape) },
      ...(withBias ? [{ name: 'bias', shape: [dw ? cin : cout], data: rand(rng, [dw ? cin : cout]) }] : []),
    ];
    out.push({
      name: `${dw ? 'FusedDepthwiseConv2D' : 'FusedConv2D'} ${name}`,
      kernel: dw ? 'FusedDepthwiseConv2D' : 'FusedConv2D',
      inputs,
      attrs: { strides: [s, s], pad: padAttr(pad), dataFormat: 'NHWC', dilations: [1, 1], dimRoundingMode: undefined, activation, leakyreluAlpha: 0.2 },
      tol: 1e-5,
    });
  }
  return out;
}

/** Depthwise convolutions: 3x3/5x5, strides 1/2, padding k//2 and FBNetV3's 1 for k5. */
export function depthwiseConformanceCases(seed = 2): ConformanceCase[] {
  const rng = new Rng(seed);
  const specs: [string, number, number, number, number, number, number, Pad][] = [
    ['3x3 s1 p1', 2, 7, 7, 6, 3, 1, 1],
    ['3x3 s2 p1', 2, 8, 8, 16, 3, 2, 1],
    ['3x3 s2 same', 2, 7, 7, 5, 3, 2, 'same'],
    ['5x5 s1 p2', 2, 6, 6, 12, 5, 1, 2],
    ['5x5 s2 p2', 2, 7, 7, 9, 5, 2, 2],
    ['5x5 s2 p1', 1, 8, 8, 8, 5, 2, 1],
    ['3x3 s1 p1 non-square', 2, 5, 9, 4, 3, 1, 1],
  ];
  return specs.flatMap(([name, n, h, w, c, k, s, pad]) => convTriplet(rng, name, n, h, w, c, c, k, s, pad, true));
}

const ACTS: FusedActivation[] = ['none', 'relu', 'relu6', 'hswish'];

/** Fused BN+act forward and backward over a few shapes and every activation. */
export function batchNormConformanceCases(seed = 3): ConformanceCase[] {
  const rng = new Rng(seed);
  const out: ConformanceCase[] = [];
  for (const shape of [
    [2, 5, 5, 6],
    [3, 4, 4, 16],
    [1, 1, 1, 7],
  ]) {
    const c = shape[3];
    for (const act of ACTS) {
      // Scale x so relu6 / hswish see both of their kinks.
      const x = { name: 'x', shape, data: rand(rng, shape, 4) };
      const gamma = { name: 'gamma', shape: [c], data: rand(rng, [c], 2) };
      const beta = { name: 'beta', shape: [c], data: rand(rng, [c], 1) };
      const dy = { name: 'dy', shape, data: rand(rng, shape) };
      const attrs = { epsilon: 1e-3, act };
      out.push({ name: `BatchNormActTrain ${shape.join('x')} ${act}`, kernel: FBNET_KERNELS.BatchNormActTrain, inputs: [x, gamma, beta], attrs, tol: 1e-4 });
      out.push({ name: `BatchNormActGrad ${shape.join('x')} ${act}`, kernel: FBNET_KERNELS.BatchNormActGrad, inputs: [dy, x, gamma, beta], attrs, tol: 1e-4 });
    }
  }
  return out;
}

/** Broadcasting binary ops and contiguous-axis reductions as an FBNet step issues them. */
export function elementwiseConformanceCases(seed = 4): ConformanceCase[] {
  const rng = new Rng(seed);
  const t = (name: string, shape: number[]) => ({ name, shape, data: rand(rng, shape, 2) });
  const out: ConformanceCase[] = [];
  const pairs: [string, number[], number[]][] = [
    ['same shape', [2, 5, 5, 6], [2, 5, 5, 6]],
    ['per-channel', [2, 5, 5, 6], [6]],
    ['scalar right', [2, 3, 3, 4], []],
    ['scalar left', [], [2, 3, 3, 4]],
    ['pooled grad', [2, 1, 1, 6], [2, 4, 4, 6]],
    ['row vector', [5, 1], [5, 7]],
    ['1-d', [9], [9]],
  ];
  for (const kernel of ['Add', 'Sub', 'Multiply', 'RealDiv']) {
    for (const [name, a, b] of pairs) {
      const bIn = t('b', b);
      if (kernel === 'RealDiv') for (let i = 0; i < bIn.data.length; i++) bIn.data[i] = bIn.data[i] >= 0 ? bIn.data[i] + 0.5 : bIn.data[i] - 0.5;
      out.push({ name: `${kernel} ${name}`, kernel, inputs: [t('a', a), bIn], attrs: {}, tol: 1e-6 });
    }
  }
  const reductions: [string, number[], number[], boolean][] = [
    ['global pool', [2, 4, 4, 6], [1, 2], false],
    ['global pool keepDims', [2, 4, 4, 6], [1, 2], true],
    ['bias grad', [2, 3, 3, 5], [0, 1, 2], false],
    ['last axis', [3, 7], [1], false],
    ['all', [2, 3, 4], [0, 1, 2], false],
    ['non-contiguous (stock)', [2, 3, 4, 5], [0, 2], false],
  ];
  for (const kernel of ['Relu', 'Relu6']) {
    out.push({ name: `${kernel} 4-d`, kernel, inputs: [{ name: 'x', shape: [2, 3, 3, 5], data: rand(rng, [90], 8) }], attrs: {}, tol: 0 });
  }
  const C = 6;
  const bnIn = (name: string, scale: number, shift = 0) => ({ name, shape: [C], data: rand(rng, [C], scale).map((v) => v + shift) });
  out.push({
    name: 'FusedBatchNorm inference',
    kernel: 'FusedBatchNorm',
    inputs: [{ name: 'x', shape: [2, 4, 4, C], data: rand(rng, [2 * 4 * 4 * C], 3) }, bnIn('mean', 1), bnIn('variance', 0.5, 1), bnIn('offset', 1), bnIn('scale', 1)],
    attrs: { varianceEpsilon: 1e-3 },
    tol: 1e-5,
  });
  for (const kernel of ['Sum', 'Mean']) {
    for (const [name, shape, axis, keepDims] of reductions) {
      out.push({ name: `${kernel} ${name}`, kernel, inputs: [t('x', shape)], attrs: { axis, keepDims }, tol: 1e-5 });
    }
  }
  return out;
}

function materialize(c: ConformanceCase): tf.NamedTensorMap {
  return Object.fromEntries(c.inputs.map((i) => [i.name, tf.tensor(i.data, i.shape, 'float32')]));
}

/** Reference BN+act as stock ops (biased variance), returning the kernel's outputs. */
function batchNormReference(c: ConformanceCase): tf.Tensor[] {
  const m = materialize(c);
  const eps = c.attrs.epsilon as number;
  const act = c.attrs.act as FusedActivation;
  const activate = (z: tf.Tensor) =>
    act === 'relu' ? tf.relu(z) : act === 'relu6' ? tf.relu6(z) : act === 'hswish' ? tf.mul(z, tf.div(tf.relu6(tf.add(z, 3)), 6)) : z;
  const forward = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    // Not tf.moments: its float32→float32 Cast loses the gradient when x is a tf.grads input.
    const mean = tf.mean(x, [0, 1, 2]);
    const variance = tf.mean(tf.square(tf.sub(x, mean)), [0, 1, 2]);
    const invStd = tf.rsqrt(tf.add(variance, eps));
    return { y: activate(tf.add(tf.mul(tf.mul(tf.sub(x, mean), invStd), g), b)), mean, invStd };
  };
  try {
    if (c.kernel === FBNET_KERNELS.BatchNormActTrain) {
      const r = forward(m.x, m.gamma, m.beta);
      return [r.y, r.mean, r.invStd];
    }
    const grads = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => forward(x, g, b).y);
    return grads([m.x, m.gamma, m.beta], m.dy);
  } finally {
    tf.dispose(Object.values(m));
  }
}

/** Reference outputs on the active backend's stock kernels (call before any plugin replaces them). */
export async function referenceOutputs(c: ConformanceCase): Promise<Float32Array[]> {
  if (c.kernel === FBNET_KERNELS.BatchNormActTrain || c.kernel === FBNET_KERNELS.BatchNormActGrad) {
    const outs = tf.tidy(() => batchNormReference(c));
    const data = (await Promise.all(outs.map((o) => o.data()))) as Float32Array[];
    tf.dispose(outs);
    return data;
  }
  return runCase(c);
}

/** Inputs for the fused grad kernel: the saved statistics come from the forward kernel. */
async function runCase(c: ConformanceCase): Promise<Float32Array[]> {
  const inputs = materialize(c);
  let outs: tf.Tensor[] = [];
  try {
    if (c.kernel === FBNET_KERNELS.BatchNormActGrad) {
      const [y, mean, invStd] = tf.engine().runKernel(FBNET_KERNELS.BatchNormActTrain, { x: inputs.x, gamma: inputs.gamma, beta: inputs.beta }, c.attrs as tf.NamedAttrMap) as tf.Tensor[];
      y.dispose();
      outs = [mean, invStd];
      const r = tf.engine().runKernel(c.kernel, { ...inputs, mean, invStd }, c.attrs as tf.NamedAttrMap);
      outs.push(...(r as tf.Tensor[]));
      const data = (await Promise.all(outs.slice(2).map((o) => o.data()))) as Float32Array[];
      return data;
    }
    const r = tf.engine().runKernel(c.kernel, inputs, c.attrs as tf.NamedAttrMap);
    outs = Array.isArray(r) ? (r as tf.Tensor[]) : [r as tf.Tensor];
    return (await Promise.all(outs.map((o) => o.data()))) as Float32Array[];
  } finally {
    tf.dispose(outs);
    tf.dispose(Object.values(inputs));
  }
}

export interface ConformanceResult {
  case: string;
  kernel: string;
  variant: string;
  maxAbsDiff: number;
  scale: number;
  ok: boolean;
  error?: string;
}

/**
 * Runs every variant the plugin lists for each case's kernel (forced, on the active
 * backend) and compares with the reference outputs. Variants whose `supports` rejects the
 * case's shape are skipped; the stock variant is checked too where it exists.
 */
export async function checkVariants(plugin: BackendPlugin, cases: ConformanceCase[], references: Float32Array[][], options: { skipStock?: boolean } = {}): Promise<ConformanceResult[]> {
  const out: ConformanceResult[] = [];
  const variants = plugin.variants();
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i];
    const ref = references[i];
    const scale = Math.max(1, ...ref.map((r) => r.reduce((m, v) => Math.max(m, Math.abs(v)), 0)));
    for (const v of variants.filter((v) => v.kernel === c.kernel)) {
      if (options.skipStock && v.variant === STOCK_VARIANT) continue;
      const res: ConformanceResult = { case: c.name, kernel: c.kernel, variant: v.variant, maxAbsDiff: NaN, scale, ok: false };
      try {
        plugin.forceVariant?.(c.kernel, v.variant);
        const got = await runCase(c);
        let d = 0;
        if (got.length !== ref.length) throw new Error(`${got.length} outputs, reference has ${ref.length}`);
        for (let k = 0; k < ref.length; k++) {
          if (got[k].length !== ref[k].length) throw new Error(`output ${k} has ${got[k].length} elements, reference ${ref[k].length}`);
          for (let j = 0; j < ref[k].length; j++) d = Math.max(d, Math.abs(got[k][j] - ref[k][j]));
        }
        res.maxAbsDiff = d;
        res.ok = d <= c.tol * scale;
      } catch (e) {
        res.error = (e as Error).message;
      } finally {
        plugin.forceVariant?.(c.kernel, undefined);
      }
      out.push(res);
    }
  }
  return out;
}
