import * as tf from '@tensorflow/tfjs-core';
import { FbnetError } from '@fbnet/core';
import { DMASKING_KERNELS } from './kernel-names.ts';
import { alloc, HOST_BACKENDS, hostOp, isHostBackend, view, type HostKernelArgs } from './_host-storage.ts';
import { jointConfigs, type MaskTable } from './masks.ts';

/** p' = p ∘ M_table along one axis of p (a filter's input channels, a BN affine vector). */
export interface ParamFold {
  table: number;
  shape: readonly number[];
  axis: number;
}

/** A step's static plumbing: the choices (options each), the mask tables, which masks are outputs, the folds. */
export interface FoldPlanSpec {
  /** Choice keys, in the op's input and output order, with their option counts. */
  keys: readonly string[];
  sizes: readonly number[];
  tables: readonly MaskTable[];
  /** Tables whose masks the op returns as tensors (masks on activations). */
  outputs: readonly number[];
  folds: readonly ParamFold[];
}

/** Weights from logits: Gumbel-softmax (`noise` absent: softmax(θ/τ)), straight-through one-hot when `hard`; or given. */
export type FoldMode = { kind: 'gumbel'; tau: number; noise?: Float32Array; hard?: boolean } | { kind: 'given'; weights: Float32Array };

interface CompiledTable {
  k: number;
  /** Per joint option: leading channels on (clamped to [0, k]) and the flat weight index of each key. */
  widths: Int32Array;
  index: number[][];
}

interface CompiledFold {
  table: number;
  outer: number;
  k: number;
  inner: number;
}

export interface FoldPlan {
  spec: FoldPlanSpec;
  offsets: number[];
  total: number;
  tables: CompiledTable[];
  folds: CompiledFold[];
}

interface FoldAttrs {
  plan: FoldPlan;
  mode: FoldMode;
  /**
   * What the backward needs, kept on the host by the forward kernel (the values it read): the
   * tape then saves no tensor for the op (no clone per input).
   */
  saved?: { g: Float32Array; soft?: Float64Array; masks: Float32Array[]; params: Float32Array[] };
}

/** Check a spec and precompute the joint-option indices (once per supernet). */
export function compileFoldPlan(spec: FoldPlanSpec): FoldPlan {
  const offsets: number[] = [];
  let total = 0;
  spec.sizes.forEach((n) => (offsets.push(total), (total += n)));
  const keyIndex = new Map(spec.keys.map((k, i) => [k, i]));
  const tables = spec.tables.map((t) => {
    if (new Set(t.keys).size !== t.keys.length) throw new FbnetError('USAGE', `mask table over [${t.keys.join(', ')}] repeats a choice key`);
    const ks = t.keys.map((k, i) => {
      const c = keyIndex.get(k);
      if (c === undefined) throw new FbnetError('USAGE', `mask table: no choice "${k}"`);
      if (spec.sizes[c] !== t.dims[i]) throw new FbnetError('USAGE', `mask table: choice "${k}" has ${spec.sizes[c]} weights, the table ${t.dims[i]} options`);
      return c;
    });
    const size = t.dims.reduce((a, b) => a * b, 1);
    if (t.widths.length !== size) throw new FbnetError('USAGE', `mask table over [${t.keys.join(', ')}]: ${t.widths.length} widths for ${size} joint options`);
    return {
      k: t.k,
      widths: Int32Array.from(t.widths, (w) => Math.max(0, Math.min(w, t.k))),
      index: jointConfigs(t.dims).map((digits) => digits.map((j, i) => offsets[ks[i]] + j)),
    };
  });
  const folds = spec.folds.map((f) => {
    const k = tables[f.table]?.k;
    if (k === undefined || f.shape[f.axis] !== k) throw new FbnetError('USAGE', `fold: axis ${f.axis} of [${f.shape}] is not the mask's ${k} channels`);
    const outer = f.shape.slice(0, f.axis).reduce((a, b) => a * b, 1);
    const inner = f.shape.slice(f.axis + 1).reduce((a, b) => a * b, 1);
    return { table: f.table, outer, k, inner };
  });
  spec.outputs.forEach((t) => {
    if (!tables[t]) throw new FbnetError('USAGE', `fold: no mask table ${t}`);
  });
  return { spec, offsets, total, tables, folds };
}

/** The weights of every choice (float32 values, as the outputs hold them) and, for Gumbel, the soft ones. */
function choiceWeights(plan: FoldPlan, mode: FoldMode, thetas: Float32Array[]): { g: Float32Array; soft?: Float64Array } {
  if (mode.kind === 'given') {
    if (mode.weights.length !== plan.total) throw new FbnetError('USAGE', `fold: ${mode.weights.length} weights for ${plan.total} options`);
    return { g: mode.weights };
  }
  const g = new Float32Array(plan.total);
  const soft = new Float64Array(plan.total);
  plan.spec.sizes.forEach((n, c) => {
    const o = plan.offsets[c];
    const th = thetas[c];
    let max = -Infinity;
    for (let i = 0; i < n; i++) max = Math.max(max, (soft[o + i] = (th[i] + (mode.noise ? mode.noise[o + i] : 0)) / mode.tau));
    let s = 0;
    for (let i = 0; i < n; i++) s += soft[o + i] = Math.exp(soft[o + i] - max);
    let arg = 0;
    for (let i = 0; i < n; i++) {
      soft[o + i] /= s;
      if (soft[o + i] > soft[o + arg]) arg = i;
    }
    // Straight-through (hard): one-hot in value, the soft weights' gradient.
    for (let i = 0; i < n; i++) g[o + i] = mode.hard ? (i === arg ? 1 : 0) : soft[o + i];
  });
  return { g, soft };
}

function joint(g: ArrayLike<number>, idx: readonly number[], skip = -1): number {
  let p = 1;
  for (let i = 0; i < idx.length; i++) if (i !== skip) p *= g[idx[i]];
  return p;
}

/** M_t[c] = Σ_{d: widths[d] > c} Π_i g[index[d][i]] (eq. 3 over joint options), float32 as a tensor holds it. */
function tableMaskValues(t: CompiledTable, g: ArrayLike<number>): Float32Array {
  const h = new Float64Array(t.k + 1);
  t.index.forEach((idx, d) => (h[t.widths[d]] += joint(g, idx)));
  const m = new Float32Array(t.k);
  let acc = 0;
  for (let c = t.k - 1; c >= 0; c--) m[c] = acc += h[c + 1];
  return m;
}

/** dg += ∂M/∂g · dM: ∂M[c]/∂w_d = 1 for c < widths[d], so a joint option's gradient is a prefix sum of dM. */
function tableMaskGrad(t: CompiledTable, g: ArrayLike<number>, dm: Float64Array, dg: Float64Array): void {
  const prefix = new Float64Array(t.k + 1);
  for (let c = 0; c < t.k; c++) prefix[c + 1] = prefix[c] + dm[c];
  for (let d = 0; d < t.index.length; d++) {
    const dj = prefix[t.widths[d]];
    const idx = t.index[d];
    if (dj !== 0) for (let i = 0; i < idx.length; i++) dg[idx[i]] += dj * joint(g, idx, i);
  }
}

const list = (inputs: tf.NamedTensorInfoMap) => Object.keys(inputs).map((k) => inputs[k] as tf.TensorInfo);
const thetaCount = (a: FoldAttrs) => (a.mode.kind === 'gumbel' ? a.plan.spec.sizes.length : 0);
/** Copies of the logits (they are read before the outputs are allocated). */
const readThetas = (b: tf.KernelBackend, ts: tf.TensorInfo[]) => ts.map((t) => Float32Array.from(view(b, t)));

function foldKernel({ inputs, backend: b, attrs }: HostKernelArgs): tf.TensorInfo[] {
  const a = attrs as unknown as FoldAttrs;
  const { plan } = a;
  const ins = list(inputs);
  const nt = thetaCount(a);
  const { g, soft } = choiceWeights(plan, a.mode, readThetas(b, ins.slice(0, nt)));
  const masks = plan.tables.map((t) => tableMaskValues(t, g));
  // Copies, taken before any allocation (which can move the wasm heap).
  const params = ins.slice(nt).map((t) => view(b, t).slice());
  a.saved = { g, soft, masks, params };
  const shapes = [...plan.spec.sizes.map((n) => [n]), ...plan.spec.outputs.map((t) => [plan.tables[t].k]), ...plan.spec.folds.map((f) => f.shape)];
  const out = shapes.map((s) => alloc(b, s));
  plan.spec.sizes.forEach((n, c) => view(b, out[c]).set(g.subarray(plan.offsets[c], plan.offsets[c] + n)));
  const C = plan.spec.sizes.length;
  plan.spec.outputs.forEach((t, i) => view(b, out[C + i]).set(masks[t]));
  const base = C + plan.spec.outputs.length;
  plan.folds.forEach((f, i) => foldParam(f, masks[f.table], params[i], view(b, out[base + i])));
  return out;
}

/** q = p ∘ M along the fold's axis. */
function foldParam(f: CompiledFold, m: Float32Array, p: Float32Array, q: Float32Array): void {
  for (let o = 0, j = 0; o < f.outer; o++) {
    for (let c = 0; c < f.k; c++) {
      const mc = m[c];
      for (let e = 0; e < f.inner; e++, j++) q[j] = p[j] * mc;
    }
  }
}

/** p' = p ∘ M: dp = dp' ∘ M, and dM[c] += Σ dp' · p over the other axes. */
function foldParamGrad(f: CompiledFold, m: Float32Array, p: Float32Array, dq: Float32Array, dp: Float32Array, dm: Float64Array): void {
  for (let o = 0, j = 0; o < f.outer; o++) {
    for (let c = 0; c < f.k; c++) {
      const mc = m[c];
      let s = 0;
      for (let e = 0; e < f.inner; e++, j++) {
        dp[j] = dq[j] * mc;
        s += dq[j] * p[j];
      }
      dm[c] += s;
    }
  }
}

function foldGradKernel({ inputs, backend: b, attrs }: HostKernelArgs): tf.TensorInfo[] {
  const a = attrs as unknown as FoldAttrs;
  const { plan, mode } = a;
  const ins = list(inputs);
  const C = plan.spec.sizes.length;
  const O = plan.spec.outputs.length;
  const F = plan.folds.length;
  const nt = thetaCount(a);
  if (!a.saved) throw new FbnetError('USAGE', 'fold: the backward ran without its forward');
  const { g, soft, masks, params } = a.saved;
  const out = [...plan.spec.sizes.slice(0, nt).map((n) => alloc(b, [n])), ...plan.spec.folds.map((f) => alloc(b, f.shape))];
  const dys = ins.slice(0, C + O + F).map((t) => view(b, t));
  const dm = plan.tables.map((t) => new Float64Array(t.k));
  plan.spec.outputs.forEach((t, i) => {
    const d = dys[C + i];
    for (let c = 0; c < d.length; c++) dm[t][c] += d[c];
  });
  plan.folds.forEach((f, i) => foldParamGrad(f, masks[f.table], params[i], dys[C + O + i], view(b, out[nt + i]), dm[f.table]));
  const dg = new Float64Array(plan.total);
  for (let c = 0; c < C; c++) {
    const d = dys[c];
    for (let i = 0; i < d.length; i++) dg[plan.offsets[c] + i] += d[i];
  }
  plan.tables.forEach((t, ti) => tableMaskGrad(t, g, dm[ti], dg));
  if (nt) {
    // Softmax of (θ + n)/τ: dθ_i = s_i (dg_i − Σ_j s_j dg_j) / τ (the soft weights also under `hard`).
    const tau = (mode as { tau: number }).tau;
    plan.spec.sizes.forEach((n, c) => {
      const o = plan.offsets[c];
      let dot = 0;
      for (let i = 0; i < n; i++) dot += soft![o + i] * dg[o + i];
      const d = view(b, out[c]);
      for (let i = 0; i < n; i++) d[i] = (soft![o + i] * (dg[o + i] - dot)) / tau;
    });
  }
  return out;
}

/** Backends where the fold kernels run. */
export const FOLD_BACKENDS = HOST_BACKENDS;

const ensureRegistered = hostOp({
  forward: [DMASKING_KERNELS.Fold, foldKernel],
  backward: [DMASKING_KERNELS.FoldGrad, foldGradKernel],
  gradient: {
    gradFunc: (dy, _saved, attrs) => {
      const dys = Array.isArray(dy) ? dy : [dy];
      const grads = tf.engine().runKernel(DMASKING_KERNELS.FoldGrad, dys as unknown as tf.NamedTensorMap, attrs as tf.NamedAttrMap) as tf.Tensor[];
      return Object.fromEntries(grads.map((t, i) => [String(i), () => t]));
    },
  },
});

/** Can the active backend run the fold kernels? */
export function hasFoldKernels(): boolean {
  return isHostBackend();
}

export interface FoldResult {
  /** Weights per choice, in `plan.spec.keys` order. */
  weights: tf.Tensor1D[];
  /** Masks of `plan.spec.outputs`, in order. */
  masks: tf.Tensor1D[];
  /** p ∘ M per fold, in order. */
  folded: tf.Tensor[];
}

/**
 * A step's Gumbel weights of every choice (eq. 4 of FBNet), every channel mask M = Σ g_i l_i
 * (FBNetV2 eq. 3, over joint options) and the parameters the masks fold into, as one
 * differentiable op: one kernel forward, one backward (the hand-derived gradient, float64 sums),
 * instead of a few hundred tiny tfjs kernels whose dispatch costs more than their arithmetic on
 * host backends. `thetas` (mode 'gumbel') in `plan.spec.keys` order; `params` in `plan.spec.folds` order.
 */
export function foldStep(plan: FoldPlan, mode: FoldMode, thetas: readonly tf.Tensor1D[], params: readonly tf.Tensor[]): FoldResult {
  if (!hasFoldKernels()) throw new FbnetError('USAGE', `the DMasking fold op runs on the ${FOLD_BACKENDS.join(' and ')} backends, not "${tf.getBackend()}"`);
  ensureRegistered();
  const C = plan.spec.sizes.length;
  if (mode.kind === 'gumbel' && thetas.length !== C) throw new FbnetError('USAGE', `fold: ${thetas.length} logit vectors for ${C} choices`);
  if (mode.kind === 'gumbel' && mode.noise && mode.noise.length !== plan.total) throw new FbnetError('USAGE', `fold: ${mode.noise.length} noise values for ${plan.total} options`);
  if (params.length !== plan.folds.length) throw new FbnetError('USAGE', `fold: ${params.length} parameters for ${plan.folds.length} folds`);
  const inputs = [...(mode.kind === 'gumbel' ? thetas : []), ...params];
  const attrs: FoldAttrs = { plan, mode };
  const outs = tf.engine().runKernel(DMASKING_KERNELS.Fold, inputs as unknown as tf.NamedTensorMap, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  const O = plan.spec.outputs.length;
  return { weights: outs.slice(0, C) as tf.Tensor1D[], masks: outs.slice(C, C + O) as tf.Tensor1D[], folded: outs.slice(C + O) };
}
