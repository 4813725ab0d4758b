import * as tf from '@tensorflow/tfjs-core';
import { candidateBlock, FbnetError, OPS, Rng, spaceSlots, type BlockTuple, type SearchSpace } from '@fbnet/core';
import { gumbelSoftmax } from '@fbnet/gumbel-supernet';
import { BlockModule, normalInit, ParamStore, type ForwardContext } from '@fbnet/nn';

/**
 * The supernet DMasking replaces, for comparison (benchmarks): every channel option of a layer is
 * its own block b_i with c_i output channels and its own weights, run separately, zero-padded to
 * the largest width and Gumbel-weighted (eq. 1 with one branch per option). Cost and memory grow
 * with Σ_i c_i; the masked supernet's stay at max_i c_i. Supports one candidate per layer and
 * channel choices (what the comparison needs), no expansion or resolution choices.
 */
export class NaiveChannelSupernet {
  readonly store = new ParamStore();
  readonly thetas: tf.Variable[] = [];
  private readonly layers: { blocks: BlockModule[]; widths: number[]; k: number }[] = [];
  private readonly headW: tf.Variable;
  private readonly headB: tf.Variable;

  constructor(readonly space: SearchSpace, seed: number) {
    if (space.resolutions && space.resolutions.length > 1) throw new FbnetError('USAGE', 'the naive supernet compares channel search only (no resolution choices)');
    const rng = new Rng(seed);
    let cin = space.input_channels;
    const wd = space.basic_args.width_divisor;
    const build = (t: BlockTuple, inC: number, prefix: string) => {
      const [op, c, s, , ...kw] = t;
      return new BlockModule(OPS.get(op).build({ inChannels: inC, outChannels: c, stride: s, kwargs: Object.assign({}, ...kw), widthDivisor: wd }), prefix, this.store, rng.fork(prefix));
    };
    spaceSlots(space).forEach((slot, si) => {
      if (slot.kind === 'fixed') {
        const [op, c, s, n, ...kw] = slot.block;
        for (let r = 0; r < n; r++) {
          this.layers.push({ blocks: [build([op, c, r === 0 ? s : 1, 1, ...kw] as BlockTuple, cin, `w.f${si}.${r}`)], widths: [c], k: c });
          cin = c;
        }
        return;
      }
      const l = slot.layer;
      if (l.candidates.length !== 1 || l.expansions) throw new FbnetError('USAGE', 'the naive supernet takes one candidate per layer and no expansion choices');
      const widths = l.channels ?? [l.c];
      const blocks = widths.map((c, i) => build(candidateBlock(space, l.candidates[0], c, l.s), cin, `w.l${l.index}.o${i}`));
      this.layers.push({ blocks, widths, k: Math.max(...widths) });
      if (widths.length > 1) {
        const init = tf.zeros([widths.length]);
        this.thetas.push(tf.variable(init, true, `naive_alpha_${l.index}_${naiveId++}`));
        init.dispose();
      }
      cin = Math.max(...widths);
    });
    this.headW = this.store.add('w.head.w', normalInit(rng.fork('head'), [cin, space.num_classes], 0.01));
    this.headB = this.store.add('w.head.b', tf.zeros([space.num_classes]));
  }

  sampleNoise(rng: Rng): Float32Array[] {
    return this.thetas.map((t) => rng.gumbelArray(t.size));
  }

  weightVariables(): tf.Variable[] {
    return this.store.trainable('w.');
  }

  forward(x: tf.Tensor4D, tau: number, noise: Float32Array[], ctx: ForwardContext): tf.Tensor2D {
    return tf.tidy(() => {
      let y = tf.div(x, 255) as tf.Tensor4D;
      let ti = 0;
      for (const layer of this.layers) {
        if (layer.blocks.length === 1) {
          y = layer.blocks[0].forward(y, ctx);
          continue;
        }
        const g = gumbelSoftmax(this.thetas[ti] as unknown as tf.Tensor1D, noise[ti], tau);
        ti++;
        // eq. 1: Σ_i g_i PAD(b_i(x), k), every option computed by its own block
        const outs = layer.blocks.map((b, i) => {
          const o = b.forward(y, ctx);
          const padded = layer.widths[i] < layer.k ? tf.pad(o, [[0, 0], [0, 0], [0, 0], [0, layer.k - layer.widths[i]]]) : o;
          return tf.mul(padded, tf.slice(g, [i], [1]));
        });
        y = tf.addN(outs) as tf.Tensor4D;
      }
      const feats = tf.mean(y, [1, 2]) as tf.Tensor2D;
      return tf.add(tf.matMul(feats, this.headW as unknown as tf.Tensor2D), this.headB) as tf.Tensor2D;
    });
  }

  dispose(): void {
    this.store.dispose();
    this.thetas.forEach((t) => t.dispose());
  }
}

let naiveId = 0;
