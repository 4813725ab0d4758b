import * as tf from '@tensorflow/tfjs-core';
import { FBNET_KERNELS, type KernelShape } from '@fbnet/core';
import { geometryFromInfo, type ConvGeometry } from './math/conv-geometry.ts';

/**
 * What a kernel call looks like to variant selection: a canonical `KernelShape` (the key of a
 * kernel-plan entry) and, for convolutions, the resolved geometry the fast kernels need.
 * Calls the fast kernels cannot serve (NCHW, dilation, non-float32) get `fast: false`.
 */
export interface CallInfo {
  shape: KernelShape;
  conv?: ConvGeometry;
  fast: boolean;
}

type Attrs = Record<string, unknown>;
type Inputs = Record<string, tf.TensorInfo | undefined>;

const REDUCTIONS = new Set(['Sum', 'Mean', 'Max', 'Min', 'Prod', 'All', 'Any']);
const CONV_KERNELS = new Set(['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'FusedConv2D']);
const DW_KERNELS = new Set(['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'FusedDepthwiseConv2D']);
/** Epilogues the fused-conv variants implement. */
const FUSED_ACTS = new Set(['linear', 'relu', 'relu6']);

function pair(v: unknown): [number, number] {
  return Array.isArray(v) ? [v[0] as number, v[1] as number] : [v as number, v as number];
}

function convInfo(kernel: string, inputs: Inputs, attrs: Attrs): tf.backend_util.Conv2DInfo {
  const depthwise = DW_KERNELS.has(kernel);
  const xShape = (kernel.endsWith('BackpropInput') ? attrs.inputShape : inputs.x!.shape) as [number, number, number, number];
  const fShape = (kernel.endsWith('BackpropFilter') ? attrs.filterShape : inputs.filter!.shape) as [number, number, number, number];
  const dataFormat = attrs.dataFormat === 'NCHW' ? 'channelsFirst' : 'channelsLast';
  return tf.backend_util.computeConv2DInfo(
    xShape,
    fShape,
    pair(attrs.strides),
    pair(attrs.dilations ?? 1),
    attrs.pad as 'same',
    attrs.dimRoundingMode as 'round' | undefined,
    depthwise,
    dataFormat,
  );
}

function allFloat32(inputs: Inputs): boolean {
  return Object.values(inputs).every((t) => !t || t.dtype === 'float32');
}

/** Describe one call of `kernel`; unknown kernels are keyed by their input shapes. */
export function describeCall(kernel: string, inputs: Inputs, attrs: Attrs): CallInfo {
  const f32 = allFloat32(inputs);
  if (CONV_KERNELS.has(kernel) || DW_KERNELS.has(kernel)) {
    const info = convInfo(kernel, inputs, attrs);
    const g = geometryFromInfo(info);
    const p = info.padInfo;
    const shape: KernelShape = { n: g.n, h: g.h, w: g.w, cin: g.cin, cout: g.cout, kh: g.kh, kw: g.kw, s: g.sh === g.sw ? g.sh : `${g.sh}x${g.sw}`, pad: `${p.top},${p.bottom},${p.left},${p.right}` };
    const dilated = info.dilationHeight !== 1 || info.dilationWidth !== 1;
    if (dilated) shape.dil = `${info.dilationHeight}x${info.dilationWidth}`;
    if (info.dataFormat === 'channelsFirst') shape.fmt = 'NCHW';
    const multOk = !DW_KERNELS.has(kernel) || g.cin === g.cout;
    let epilogueOk = true;
    if (kernel.startsWith('Fused')) {
      const act = String(attrs.activation ?? 'linear');
      shape.act = act;
      shape.bias = !!inputs.bias;
      epilogueOk = FUSED_ACTS.has(act) && !inputs.preluActivationWeights && (!inputs.bias || inputs.bias.shape.reduce((a, b) => a * b, 1) === g.cout);
    }
    return { shape, conv: g, fast: f32 && !dilated && info.dataFormat === 'channelsLast' && multOk && epilogueOk };
  }
  if (kernel === FBNET_KERNELS.BatchNormActTrain || kernel === FBNET_KERNELS.BatchNormActGrad) {
    const [n, h, w, c] = inputs.x!.shape;
    return { shape: { n, h, w, c, act: String(attrs.act) }, fast: f32 };
  }
  if (kernel === 'BatchMatMul') {
    const a = inputs.a!.shape;
    const b = inputs.b!.shape;
    const ta = !!attrs.transposeA;
    const tb = !!attrs.transposeB;
    const batch = a.slice(0, -2).reduce((x, y) => x * y, 1);
    const m = ta ? a[a.length - 1] : a[a.length - 2];
    const k = ta ? a[a.length - 2] : a[a.length - 1];
    const nOut = tb ? b[b.length - 2] : b[b.length - 1];
    const bBatch = b.slice(0, -2).reduce((x, y) => x * y, 1);
    return { shape: { batch, m, k, n: nOut, ta, tb }, fast: f32 && bBatch === batch };
  }
  const shape: KernelShape = {};
  for (const [name, t] of Object.entries(inputs)) if (t) shape[name] = t.shape.join('x');
  if (REDUCTIONS.has(kernel) && inputs.x) {
    shape.axis = tf.util.parseAxisParam(attrs.axis as number | number[], inputs.x.shape).join(',');
    shape.keepDims = !!attrs.keepDims;
  }
  return { shape, fast: f32 };
}
