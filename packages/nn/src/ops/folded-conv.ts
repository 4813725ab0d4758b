import * as tf from '@tensorflow/tfjs-core';
import type { ConvNode } from '@fbnet/core';
import { activate } from './activations.ts';
import { filterShape } from './conv.ts';

/** The parameters a conv + BN + act node folds from (running statistics, inference only). */
export interface FoldSource {
  w: tf.Tensor;
  b?: tf.Tensor;
  gamma: tf.Tensor;
  beta: tf.Tensor;
  runMean: tf.Tensor;
  runVar: tf.Tensor;
}

export interface FoldedConv {
  /** dataIds of the sources when folded: any assignment to a variable changes its dataId. */
  key: unknown[];
  w: tf.Tensor4D;
  b: tf.Tensor1D;
}

const FUSED_ACT = { relu: 'relu', none: 'linear' } as const;

function sourceKey(s: FoldSource): unknown[] {
  return [s.w.dataId, s.b?.dataId, s.gamma.dataId, s.beta.dataId, s.runMean.dataId, s.runVar.dataId];
}

function sameKey(a: unknown[], b: unknown[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Inference-time BN folding: conv(x, w)·s + (β − μ·s) with s = γ/√(σ² + ε) is conv(x, w·s) + b',
 * one fused conv + bias + activation kernel instead of conv, batch-norm and activation. A
 * cached result is returned as long as no source variable was reassigned; otherwise a new one
 * is built (the caller owns both and frees the stale one).
 */
export function foldConvBn(n: ConvNode, s: FoldSource, epsilon: number, cached: FoldedConv | undefined): FoldedConv {
  const key = sourceKey(s);
  if (cached && sameKey(cached.key, key)) return cached;
  const folded = tf.tidy(() => {
    const scale = tf.mul(s.gamma, tf.rsqrt(tf.add(s.runVar, epsilon)));
    const shape = filterShape(n.kernel, n);
    // Output channels are the last filter axis, except for depthwise [kh, kw, c, 1].
    const depthwise = shape[3] === 1 && n.groups > 1;
    const w = tf.mul(s.w, depthwise ? tf.reshape(scale, [1, 1, n.outChannels, 1]) : scale) as tf.Tensor4D;
    let b = tf.sub(s.beta, tf.mul(s.runMean, scale));
    if (s.b) b = tf.add(b, tf.mul(s.b, scale));
    return { w: tf.keep(w), b: tf.keep(b as tf.Tensor1D) };
  });
  return { key, ...folded };
}

/** Fused conv (+ folded BN bias + activation) with explicit symmetric padding and groups. */
export function foldedConvForward(x: tf.Tensor4D, f: FoldedConv, n: ConvNode): tf.Tensor4D {
  return tf.tidy(() => {
    const pad: tf.backend_util.ExplicitPadding | 'valid' =
      n.padding[0] === 0 && n.padding[1] === 0 ? 'valid' : [[0, 0], [n.padding[0], n.padding[0]], [n.padding[1], n.padding[1]], [0, 0]];
    const fusedAct = n.act === 'relu' || n.act === 'none' ? FUSED_ACT[n.act] : 'linear';
    let y: tf.Tensor4D;
    if (n.groups === 1) {
      y = tf.fused.conv2d({ x, filter: f.w, strides: n.stride, pad, bias: f.b, activation: fusedAct });
    } else if (n.groups === n.inChannels && n.groups === n.outChannels) {
      // fused.depthwiseConv2d takes symmetric padding as a number; rows != cols pads first.
      const [pr, pc] = n.padding;
      const xin = pr === pc ? x : tf.pad(x, [[0, 0], [pr, pr], [pc, pc], [0, 0]]);
      const dpad = pr === pc ? (pr === 0 ? 'valid' : pr) : 'valid';
      y = tf.fused.depthwiseConv2d({ x: xin, filter: f.w, strides: n.stride, pad: dpad, bias: f.b, activation: fusedAct });
    } else {
      const xs = tf.split(x, n.groups, 3);
      const ws = tf.split(f.w, n.groups, 3);
      const bs = tf.split(f.b, n.groups, 0);
      y = tf.concat(
        xs.map((xi, i) => tf.fused.conv2d({ x: xi as tf.Tensor4D, filter: ws[i] as tf.Tensor4D, strides: n.stride, pad, bias: bs[i], activation: fusedAct })),
        3,
      ) as tf.Tensor4D;
    }
    return fusedAct === 'linear' && n.act !== 'none' ? activate(y, n.act) : y;
  });
}
