import * as tf from '@tensorflow/tfjs-core';
import {
  candidateBlock,
  FbnetError,
  OPS,
  parseArchDef,
  Rng,
  spaceSlots,
  type BlockTuple,
  type SearchLayer,
  type SearchSpace,
} from '@fbnet/core';
import { BlockModule, mixCandidates, normalInit, ParamStore, type ForwardContext, type InputNormalization } from '@fbnet/nn';
import type { LatencyModel } from '@fbnet/latency-lut';
import { gumbelSoftmax } from './gumbel.ts';

/** How the searchable layers mix their candidates in one forward pass. */
export type MixMode =
  /** Gumbel-softmax weights with the given noise per layer (eq. 8). */
  | { kind: 'gumbel'; tau: number; noise: Float32Array[]; hard?: boolean }
  /** Deterministic softmax(θ/τ) weights (no noise). */
  | { kind: 'expected'; tau: number }
  /** One candidate per layer (a concrete architecture with the supernet's shared weights). */
  | { kind: 'fixed'; ops: number[] };

interface Slot {
  kind: 'fixed' | 'search';
  block?: BlockModule;
  layer?: SearchLayer;
  candidates?: BlockModule[];
}

/**
 * FBNetV1 stochastic supernet over a search space: fixed blocks as they are, each searchable
 * layer a MixedOperation x_{l+1} = Σ_i m_{l,i} b_{l,i}(x_l) (eq. 5) with architecture
 * parameters θ_l (eq. 4). Weights live in `store` under `w.`, θ in `thetas`.
 */
export class Supernet {
  readonly store = new ParamStore();
  readonly thetas: tf.Variable[] = [];
  readonly layers: SearchLayer[] = [];
  private readonly slots: Slot[] = [];
  private readonly headW: tf.Variable;
  private readonly headB: tf.Variable;
  readonly inputShape: [number, number, number];

  constructor(readonly space: SearchSpace, readonly normalization: InputNormalization, seed: number) {
    const rng = new Rng(seed);
    let channels = space.input_channels;
    const wd = space.basic_args.width_divisor;
    const build = (t: BlockTuple, inC: number, prefix: string, r: Rng) => {
      const [op, c, s, , ...kw] = t;
      // Validate through the arch-def parser so a bad space gets the same named errors.
      parseArchDef({ input_size: space.input_size, input_channels: inC, blocks: [[t]], basic_args: { width_divisor: wd } });
      const kwargs = Object.assign({}, ...kw);
      const spec = OPS.get(op).build({ inChannels: inC, outChannels: c, stride: s, kwargs, widthDivisor: wd });
      return new BlockModule(spec, prefix, this.store, r);
    };
    let fixedIndex = 0;
    for (const slot of spaceSlots(space)) {
      if (slot.kind === 'fixed') {
        const [, c, s, n] = slot.block;
        for (let r = 0; r < n; r++) {
          const t = [slot.block[0], c, r === 0 ? s : 1, 1, ...slot.block.slice(4)] as BlockTuple;
          const b = build(t, channels, `w.f${fixedIndex}`, rng.fork(`fixed${fixedIndex}`));
          fixedIndex++;
          this.slots.push({ kind: 'fixed', block: b });
          channels = b.spec.outChannels;
        }
        continue;
      }
      const l = slot.layer;
      const cands = l.candidates.map((id, i) => build(candidateBlock(space, id, l.c, l.s), channels, `w.l${l.index}.${id}`, rng.fork(`l${l.index}c${i}`)));
      this.layers.push(l);
      this.slots.push({ kind: 'search', layer: l, candidates: cands });
      // θ initialised uniform (equal logits), as the reference implementation's 1/K constant.
      const init = tf.zeros([l.candidates.length]);
      this.thetas.push(tf.variable(init, true, `theta_${l.index}_${thetaId++}`));
      init.dispose();
      channels = l.c;
    }
    this.headW = this.store.add('w.head.w', normalInit(rng.fork('head'), [channels, space.num_classes], 0.01));
    this.headB = this.store.add('w.head.b', tf.zeros([space.num_classes]));
    this.inputShape = [space.input_size, space.input_size, space.input_channels];
  }

  weightVariables(): tf.Variable[] {
    return this.store.trainable('w.');
  }

  /** Gumbel noise for every searchable layer, from one seeded stream. */
  sampleNoise(rng: Rng): Float32Array[] {
    return this.layers.map((l) => rng.gumbelArray(l.candidates.length));
  }

  /** Mixing weights per layer for a mode (tensors; caller disposes or runs inside tidy). */
  mixWeights(mode: MixMode): tf.Tensor1D[] {
    return this.thetas.map((theta, i) => {
      switch (mode.kind) {
        case 'gumbel':
          return gumbelSoftmax(theta as unknown as tf.Tensor1D, mode.noise[i], mode.tau, mode.hard);
        case 'expected':
          return tf.softmax(tf.div(theta, mode.tau)) as tf.Tensor1D;
        case 'fixed':
          return tf.cast(tf.reshape(tf.oneHot(tf.tensor1d([mode.ops[i]], 'int32'), this.layers[i].candidates.length), [-1]), 'float32') as tf.Tensor1D;
      }
    });
  }

  /**
   * Logits and expected latency Σ_l Σ_i m_{l,i} LAT(b_{l,i}) + fixed (eq. 9, ms; the latency model's `expectedV1`).
   * In `fixed` mode only the chosen candidate of each layer runs.
   */
  forward(x: tf.Tensor4D, mode: MixMode, ctx: ForwardContext, latency?: LatencyModel): { logits: tf.Tensor2D; latencyMs: tf.Scalar } {
    return tf.tidy(() => {
      const [n, h, w, c] = x.shape;
      if (h !== this.inputShape[0] || w !== this.inputShape[1] || c !== this.inputShape[2]) {
        throw new FbnetError('USAGE', `supernet expects input [N,${this.inputShape.join(',')}], got [${x.shape}]`);
      }
      const { mean, std } = this.normalization;
      let y = tf.add(tf.mul(x, tf.tensor1d(std.map((s) => 1 / (255 * s)))), tf.tensor1d(mean.map((m, i) => -m / std[i]))) as tf.Tensor4D;
      const ms = mode.kind === 'fixed' ? null : this.mixWeights(mode);
      let li = 0;
      for (const slot of this.slots) {
        if (slot.kind === 'fixed') {
          y = slot.block!.forward(y, ctx);
          continue;
        }
        const cands = slot.candidates!;
        if (mode.kind === 'fixed') {
          y = cands[mode.ops[li]].forward(y, ctx);
        } else {
          // Σ_i m_i b_i(x): one mixed-operation kernel where the backend has it.
          y = mixCandidates(cands.map((b) => b.forward(y, ctx)), ms![li]);
        }
        li++;
      }
      const feats = tf.reshape(tf.mean(y, [1, 2]), [n, y.shape[3]]) as tf.Tensor2D;
      const logits = tf.add(tf.matMul(feats, this.headW as unknown as tf.Tensor2D), this.headB) as tf.Tensor2D;
      let lat: tf.Scalar = tf.scalar(0);
      if (latency) lat = mode.kind === 'fixed' ? tf.scalar(latency.choiceMs(mode.ops)) : latency.expectedV1(ms!);
      return { logits, latencyMs: lat };
    });
  }

  thetaValues(): number[][] {
    return this.thetas.map((t) => Array.from(t.dataSync()));
  }

  dispose(): void {
    this.store.dispose();
    this.thetas.forEach((t) => t.dispose());
  }
}

let thetaId = 0;
