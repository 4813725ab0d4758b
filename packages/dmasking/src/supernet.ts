import * as tf from '@tensorflow/tfjs-core';
import { FbnetError, Rng, searchLayers, type ArchChoice, type SearchLayer, type SearchSpace } from '@fbnet/core';
import { gumbelSoftmax, stopGradient } from '@fbnet/gumbel-supernet';
import { BlockModule, convForward, createConvParams, mixCandidates, normalInit, ParamStore, scaleChannels, type ForwardContext, type InputNormalization } from '@fbnet/nn';
import { effectiveCost, oneHotWeights, spaceCostGraph, spaceChoiceKey, type CostMode, type EffectiveGraph } from '@fbnet/shape-propagation';
import { addMaskedShortcut, isAllOnes, maskBank, tableMask, type MaskTable } from './masks.ts';
import { planSupernet, type CandidatePlan, type SlotPlan } from './plan.ts';
import { intersperse, subsample } from './resample.ts';

/** Gumbel weights (or one-hot, or softmax) per choice key (`op/3`, `channels/3`, `expansion/3`, `resolution`). */
export type ChoiceWeights = Record<string, tf.Tensor1D>;

/** How the supernet mixes its options in one forward pass. */
export type DMaskingMode =
  /**
   * Gumbel-softmax weights (eq. 4) with the given noise per choice key; `hard`: straight-through one-hot.
   * `resolution`: 'sample' (default) runs the body once, on the resolution the Gumbel draw picks
   * (argmax of the weights), and passes α's gradient straight through its weight; 'all' runs every
   * resolution's branch and sums their interspersed maps (memory grows with the resolutions).
   */
  | { kind: 'gumbel'; tau: number; noise: Record<string, Float32Array>; hard?: boolean; resolution?: 'sample' | 'all' }
  /** softmax(θ/τ), no noise. */
  | { kind: 'expected'; tau: number }
  /** One option per choice: the derived arch run with the supernet's shared weights (only its branch runs). */
  | { kind: 'fixed'; choice: ArchChoice }
  /** Explicit weights per choice key (tests, analysis); every choice must be given. */
  | { kind: 'weights'; weights: Record<string, ArrayLike<number>> };

/** A searchable dimension: its key, its number of options and what the options are. */
export interface ChoiceInfo {
  key: string;
  kind: 'op' | 'channels' | 'expansion' | 'resolution';
  /** Searchable layer index (absent for the resolution). */
  layer?: number;
  options: (string | number)[];
}

type ConvParams = Parameters<typeof convForward>[0];

/**
 * A candidate's shared-weight block, run in up to three parts over one set of parameters:
 * `pw` (only where some options have no pointwise expansion: gated against the identity),
 * `main` (the nodes before the last conv), and `last`, the block's last conv (pwl, a skip's
 * projection, a plain conv), whose parameters carry the masks:
 * - the expansion mask M_mid multiplies the last conv's input channels: conv(h ∘ M, W) =
 *   conv(h, W ∘ M) — once, at the input of the linear projection, where the padded weighted sum
 *   of eq. 1-3 over expansion options holds exactly (eval BN);
 * - the output mask M multiplies the BN affine parameters: act(γ ẑ + β) ∘ M = act((γ∘M) ẑ + β∘M)
 *   for act ∈ {none, relu} and M ≥ 0.
 * So masking costs parameter-sized tensors, not activation-sized ones: memory stays that of one
 * block of the largest width (FBNetV2 Sec. 3.1). (nn's `masks.mid` multiplies activations after
 * both pw and dw; with soft weights that applies M twice around a nonlinearity, which is not eq. 3.)
 */
interface CandidateModule {
  plan: CandidatePlan;
  main: BlockModule | null;
  pw?: BlockModule;
  last?: ConvParams;
}

function buildCandidate(plan: CandidatePlan, prefix: string, store: ParamStore, rng: Rng): CandidateModule {
  const spec = plan.spec;
  if (!spec) return { plan, main: null };
  let nodes = spec.nodes;
  // One Rng for every part, in node order: the same parameter draws as one BlockModule.
  const part = (ns: typeof nodes) => (ns.length ? new BlockModule({ ...spec, nodes: ns, residual: false }, prefix, store, rng) : null);
  let pw: BlockModule | undefined;
  if (plan.pwGate && nodes[0]?.name === 'pw') {
    pw = part(nodes.slice(0, 1))!;
    nodes = nodes.slice(1);
  }
  const tail = nodes[nodes.length - 1];
  if (tail?.kind !== 'conv') return { plan, pw, main: part(nodes) };
  const main = part(nodes.slice(0, -1));
  return { plan, pw, main, last: createConvParams(store, `${prefix}.${tail.name}`, tail, rng) };
}

interface Slot {
  plan: SlotPlan;
  candidates: CandidateModule[];
}

/** Channels of x cut or zero-padded to `c` (the shortcut of a block whose widths are searched). */
function fitChannels(x: tf.Tensor4D, c: number): tf.Tensor4D {
  const cin = x.shape[3];
  if (cin === c) return x;
  if (cin > c) return tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, c]);
  return tf.pad(x, [
    [0, 0],
    [0, 0],
    [0, 0],
    [0, c - cin],
  ]);
}

/**
 * FBNetV2 DMasking supernet over a search space with V1 block choices, V2 channel/expansion
 * choices and V2 input-resolution choices, all in one net.
 *
 * - Channels (eq. 1-3): every candidate block is built once at the largest widths; its expanded
 *   width and output are multiplied by masks M = Σ_i g_i l_i, so one forward computes the
 *   padded weighted sum over every width option. Residuals (and skips' identities) exist only
 *   where C_in = C_out, so the shortcut is masked by the joint weight of those options.
 * - Blocks (V1, eq. 5 of FBNet): candidates are mixed Σ_i m_i b_i(x).
 * - Resolution: the input is subsampled (nearest neighbour, corners aligned) to every candidate
 *   resolution before the convolutions, so receptive fields are kept (Fig. 4 E); each branch
 *   runs the shared-weight body; its last feature map is brought back to the full map with
 *   interspersed zero padding (Fig. 4 C) and the maps are Gumbel-weighted and summed.
 *
 * At one-hot weights the supernet computes exactly the derived arch (with the widest block's
 * weights cut to the chosen widths, on the nearest-neighbour-subsampled input).
 */
export class DMaskingSupernet {
  readonly store = new ParamStore();
  /** Architecture parameters α per choice key (eq. 4), in `choices` order. */
  readonly thetas = new Map<string, tf.Variable>();
  readonly choices: ChoiceInfo[] = [];
  readonly layers: SearchLayer[];
  readonly slots: Slot[];
  readonly costGraph: EffectiveGraph;
  readonly inputShape: [number, number, number];
  readonly resolutions: number[];
  /** The masks' constant 0/1 prefix matrices, uploaded once (freed by dispose). */
  private readonly prefixCache = new Map<string, tf.Tensor2D>();
  /** Every distinct mask table of the plan (not all-ones), in one order, and their masks in one op (host backends). */
  private readonly maskTables: MaskTable[] = [];
  private readonly hostMasks: (weights: (key: string) => tf.Tensor1D) => tf.Tensor1D[];
  private readonly headW: tf.Variable;
  private readonly headB: tf.Variable;

  /**
   * `options.masks`: how a step computes its channel masks — `'host'` all in one op on the host
   * (`tableMasks`), `'kernels'` with backend kernels per mask (`tableMask`), `'auto'` (default)
   * host on the cpu and wasm backends, kernels elsewhere (a device backend would sync to read the weights).
   */
  constructor(readonly space: SearchSpace, readonly normalization: InputNormalization, seed: number, private readonly options: { masks?: 'auto' | 'host' | 'kernels' } = {}) {
    const rng = new Rng(seed);
    this.layers = searchLayers(space);
    this.slots = planSupernet(space).map((plan) => ({
      plan,
      candidates: plan.candidates.map((c, i) => buildCandidate(c, `w.s${plan.index}.${c.id}`, this.store, rng.fork(`s${plan.index}c${i}`))),
    }));
    const last = this.slots[this.slots.length - 1].plan.outMax;
    this.headW = this.store.add('w.head.w', normalInit(rng.fork('head'), [last, space.num_classes], 0.01));
    this.headB = this.store.add('w.head.b', tf.zeros([space.num_classes]));
    this.inputShape = [space.input_size, space.input_size, space.input_channels];
    this.resolutions = space.resolutions ?? [space.input_size];

    for (const l of this.layers) {
      if (l.candidates.length > 1) this.addChoice({ key: spaceChoiceKey.op(l.index), kind: 'op', layer: l.index, options: l.candidates });
      if (l.channels && l.channels.length > 1) this.addChoice({ key: spaceChoiceKey.channels(l.index), kind: 'channels', layer: l.index, options: l.channels });
      if (l.expansions && l.expansions.length > 1) this.addChoice({ key: spaceChoiceKey.expansion(l.index), kind: 'expansion', layer: l.index, options: l.expansions });
    }
    if (this.resolutions.length > 1) this.addChoice({ key: spaceChoiceKey.resolution, kind: 'resolution', options: this.resolutions });
    this.costGraph = spaceCostGraph(space);
    const tables = new Map<string, MaskTable>();
    for (const slot of this.slots) {
      for (const c of slot.candidates) {
        const p = c.plan;
        for (const t of [p.pwGate, p.pwSkip, p.out, p.mid, p.residual === 'always' ? null : p.residual]) if (t && !isAllOnes(t)) tables.set(maskId(t), t);
      }
    }
    this.maskTables.push(...tables.values());
    const optionCount = new Map(this.choices.map((c) => [c.key, c.options.length]));
    this.hostMasks = maskBank(this.maskTables, (key) => optionCount.get(key) ?? 0);
  }

  private addChoice(c: ChoiceInfo): void {
    this.choices.push(c);
    // α initialised uniform (equal logits), as FBNet's θ.
    const init = tf.zeros([c.options.length]);
    this.thetas.set(c.key, tf.variable(init, true, `alpha_${c.key.replace('/', '_')}_${alphaId++}`));
    init.dispose();
  }

  thetaVariables(): tf.Variable[] {
    return [...this.thetas.values()];
  }

  weightVariables(): tf.Variable[] {
    return this.store.trainable('w.');
  }

  /** Gumbel noise for every choice, from one seeded stream, in `choices` order. */
  sampleNoise(rng: Rng): Record<string, Float32Array> {
    return Object.fromEntries(this.choices.map((c) => [c.key, rng.gumbelArray(c.options.length)]));
  }

  /** Weights per choice key for a mode (tensors; call inside tidy or dispose). */
  mixWeights(mode: DMaskingMode): ChoiceWeights {
    if (mode.kind === 'fixed') {
      const w = oneHotWeights(this.space, mode.choice);
      return Object.fromEntries(this.choices.map((c) => [c.key, tf.tensor1d(w[c.key])]));
    }
    if (mode.kind === 'weights') {
      return Object.fromEntries(
        this.choices.map((c) => {
          const w = mode.weights[c.key];
          if (!w || w.length !== c.options.length) throw new FbnetError('USAGE', `weights for "${c.key}" must have ${c.options.length} entries`);
          return [c.key, tf.tensor1d(Array.from(w))];
        }),
      );
    }
    const out: ChoiceWeights = {};
    for (const [key, theta] of this.thetas) {
      out[key] =
        mode.kind === 'gumbel'
          ? gumbelSoftmax(theta as unknown as tf.Tensor1D, mode.noise[key], mode.tau, mode.hard)
          : (tf.softmax(tf.div(theta, mode.tau)) as tf.Tensor1D);
    }
    return out;
  }

  /**
   * Logits, and the weights used (for the effective cost of the same sample). In `fixed` mode only
   * the chosen candidate of each layer and the chosen resolution run.
   */
  forward(x: tf.Tensor4D, mode: DMaskingMode, ctx: ForwardContext): { logits: tf.Tensor2D; weights: ChoiceWeights } {
    return tf.tidy(() => {
      const [n, h, w, c] = x.shape;
      const [eh, ew, ec] = this.inputShape;
      if (h !== eh || w !== ew || c !== ec) throw new FbnetError('USAGE', `supernet expects input [N,${eh},${ew},${ec}], got [${x.shape}]`);
      const weights = this.mixWeights(mode);
      const { mean, std } = this.normalization;
      const xn = tf.add(tf.mul(x, tf.tensor1d(std.map((s) => 1 / (255 * s)))), tf.tensor1d(mean.map((m, i) => -m / std[i]))) as tf.Tensor4D;
      const resKey = spaceChoiceKey.resolution;
      const sampled = mode.kind === 'gumbel' && mode.resolution !== 'all' && this.resolutions.length > 1;
      const fixedRes =
        mode.kind === 'fixed'
          ? (mode.choice.resolution ?? this.resolutions.indexOf(this.space.input_size))
          : sampled
            ? argmax(weights[resKey].dataSync())
            : undefined;
      const branches: { ri: number; f: tf.Tensor4D }[] = [];
      this.resolutions.forEach((r, ri) => {
        if (fixedRes !== undefined && ri !== fixedRes) return;
        branches.push({ ri, f: this.body(r === h ? xn : subsample(xn, [r, r]), weights, mode, ctx) });
      });
      let map: tf.Tensor4D;
      if (sampled) {
        // One body pass on the drawn resolution (GDAS-style straight-through Gumbel): the branch is
        // scaled by g_k + stop(1 − g_k), 1 in value, so α gets ∂L/∂g_k = <∂L/∂map, map_k> and, via
        // the softmax, a gradient in every α. Memory is that of one resolution, compute Σ_r p_r r²/R².
        const g = tf.slice(weights[resKey], [fixedRes!], [1]);
        map = tf.mul(branches[0].f, tf.add(g, stopGradient(tf.sub(1, g)))) as tf.Tensor4D;
      } else if (branches.length === 1) map = branches[0].f;
      else {
        const full = Math.max(...branches.map((b) => b.f.shape[1]));
        // Interspersed zero padding back to the full map (Fig. 4 C), scaled by the inverse share of
        // positions this resolution fills, so that the global pool of the mixed map is the weighted
        // mean of every resolution's own map (exact at one-hot weights).
        const terms = branches.map(({ ri, f }) => {
          const density = (full * full) / (f.shape[1] * f.shape[2]);
          const g = tf.mul(tf.slice(weights[resKey], [ri], [1]), density);
          return tf.mul(intersperse(f, [full, full]), g) as tf.Tensor4D;
        });
        map = tf.addN(terms) as tf.Tensor4D;
      }
      const feats = tf.reshape(tf.mean(map, [1, 2]), [n, map.shape[3]]) as tf.Tensor2D;
      const logits = tf.add(tf.matMul(feats, this.headW as unknown as tf.Tensor2D), this.headB) as tf.Tensor2D;
      return { logits, weights };
    });
  }

  /** The shared-weight body (every slot) on one resolution's input. */
  private body(x: tf.Tensor4D, weights: ChoiceWeights, mode: DMaskingMode, ctx: ForwardContext): tf.Tensor4D {
    const weightOf = (key: string) => {
      const w = weights[key];
      if (!w) throw new FbnetError('USAGE', `no weights for choice "${key}"`);
      return w;
    };
    const memo = new Map<string, tf.Tensor1D | null>();
    const m = this.options.masks ?? 'auto';
    if (this.maskTables.length && (m === 'host' || (m === 'auto' && HOST_BACKENDS.has(tf.getBackend())))) {
      // Host backends: every mask of the step in one op (tiny kernels cost more than their arithmetic there).
      this.hostMasks(weightOf).forEach((m, i) => memo.set(maskId(this.maskTables[i]), m));
    }
    const mask = (t: MaskTable | null): tf.Tensor1D | null => {
      if (!t || isAllOnes(t)) return null;
      const id = maskId(t);
      if (!memo.has(id)) memo.set(id, tableMask(t, weightOf, this.prefixCache));
      return memo.get(id)!;
    };
    let y = x;
    for (const slot of this.slots) {
      const cands = slot.candidates;
      const opKey = slot.plan.opKey;
      const layer = slot.plan.layer;
      if (opKey && mode.kind === 'fixed') {
        y = this.candidate(cands[mode.choice.ops[layer!.index]], y, slot.plan.outMax, mask, ctx);
      } else if (opKey) {
        // Σ_i m_i b_i(x): one mixed-operation kernel where the backend has it.
        y = mixCandidates(cands.map((cm) => this.candidate(cm, y, slot.plan.outMax, mask, ctx)), weights[opKey]);
      } else {
        y = this.candidate(cands[0], y, slot.plan.outMax, mask, ctx);
      }
    }
    return y;
  }

  private candidate(cm: CandidateModule, x: tf.Tensor4D, outMax: number, mask: (t: MaskTable | null) => tf.Tensor1D | null, ctx: ForwardContext): tf.Tensor4D {
    const p = cm.plan;
    let y: tf.Tensor4D | null = null;
    const plain: ForwardContext = { ...ctx, masks: undefined };
    let h = x;
    if (cm.pw) {
      // pw where the option expands, the input itself (zero-padded to the expanded width) where it does not
      const midMax = p.pwGate!.k;
      h = tf.add(masked(cm.pw.forward(x, plain), mask(p.pwGate)), masked(fitChannels(x, midMax), mask(p.pwSkip))) as tf.Tensor4D;
    }
    if (cm.main) h = cm.main.forward(h, plain);
    const out = mask(p.out);
    if (cm.last) {
      const node = cm.last.node;
      let params: ConvParams = cm.last;
      const mid = mask(p.mid);
      let inputMask: tf.Tensor1D | null = null;
      if (mid) {
        if (node.groups === 1) params = { ...params, w: tf.mul(params.w, tf.reshape(mid, [1, 1, -1, 1])) as unknown as tf.Variable };
        else inputMask = mid;
      }
      const foldOut = out && node.bn && (node.act === 'none' || node.act === 'relu');
      if (foldOut) params = { ...params, gamma: tf.mul(params.gamma!, out) as unknown as tf.Variable, beta: tf.mul(params.beta!, out) as unknown as tf.Variable };
      y = convForward(params, masked(h, inputMask), plain);
      if (!foldOut) y = masked(y, out);
    } else if (cm.main || cm.pw) y = masked(h, out);
    if (p.residual) {
      const r = p.residual === 'always' ? null : mask(p.residual);
      if (y && r) {
        // One op: no padded or multiplied copy of the shortcut is kept for the backward pass.
        y = addMaskedShortcut(y, x.shape[3] > outMax ? fitChannels(x, outMax) : x, r);
      } else {
        const short = fitChannels(x, outMax);
        const term = masked(short, r);
        y = y ? (tf.add(y, term) as tf.Tensor4D) : term;
      }
    }
    if (!y) throw new FbnetError('USAGE', `candidate "${p.id}" has neither a body nor a shortcut`);
    return y;
  }

  /** Effective FLOPs or params (eq. 5-10) of the weights, differentiable (shape-propagation's graph). */
  effectiveCost(weights: ChoiceWeights, mode: CostMode = 'flops'): tf.Scalar {
    const w: ChoiceWeights = {};
    for (const k of Object.keys(this.costGraph.choices)) if (weights[k]) w[k] = weights[k];
    return effectiveCost(this.costGraph, w, { mode });
  }

  /** α values per choice key. */
  thetaValues(): Record<string, number[]> {
    return Object.fromEntries([...this.thetas].map(([k, v]) => [k, Array.from(v.dataSync())]));
  }

  dispose(): void {
    this.store.dispose();
    this.thetas.forEach((t) => t.dispose());
    this.prefixCache.forEach((t) => t.dispose());
    this.prefixCache.clear();
  }
}

/** x ∘ mask over the channels (one kernel where the backend has it); x itself without a mask. */
function masked(x: tf.Tensor4D, m: tf.Tensor1D | null): tf.Tensor4D {
  return m ? scaleChannels(x, m) : x;
}

let alphaId = 0;

/** Backends whose tensors live in host memory: masks are computed there in one op (`maskBank`). */
const HOST_BACKENDS = new Set(['cpu', 'wasm']);

const maskId = (t: MaskTable) => JSON.stringify(t);

function argmax(v: ArrayLike<number>): number {
  let k = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[k]) k = i;
  return k;
}
