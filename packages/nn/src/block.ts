import './gradients.ts';
import * as tf from '@tensorflow/tfjs-core';
import type { BlockSpec, ConvNode, Rng, SeNode } from '@fbnet/core';
import { activate } from './ops/activations.ts';
import { batchNormActInfer, batchNormActTrain, disposeBatchStats, updateBatchNormRunningStats } from './ops/batch-norm-act.ts';
import { scaleChannels } from './ops/channel-scale.ts';
import { channelShuffle, conv, filterShape } from './ops/conv.ts';
import { foldConvBn, foldedConvForward, type FoldedConv } from './ops/folded-conv.ts';
import { kaimingNormalFanOut, uniformFanIn, type ParamStore } from './params.ts';

export const BN_EPSILON = 1e-5;
/** PyTorch convention: running = (1 - m) * running + m * batch. */
export const BN_MOMENTUM = 0.1;

export interface ForwardContext {
  training: boolean;
  /** Update BN running statistics in training mode (default true). */
  updateStats?: boolean;
  /**
   * Override the BN running-average momentum for this pass (default BN_MOMENTUM). 1/(k+1) on the
   * k-th of several passes gives the cumulative average of their batch statistics — how a
   * one-shot path's BN statistics are re-estimated.
   */
  bnMomentum?: number;
  /** FBNetV2 channel masks: `mid` multiplies the expansion width (after pw and dw), `out` the block output. */
  masks?: { mid?: tf.Tensor; out?: tf.Tensor };
  /** Stochastic depth on residual branches (training only). */
  dropPath?: { rate: number; rng: Rng };
}

interface ConvParams {
  node: ConvNode;
  store: ParamStore;
  prefix: string;
  w: tf.Variable;
  b?: tf.Variable;
  gamma?: tf.Variable;
  beta?: tf.Variable;
  runMean?: tf.Variable;
  runVar?: tf.Variable;
  /** BN folded into the conv for inference (cached; see foldConvBn). */
  folded?: FoldedConv;
}

function convFanOut(n: ConvNode): number {
  // PyTorch weight [cout, cin/groups, kh, kw]: fan_out = cout * kh * kw.
  return n.outChannels * n.kernel * n.kernel;
}

export function createConvParams(store: ParamStore, prefix: string, n: ConvNode, rng: Rng): ConvParams {
  const shape = filterShape(n.kernel, n);
  const p: ConvParams = { node: n, store, prefix, w: store.add(`${prefix}.w`, kaimingNormalFanOut(rng, shape, convFanOut(n))) };
  if (n.bias) p.b = store.add(`${prefix}.b`, tf.zeros([n.outChannels]));
  if (n.bn) {
    p.gamma = store.add(`${prefix}.bn.gamma`, n.zeroGamma ? tf.zeros([n.outChannels]) : tf.ones([n.outChannels]));
    p.beta = store.add(`${prefix}.bn.beta`, tf.zeros([n.outChannels]));
    p.runMean = store.add(`${prefix}.bn.mean`, tf.zeros([n.outChannels]), false);
    p.runVar = store.add(`${prefix}.bn.var`, tf.ones([n.outChannels]), false);
  }
  return p;
}

export function convForward(p: ConvParams, x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
  const n = p.node;
  if (!ctx.training && n.bn) {
    // Inference: BN folded into the conv, one fused kernel (what the exported model runs too).
    const f = foldConvBn(n, { w: p.w, b: p.b, gamma: p.gamma!, beta: p.beta!, runMean: p.runMean!, runVar: p.runVar! }, BN_EPSILON, p.folded);
    if (f !== p.folded) {
      p.store.setDerived(`${p.prefix}#folded`, [f.w, f.b]);
      p.folded = f;
    }
    return foldedConvForward(x, f, n);
  }
  let y = conv(x, p.w as unknown as tf.Tensor4D, n);
  if (p.b) y = tf.add(y, p.b);
  if (!n.bn) return activate(y, n.act);
  const gamma = p.gamma as unknown as tf.Tensor1D;
  const beta = p.beta as unknown as tf.Tensor1D;
  if (!ctx.training) return batchNormActInfer(y, gamma, beta, p.runMean as unknown as tf.Tensor1D, p.runVar as unknown as tf.Tensor1D, n.act, BN_EPSILON);
  const r = batchNormActTrain(y, gamma, beta, n.act, BN_EPSILON);
  if (ctx.updateStats !== false) {
    const count = y.shape[0] * y.shape[1] * y.shape[2];
    updateBatchNormRunningStats(p.runMean!, p.runVar!, r, count, ctx.bnMomentum ?? BN_MOMENTUM, BN_EPSILON);
  }
  disposeBatchStats(r);
  return r.y;
}

interface SeParams {
  node: SeNode;
  w1: tf.Variable;
  b1: tf.Variable;
  w2: tf.Variable;
  b2: tf.Variable;
}

function createSeParams(store: ParamStore, prefix: string, n: SeNode, rng: Rng): SeParams {
  return {
    node: n,
    // conv1 gets mobile-vision's kaiming init; conv2 is built with weight_init=None (PyTorch default).
    w1: store.add(`${prefix}.w1`, kaimingNormalFanOut(rng, [n.channels, n.midChannels], n.midChannels)),
    b1: store.add(`${prefix}.b1`, tf.zeros([n.midChannels])),
    w2: store.add(`${prefix}.w2`, uniformFanIn(rng, [n.midChannels, n.channels], n.midChannels)),
    b2: store.add(`${prefix}.b2`, uniformFanIn(rng, [n.channels], n.midChannels)),
  };
}

function seForward(p: SeParams, x: tf.Tensor4D): tf.Tensor4D {
  const [b, , , c] = x.shape;
  const s = tf.reshape(tf.mean(x, [1, 2]), [b, c]) as tf.Tensor2D;
  const h = activate(tf.add(tf.matMul(s, p.w1 as unknown as tf.Tensor2D), p.b1), p.node.act);
  const g = activate(tf.add(tf.matMul(h, p.w2 as unknown as tf.Tensor2D), p.b2), p.node.gate);
  return tf.mul(x, tf.reshape(g, [b, 1, 1, c]));
}

type NodeParams = { kind: 'conv'; p: ConvParams } | { kind: 'se'; p: SeParams } | { kind: 'shuffle'; groups: number } | { kind: 'gpool' };

/** A block as a function of its input, with its parameters in a ParamStore. */
export class BlockModule {
  private readonly nodes: NodeParams[];

  constructor(readonly spec: BlockSpec, readonly prefix: string, store: ParamStore, rng: Rng) {
    this.nodes = spec.nodes.map((n): NodeParams => {
      switch (n.kind) {
        case 'conv':
          return { kind: 'conv', p: createConvParams(store, `${prefix}.${n.name}`, n, rng) };
        case 'se':
          return { kind: 'se', p: createSeParams(store, `${prefix}.${n.name}`, n, rng) };
        case 'shuffle':
          return { kind: 'shuffle', groups: n.groups };
        case 'gpool':
          return { kind: 'gpool' };
      }
    });
  }

  /** Forget the inference caches (folded BN weights); the store frees them (ParamStore.clearDerived/dispose). */
  dropInferenceCache(): void {
    for (const n of this.nodes) if (n.kind === 'conv') n.p.folded = undefined;
  }

  forward(x: tf.Tensor4D, ctx: ForwardContext): tf.Tensor4D {
    return tf.tidy(() => {
      let y = x;
      const mid = ctx.masks?.mid;
      for (const n of this.nodes) {
        if (n.kind === 'conv') {
          y = convForward(n.p, y, ctx);
          if (mid && (n.p.node.name === 'pw' || n.p.node.name === 'dw')) y = applyMask(y, mid);
        } else if (n.kind === 'se') y = seForward(n.p, y);
        else if (n.kind === 'shuffle') y = channelShuffle(y, n.groups);
        else y = tf.mean(y, [1, 2], true);
      }
      if (ctx.masks?.out) y = applyMask(y, ctx.masks.out);
      if (this.spec.residual) {
        if (ctx.training && ctx.dropPath && ctx.dropPath.rate > 0) y = dropPath(y, ctx.dropPath.rate, ctx.dropPath.rng);
        y = tf.add(y, x);
      }
      return y;
    });
  }
}

/** A channel mask: one per-channel scaling kernel for a [C] mask, a broadcast multiply otherwise. */
function applyMask(y: tf.Tensor4D, m: tf.Tensor): tf.Tensor4D {
  return m.rank === 1 && m.shape[0] === y.shape[3] ? scaleChannels(y, m as tf.Tensor1D) : tf.mul(y, m);
}

/** Stochastic depth: drop the residual branch per sample, scale survivors by 1/keep. */
export function dropPath(x: tf.Tensor4D, rate: number, rng: Rng): tf.Tensor4D {
  const n = x.shape[0];
  const keep = 1 - rate;
  const m = new Float32Array(n);
  for (let i = 0; i < n; i++) m[i] = rng.next() < keep ? 1 / keep : 0;
  return tf.tidy(() => tf.mul(x, tf.tensor4d(m, [n, 1, 1, 1])));
}
