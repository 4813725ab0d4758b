import './gradients.ts';
import * as tf from '@tensorflow/tfjs-core';
import { FbnetError, parseArchDef, resolveArch, Rng, type ArchDef, type ResolvedArch } from '@fbnet/core';
import { BlockModule, type ForwardContext } from './block.ts';
import { normalInit, ParamStore } from './params.ts';

/** Input normalisation baked into the net: x' = (x / 255 - mean) / std, per channel or scalar. */
export interface InputNormalization {
  mean: number[];
  std: number[];
}

export interface NetOptions {
  seed?: number;
  normalization?: InputNormalization;
  /** Dropout before the classifier (training only). */
  dropout?: number;
  /** Parameter name prefix (several nets can share one store). */
  prefix?: string;
  store?: ParamStore;
}

export interface NetForwardContext extends ForwardContext {
  /** Rng for dropout masks (required when dropout > 0 in training). */
  rng?: Rng;
}

/**
 * A concrete network built from an arch def: raw pixels (0..255, NHWC) in, logits out.
 * Parameters are explicit (ParamStore), forward is a plain function of tensors, so the
 * same blocks serve training, supernets, latency measurement and export.
 */
export class Net {
  readonly resolved: ResolvedArch;
  readonly store: ParamStore;
  readonly blocks: BlockModule[];
  readonly normalization: InputNormalization;
  readonly dropout: number;
  private readonly headW: tf.Variable;
  private readonly headB: tf.Variable;
  private readonly ownsStore: boolean;

  constructor(arch: ArchDef | ResolvedArch, options: NetOptions = {}) {
    this.resolved = 'blocks' in arch && 'head' in arch ? (arch as ResolvedArch) : resolveArch(parseArchDef(arch));
    const r = this.resolved;
    const rng = new Rng(options.seed ?? 0);
    this.ownsStore = !options.store;
    this.store = options.store ?? new ParamStore();
    const prefix = options.prefix ?? '';
    this.normalization = options.normalization ?? { mean: Array(r.inputChannels).fill(0.5), std: Array(r.inputChannels).fill(0.5) };
    if (this.normalization.mean.length !== r.inputChannels || this.normalization.std.length !== r.inputChannels) {
      throw new FbnetError('USAGE', `normalization needs ${r.inputChannels} mean/std values`);
    }
    this.dropout = options.dropout ?? 0;
    this.blocks = r.blocks.map((b) => new BlockModule(b.spec, `${prefix}b${b.index}`, this.store, rng.fork(`block${b.index}`)));
    const hr = rng.fork('head');
    // mobile-vision's classifier: normal(0, 0.01) weights, zero bias.
    this.headW = this.store.add(`${prefix}head.w`, normalInit(hr, [r.head.inChannels, r.head.numClasses], 0.01));
    this.headB = this.store.add(`${prefix}head.b`, tf.zeros([r.head.numClasses]));
  }

  get inputShape(): [number, number, number] {
    return [this.resolved.inputSize, this.resolved.inputSize, this.resolved.inputChannels];
  }

  /** Raw pixels -> normalised input. */
  normalize(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      const { mean, std } = this.normalization;
      const scale = tf.tensor1d(std.map((s) => 1 / (255 * s)));
      const offset = tf.tensor1d(mean.map((m, i) => -m / std[i]));
      return tf.add(tf.mul(x, scale), offset);
    });
  }

  /** Features before the classifier: [N, C] after global average pooling. */
  features(x: tf.Tensor4D, ctx: NetForwardContext): tf.Tensor2D {
    return tf.tidy(() => {
      const [n, h, w, c] = x.shape;
      const [eh, ew, ec] = this.inputShape;
      if (h !== eh || w !== ew || c !== ec) {
        throw new FbnetError('USAGE', `net expects input [N,${eh},${ew},${ec}], got [${n},${h},${w},${c}]`);
      }
      let y = this.normalize(x);
      const dp = ctx.dropPath;
      this.blocks.forEach((b, i) => {
        y = b.forward(y, dp ? { ...ctx, dropPath: { rate: dropPathRate(dp.rate, i, this.blocks.length), rng: dp.rng } } : ctx);
      });
      return tf.reshape(tf.mean(y, [1, 2]), [n, y.shape[3]]) as tf.Tensor2D;
    });
  }

  classify(f: tf.Tensor2D, ctx: NetForwardContext): tf.Tensor2D {
    return tf.tidy(() => {
      let z = f;
      if (ctx.training && this.dropout > 0) {
        if (!ctx.rng) throw new FbnetError('USAGE', 'dropout in training needs ctx.rng');
        const keep = 1 - this.dropout;
        const m = new Float32Array(z.size);
        for (let i = 0; i < m.length; i++) m[i] = ctx.rng.next() < keep ? 1 / keep : 0;
        z = tf.mul(z, tf.tensor(m, z.shape));
      }
      return tf.add(tf.matMul(z, this.headW as unknown as tf.Tensor2D), this.headB) as tf.Tensor2D;
    });
  }

  /** Logits [N, classes]. */
  forward(x: tf.Tensor4D, ctx: NetForwardContext = { training: false }): tf.Tensor2D {
    return tf.tidy(() => this.classify(this.features(x, ctx), ctx));
  }

  /** Free inference caches (BN folded into convs); the next eval forward rebuilds them. */
  releaseInferenceCache(): void {
    for (const b of this.blocks) b.dropInferenceCache();
    this.store.clearDerived();
  }

  trainableVariables(): tf.Variable[] {
    return this.store.trainable();
  }

  dispose(): void {
    if (this.ownsStore) this.store.dispose();
    else this.releaseInferenceCache();
  }
}

/**
 * Stochastic depth ramps with depth (Huang et al. 2016; timm and mobile-vision's
 * `drop_path_rate * block_idx / num_blocks`): block i of n drops its residual branch with
 * probability rate · i / n, so the stem-side blocks are almost never dropped and the last ones most.
 */
export function dropPathRate(rate: number, index: number, count: number): number {
  return count > 0 ? (rate * index) / count : 0;
}
