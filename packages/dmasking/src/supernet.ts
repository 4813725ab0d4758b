import * as tf from '@tensorflow/tfjs-core';
import { FbnetError, Rng, searchLayers, type ArchChoice, type SearchLayer, type SearchSpace } from '@fbnet/core';
import { gumbelSoftmax, stopGradient } from '@fbnet/gumbel-supernet';
import { BlockModule, convForward, createConvParams, mixCandidates, normalInit, ParamStore, scaleChannels, type ForwardContext, type InputNormalization } from '@fbnet/nn';
import { effectiveCost, oneHotWeights, spaceCostGraph, spaceChoiceKey, type CostMode, type EffectiveGraph } from '@fbnet/shape-propagation';
import { compileFoldPlan, foldStep, hasFoldKernels, type FoldMode, type FoldPlan, type ParamFold } from './fold.ts';
import { addMaskedShortcut } from './masked-shortcut.ts';
import { isAllOnes, tableMask, type MaskTable } from './masks.ts';
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
  /** Where the masks of `last` go (static): see `lastMasks`. */
  lastMasks?: LastMasks;
}

/**
 * The masks of a candidate's last conv: `w` (M_mid) folds into the filter's input channels,
 * `affine` (M_out) into the BN affine parameters (act ∈ {none, relu}, M ≥ 0); where folding does
 * not hold (grouped conv, other activations, no BN), `input` and `after` multiply activations.
 */
interface LastMasks {
  w?: MaskTable;
  affine?: MaskTable;
  input?: MaskTable;
  after?: MaskTable;
}

const nonTrivial = (t: MaskTable | null | 'always'): MaskTable | null => (t && t !== 'always' && !isAllOnes(t) ? t : null);

function lastMasks(cm: CandidateModule): LastMasks | undefined {
  if (!cm.last) return undefined;
  const node = cm.last.node;
  const mid = nonTrivial(cm.plan.mid);
  const out = nonTrivial(cm.plan.out);
  const foldOut = !!out && node.bn && (node.act === 'none' || node.act === 'relu');
  return {
    ...(mid ? (node.groups === 1 ? { w: mid } : { input: mid }) : {}),
    ...(out ? (foldOut ? { affine: out } : { after: out }) : {}),
  };
}

/**
 * One step's mixing plumbing: the weights of every choice, the masks that multiply activations,
 * and each candidate's last conv with its masks folded into its parameters.
 */
interface StepMasks {
  weights: ChoiceWeights;
  mask(t: MaskTable | null | 'always'): tf.Tensor1D | null;
  last(cm: CandidateModule): ConvParams;
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
  const cm: CandidateModule = { plan, pw, main, last: createConvParams(store, `${prefix}.${tail.name}`, tail, rng) };
  cm.lastMasks = lastMasks(cm);
  return cm;
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
  /** Every distinct mask table of the plan (not all-ones), in one order, and the index of every plan's table object in it. */
  private readonly maskTables: MaskTable[] = [];
  private readonly tableIndex = new Map<MaskTable, number>();
  /** The fold op's plan (host backends) and the parameters it folds, in its order. */
  private readonly foldPlan: FoldPlan;
  private readonly foldParams: { cm: CandidateModule; name: 'w' | 'gamma' | 'beta' }[] = [];
  private readonly headW: tf.Variable;
  private readonly headB: tf.Variable;

  /**
   * `options.masks`: how a step computes its Gumbel weights, channel masks and masked parameters —
   * `'host'` all in one op on the host (`foldStep`, cpu and wasm backends), `'kernels'` with tfjs
   * ops per choice and per mask (`gumbelSoftmax`, `tableMask`, `tf.mul`), `'auto'` (default) host on
   * the cpu and wasm backends, kernels elsewhere (a device backend would sync to read the weights).
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
    const tables = new Map<string, { t: MaskTable; index: number }>();
    for (const slot of this.slots) {
      for (const c of slot.candidates) {
        const p = c.plan;
        for (const t of [p.pwGate, p.pwSkip, p.out, p.mid, p.residual]) {
          const nt = nonTrivial(t);
          if (!nt) continue;
          const id = maskId(nt);
          if (!tables.has(id)) tables.set(id, { t: nt, index: tables.size });
          this.tableIndex.set(nt, tables.get(id)!.index);
        }
      }
    }
    this.maskTables.push(...[...tables.values()].map((e) => e.t));
    const tableIndex = this.tableIndex;
    const folds: ParamFold[] = [];
    const outputs = new Set<number>();
    for (const slot of this.slots) {
      for (const cm of slot.candidates) {
        const p = cm.plan;
        for (const t of [p.pwGate, p.pwSkip, p.residual, cm.last ? null : p.out, cm.lastMasks?.input, cm.lastMasks?.after]) {
          const nt = nonTrivial(t ?? null);
          if (nt) outputs.add(tableIndex.get(nt)!);
        }
        const lm = cm.lastMasks;
        const fold = (name: 'w' | 'gamma' | 'beta', t: MaskTable, axis: number) => {
          const shape = cm.last![name]!.shape;
          folds.push({ table: tableIndex.get(t)!, shape, axis });
          this.foldParams.push({ cm, name });
        };
        if (lm?.w) fold('w', lm.w, 2);
        if (lm?.affine) (fold('gamma', lm.affine, 0), fold('beta', lm.affine, 0));
      }
    }
    this.foldPlan = compileFoldPlan({
      keys: this.choices.map((c) => c.key),
      sizes: this.choices.map((c) => c.options.length),
      tables: this.maskTables,
      outputs: [...outputs].sort((a, b) => a - b),
      folds,
    });
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
      const step = this.stepMasks(mode);
      const weights = step.weights;
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
        branches.push({ ri, f: this.body(r === h ? xn : subsample(xn, [r, r]), step, mode, ctx) });
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

  /** The step's weights, masks and masked parameters: one host op, or tfjs ops per choice and mask. */
  private stepMasks(mode: DMaskingMode): StepMasks {
    const m = this.options.masks ?? 'auto';
    const host = m === 'host' || (m === 'auto' && hasFoldKernels());
    // 'fixed' runs one candidate per layer: the op would hand the others' parameters a zero gradient (not none).
    return host && this.choices.length && mode.kind !== 'fixed' ? this.hostStepMasks(mode) : this.kernelStepMasks(mode);
  }

  /** Every weight, mask and masked parameter of the step in one op (`foldStep`): two kernels a step with the backward. */
  private hostStepMasks(mode: DMaskingMode): StepMasks {
    let fm: FoldMode;
    if (mode.kind === 'gumbel') {
      const noise = new Float32Array(this.foldPlan.total);
      this.choices.forEach((c, i) => {
        const n = mode.noise[c.key];
        if (!n || n.length !== c.options.length) throw new FbnetError('USAGE', `Gumbel noise for "${c.key}" must have ${c.options.length} entries`);
        noise.set(n, this.foldPlan.offsets[i]);
      });
      fm = { kind: 'gumbel', tau: mode.tau, noise, hard: mode.hard };
    } else if (mode.kind === 'expected') fm = { kind: 'gumbel', tau: mode.tau };
    else {
      const given = new Float32Array(this.foldPlan.total);
      const w = mode.kind === 'weights' ? mode.weights : oneHotWeights(this.space, mode.choice);
      this.choices.forEach((c, i) => {
        const v = w[c.key];
        if (!v || v.length !== c.options.length) throw new FbnetError('USAGE', `weights for "${c.key}" must have ${c.options.length} entries`);
        given.set(Array.from(v), this.foldPlan.offsets[i]);
      });
      fm = { kind: 'given', weights: given };
    }
    const thetas = this.choices.map((c) => this.thetas.get(c.key)! as unknown as tf.Tensor1D);
    const r = foldStep(this.foldPlan, fm, thetas, this.foldParams.map(({ cm, name }) => cm.last![name]!));
    const weights: ChoiceWeights = Object.fromEntries(this.choices.map((c, i) => [c.key, r.weights[i]]));
    const masks: (tf.Tensor1D | undefined)[] = [];
    this.foldPlan.spec.outputs.forEach((t, i) => (masks[t] = r.masks[i]));
    const lasts = new Map<CandidateModule, ConvParams>();
    this.foldParams.forEach(({ cm, name }, i) => lasts.set(cm, { ...(lasts.get(cm) ?? cm.last!), [name]: r.folded[i] as unknown as tf.Variable }));
    return {
      weights,
      mask: (t) => {
        const nt = nonTrivial(t);
        if (!nt) return null;
        const m = masks[this.tableIndex.get(nt)!];
        if (!m) throw new FbnetError('USAGE', `no mask for table over [${nt.keys.join(', ')}]`);
        return m;
      },
      last: (cm) => lasts.get(cm) ?? cm.last!,
    };
  }

  /** Weights per choice with tfjs ops (`mixWeights`), each mask with backend kernels (`tableMask`), memoised for the step. */
  private kernelStepMasks(mode: DMaskingMode): StepMasks {
    const weights = this.mixWeights(mode);
    const weightOf = (key: string) => {
      const w = weights[key];
      if (!w) throw new FbnetError('USAGE', `no weights for choice "${key}"`);
      return w;
    };
    const memo = new Map<number, tf.Tensor1D>();
    const mask = (t: MaskTable | null | 'always'): tf.Tensor1D | null => {
      const nt = nonTrivial(t);
      if (!nt) return null;
      const id = this.tableIndex.get(nt)!;
      if (!memo.has(id)) memo.set(id, tableMask(nt, weightOf, this.prefixCache));
      return memo.get(id)!;
    };
    const lasts = new Map<CandidateModule, ConvParams>();
    const last = (cm: CandidateModule): ConvParams => {
      let params = lasts.get(cm);
      if (params) return params;
      params = cm.last!;
      const lm = cm.lastMasks ?? {};
      if (lm.w) params = { ...params, w: tf.mul(params.w, tf.reshape(mask(lm.w)!, [1, 1, -1, 1])) as unknown as tf.Variable };
      if (lm.affine) {
        const out = mask(lm.affine)!;
        params = { ...params, gamma: tf.mul(params.gamma!, out) as unknown as tf.Variable, beta: tf.mul(params.beta!, out) as unknown as tf.Variable };
      }
      lasts.set(cm, params);
      return params;
    };
    return { weights, mask, last };
  }

  /** The shared-weight body (every slot) on one resolution's input. */
  private body(x: tf.Tensor4D, step: StepMasks, mode: DMaskingMode, ctx: ForwardContext): tf.Tensor4D {
    let y = x;
    for (const slot of this.slots) {
      const cands = slot.candidates;
      const opKey = slot.plan.opKey;
      const layer = slot.plan.layer;
      if (opKey && mode.kind === 'fixed') {
        y = this.candidate(cands[mode.choice.ops[layer!.index]], y, slot.plan.outMax, step, ctx);
      } else if (opKey) {
        // Σ_i m_i b_i(x): one mixed-operation kernel where the backend has it.
        y = mixCandidates(cands.map((cm) => this.candidate(cm, y, slot.plan.outMax, step, ctx)), step.weights[opKey]);
      } else {
        y = this.candidate(cands[0], y, slot.plan.outMax, step, ctx);
      }
    }
    return y;
  }

  private candidate(cm: CandidateModule, x: tf.Tensor4D, outMax: number, step: StepMasks, ctx: ForwardContext): tf.Tensor4D {
    const p = cm.plan;
    const mask = step.mask;
    let y: tf.Tensor4D | null = null;
    const plain: ForwardContext = { ...ctx, masks: undefined };
    let h = x;
    if (cm.pw) {
      // pw where the option expands, the input itself (zero-padded to the expanded width) where it does not
      const midMax = p.pwGate!.k;
      h = tf.add(masked(cm.pw.forward(x, plain), mask(p.pwGate)), masked(fitChannels(x, midMax), mask(p.pwSkip))) as tf.Tensor4D;
    }
    if (cm.main) h = cm.main.forward(h, plain);
    if (cm.last) {
      const lm = cm.lastMasks ?? {};
      y = convForward(step.last(cm), masked(h, mask(lm.input ?? null)), plain);
      y = masked(y, mask(lm.after ?? null));
    } else if (cm.main || cm.pw) y = masked(h, mask(p.out));
    if (p.residual) {
      const r = mask(p.residual);
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

const maskId = (t: MaskTable) => JSON.stringify(t);

function argmax(v: ArrayLike<number>): number {
  let k = 0;
  for (let i = 1; i < v.length; i++) if (v[i] > v[k]) k = i;
  return k;
}
