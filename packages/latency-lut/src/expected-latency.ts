import * as tf from '@tensorflow/tfjs-core';
// eq. 9 is differentiated (supernet training): make sure the gradients are registered, as @fbnet/nn
// does — through tfjs-layers, because the deep import of tfjs-core/dist/register_all_gradients
// loads a second tfjs-core under Node (ESM dist) and fails on its directory imports.
import '@tensorflow/tfjs-layers';
import { candidateBlock, FbnetError, resolveArch, searchLayers, spaceSlots, type ArchChoice, type BlockSpec, type BlockTuple, type SearchSpace } from '@fbnet/core';
import { blockOutputShape, entryKey, entryOpType, type EntryConfig, type Hwc } from './block-key.ts';
import { walkSpace } from './enumerate.ts';
import { archLatency, correctionWeight, entryStepMs } from './predict.ts';
import { lutEntryMap, type LatencyTable } from './schema.ts';

/**
 * The [layers x candidates] latency matrix of a search space under a table, and the latency
 * of everything that is not searched (input normalisation, fixed blocks, head, read-back).
 *
 * (The V1 view of the one latency model below, `LatencyModel`.)
 *
 * Well defined when every searchable layer's input shape is fixed by the macro-architecture,
 * which holds for the V1 spaces (each layer's input channels are the previous stage's `c`;
 * strides are fixed): candidate i of layer l is one block on one input shape. With channel
 * or resolution choices (V2) a candidate's input channels depend on the previous layer's
 * choice, LAT(b_{l,i}) is not one number, and this function refuses the space, naming the layer.
 */
export interface LatencyMatrix {
  space: string;
  /** Candidate ids per searchable layer. */
  candidates: string[][];
  /** ms[l][i] = LAT(b_{l,i}) (corrected when `corrected`). Rows have each layer's own length. */
  ms: number[][];
  keys: string[][];
  fixedMs: number;
  corrected: boolean;
  maxCandidates: number;
}

export function latencyMatrix(space: SearchSpace, lut: LatencyTable, options: { corrected?: boolean } = {}): LatencyMatrix {
  const map = lutEntryMap(lut);
  const c = options.corrected !== false ? lut.correction : undefined;
  const layers = searchLayers(space);
  const rows: { key: string; ms: number }[][] = layers.map(() => []);
  const inputs: Map<number, Set<string>> = new Map();
  const fixed: EntryConfig[] = [];
  let heads = 0;
  let starts = 0;
  walkSpace(space, {
    onInput: (s) => {
      starts++;
      fixed.push({ kind: 'input', input: s });
    },
    onBlock: (s: Hwc, spec, where) => {
      const config: EntryConfig = { kind: 'block', input: s, spec };
      if (where.layer === undefined) {
        fixed.push(config);
        return;
      }
      const set = inputs.get(where.layer) ?? new Set<string>();
      set.add(s.join('x'));
      inputs.set(where.layer, set);
      rows[where.layer].push({ key: entryKey(config), ms: NaN });
    },
    onHead: (s) => {
      heads++;
      fixed.push({ kind: 'head', input: s, numClasses: space.num_classes });
    },
  });
  if (starts !== 1) throw new FbnetError('USAGE', `latency matrix: space "${space.name}" searches the input resolution; LAT(b) of every layer then depends on that choice (V1 spaces only)`);
  layers.forEach((l) => {
    const shapes = inputs.get(l.index);
    if ((shapes?.size ?? 0) > 1 || rows[l.index].length !== l.candidates.length) {
      throw new FbnetError(
        'USAGE',
        `latency matrix: layer ${l.index} (stage ${l.stage}) of space "${space.name}" has inputs [${[...(shapes ?? [])].join(', ')}] and ${rows[l.index].length} blocks for ${l.candidates.length} candidates: its candidates' input channels depend on the previous layer's choice (channel/expansion search), so LAT(b_{l,i}) is not one number`,
      );
    }
  });
  if (heads !== 1) throw new FbnetError('USAGE', `latency matrix: space "${space.name}" ends in ${heads} head shapes`);
  const lookup = (key: string, opType: string) => {
    const e = map.get(key);
    if (!e) throw new FbnetError('USAGE', `latency table lacks entry "${key}" of space "${space.name}"; measure the space (fbnet lut measure --resume)`);
    return correctionWeight(c, opType) * entryStepMs(e);
  };
  const ms = rows.map((r) => r.map((x) => lookup(x.key, map.get(x.key)?.opType ?? '')));
  const fixedMs = (c?.offsetMs ?? 0) + fixed.reduce((a, f) => a + lookup(entryKey(f), entryOpType(f)), 0);
  return {
    space: space.name,
    candidates: layers.map((l) => [...l.candidates]),
    ms,
    keys: rows.map((r) => r.map((x) => x.key)),
    fixedMs,
    corrected: c !== undefined,
    maxCandidates: Math.max(0, ...layers.map((l) => l.candidates.length)),
  };
}

/** The V1 latency of a space: LAT(b_{l,i}) per searchable layer and candidate, plus everything not searched (ms). */
export interface LayerLatency {
  /** layerMs[l][i] = LAT(b_{l,i}); rows have each layer's own length. */
  layerMs: number[][];
  fixedMs: number;
}

/** Choice keys of a space's searched dimensions (the names `@fbnet/shape-propagation` and dmasking use). */
export const latencyChoiceKey = {
  op: (layer: number) => `op/${layer}`,
  channels: (layer: number) => `channels/${layer}`,
  expansion: (layer: number) => `expansion/${layer}`,
  resolution: 'resolution',
} as const;

/** Joint configurations of some choices, row-major (the last dimension varies fastest). */
export function jointConfigs(dims: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const d of dims) out = out.flatMap((c) => Array.from({ length: d }, (_, i) => [...c, i]));
  return out;
}

/** Outer product of weight vectors, flattened row-major (the joint weights of independent choices). */
export function jointWeights(ws: readonly tf.Tensor1D[]): tf.Tensor1D {
  if (!ws.length) return tf.ones([1]) as tf.Tensor1D;
  return tf.tidy(() => {
    // One choice: its own weights (no kernels); several: outer products, row-major.
    let acc = ws[0];
    for (const w of ws.slice(1)) acc = tf.reshape(tf.mul(tf.reshape(acc, [-1, 1]), tf.reshape(w, [1, -1])), [-1]) as tf.Tensor1D;
    return acc === ws[0] ? (tf.clone(acc) as tf.Tensor1D) : acc;
  });
}

/**
 * Σ_{joint d} Π_k w_k[d_k] · table[d] as a differentiable scalar: the expectation of a
 * per-joint-option value under independent categorical weights (eq. 9's expected latency
 * with inputs that depend on the previous layer's choice).
 */
export function contractTable(ws: readonly tf.Tensor1D[], table: readonly number[]): tf.Scalar {
  return tf.tidy(() => tf.sum(tf.mul(jointWeights(ws), tf.tensor1d(table as number[]))) as tf.Scalar);
}

/** One term of the masked (V2) expectation: a table over the joint options of `keys` (row-major), in ms. */
interface MaskedTerm {
  /** Mixed by this block choice (candidate `candidate` of it), if the layer has several candidates. */
  opKey?: string;
  candidate?: number;
  keys: string[];
  dims: number[];
  ms: number[];
}

/**
 * The one latency model of a search space under a latency table (FBNet eq. 9 and its V2
 * generalisation), used by every search:
 *
 * - **a concrete arch** — `archMs(arch)` (LAT(a) from the table's entries, corrected when the
 *   table has a correction) and `choiceMs(ops)` (a V1 choice from the layer matrix);
 * - **V1 weights** — `expectedV1(m)`: E[LAT] = Σ_l Σ_i m_{l,i} LAT(b_{l,i}) + fixed, a
 *   differentiable scalar in per-layer candidate weights (Gumbel-softmax samples or
 *   softmax(θ)); `expectedV1Value(p)` the same on numbers (float64);
 * - **V2 (masked) weights** — `expectedMasked(w)`: with channel, expansion or resolution choices
 *   a block's input shape depends on the previous layer's choice and on the resolution, so
 *   LAT(b) is not one number per candidate. The weights of different choices are independent,
 *   so the expectation is still exact: for every slot and candidate, a table over the joint
 *   options it depends on (resolution, previous width, own width, expansion) of the LUT entry of
 *   the block the derived arch would have there, contracted with the product of their weights:
 *   E[LAT] = Σ_slot Σ_i m_i Σ_{r,j,k,e} ρ_r g_j h_k e_e LAT(b_i | r, j, k, e) + input + head.
 *   At one-hot weights this is `archMs(archFromChoice(space, choice))`. `expectedMaskedValue`
 *   is the same expression on numbers. Weights are keyed by choice key (`latencyChoiceKey`).
 *
 * The V1 matrix (refused for spaces with channel/resolution choices) and the V2 tables (which
 * need every entry the space can reach) are built on first use. Call `dispose()` when done.
 */
export class LatencyModel {
  private layerCache?: LayerLatency;
  private layerRows?: tf.Tensor1D[];
  private masked?: { terms: MaskedTerm[]; offsetMs: number; entries: number };

  private constructor(
    readonly space: SearchSpace | undefined,
    readonly table: LatencyTable | undefined,
    private readonly corrected: boolean,
    layers?: LayerLatency,
  ) {
    this.layerCache = layers;
  }

  /** The model of a space under a latency table (`corrected: false` ignores the table's correction). */
  static of(space: SearchSpace, table: LatencyTable, options: { corrected?: boolean } = {}): LatencyModel {
    return new LatencyModel(space, table, options.corrected !== false);
  }

  /** A V1 model from a given layer matrix (synthetic latencies; no table behind it). */
  static fromLayers(layers: LayerLatency): LatencyModel {
    return new LatencyModel(undefined, undefined, true, { layerMs: layers.layerMs.map((r) => [...r]), fixedMs: layers.fixedMs });
  }

  /** The V1 view: [layers x candidates] ms and the fixed ms (throws for spaces with channel/resolution choices). */
  get layers(): LayerLatency {
    if (!this.layerCache) {
      const m = latencyMatrix(this.space!, this.table!, { corrected: this.corrected });
      this.layerCache = { layerMs: m.ms, fixedMs: m.fixedMs };
    }
    return this.layerCache;
  }

  /** LAT(a) of a concrete arch def from the table (its correction applied when the model uses it). */
  archMs(arch: unknown): number {
    if (!this.table) throw new FbnetError('USAGE', 'latency model: built from a layer matrix, it has no table to look an arch up in');
    return archLatency(this.table, arch, { corrected: this.corrected }).totalMs;
  }

  /** LAT of a V1 choice (candidate index per searchable layer) from the layer matrix. */
  choiceMs(ops: readonly number[]): number {
    const { layerMs, fixedMs } = this.layers;
    if (ops.length !== layerMs.length) throw new FbnetError('USAGE', `latency model: ${ops.length} op choices, the space has ${layerMs.length} searchable layers`);
    return fixedMs + ops.reduce((s, k, l) => s + layerMs[l][k], 0);
  }

  /** E[LAT] under V1 weights (one Tensor1D per searchable layer), ms, differentiable (eq. 9). */
  expectedV1(m: readonly tf.Tensor1D[]): tf.Scalar {
    const { layerMs, fixedMs } = this.layers;
    if (m.length !== layerMs.length) throw new FbnetError('USAGE', `latency model: got weights for ${m.length} layers, the space has ${layerMs.length}`);
    if (!this.layerRows) this.layerRows = layerMs.map((r) => tf.keep(tf.tensor1d(r, 'float32')));
    const rows = this.layerRows;
    return tf.tidy(() => {
      const terms: tf.Scalar[] = [tf.scalar(fixedMs)];
      m.forEach((w, l) => {
        if (w.rank !== 1 || w.shape[0] !== layerMs[l].length) throw new FbnetError('USAGE', `latency model: layer ${l} weights have shape [${w.shape}], expected [${layerMs[l].length}]`);
        terms.push(tf.sum(tf.mul(w, rows[l])) as tf.Scalar);
      });
      return tf.addN(terms) as tf.Scalar;
    });
  }

  /** E[LAT] under per-layer candidate probabilities, on numbers (float64), ms. */
  expectedV1Value(probs: readonly ArrayLike<number>[]): number {
    const { layerMs, fixedMs } = this.layers;
    let s = fixedMs;
    layerMs.forEach((row, l) => {
      const p = probs[l];
      let e = 0;
      for (let j = 0; j < row.length; j++) e += p[j] * row[j];
      s += e;
    });
    return s;
  }

  /** Number of distinct LUT entries the masked (V2) expectation uses. */
  get entries(): number {
    return this.maskedTerms().entries;
  }

  /** True when the table holds every entry the space can reach (the masked expectation is defined). */
  coversSpace(): boolean {
    try {
      this.maskedTerms();
      return true;
    } catch {
      return false;
    }
  }

  /** E[LAT] in ms as a differentiable scalar of V2 weights keyed by choice key. */
  expectedMasked(weights: Record<string, tf.Tensor1D>): tf.Scalar {
    const { terms, offsetMs } = this.maskedTerms();
    return tf.tidy(() => {
      const parts = terms.map((t) => {
        const v = t.keys.length ? contractTable(t.keys.map((k) => weightOf(weights, k)), t.ms) : tf.scalar(t.ms[0]);
        return t.opKey ? tf.mul(tf.slice(weightOf(weights, t.opKey), [t.candidate!], [1]), v) : v;
      });
      return tf.add(tf.sum(tf.stack(parts.map((p) => tf.reshape(p, [])))), offsetMs) as tf.Scalar;
    });
  }

  /** The same expression on numbers (float64): at one-hot weights, LAT of the derived arch. */
  expectedMaskedValue(weights: Record<string, ArrayLike<number>>): number {
    const { terms, offsetMs } = this.maskedTerms();
    let total = offsetMs;
    for (const t of terms) {
      let v = 0;
      jointConfigs(t.dims).forEach((cfg, d) => {
        let w = 1;
        cfg.forEach((i, a) => (w *= weightOf(weights, t.keys[a])[i]));
        v += w * t.ms[d];
      });
      total += t.opKey ? weightOf(weights, t.opKey)[t.candidate!] * v : v;
    }
    return total;
  }

  /** One-hot V2 weights of a choice, for every searched dimension of the space. */
  oneHot(choice: ArchChoice): Record<string, number[]> {
    const space = this.requireSpace();
    const out: Record<string, number[]> = {};
    const hot = (n: number, i: number) => Array.from({ length: n }, (_, j) => (j === i ? 1 : 0));
    for (const l of searchLayers(space)) {
      if (l.candidates.length > 1) out[latencyChoiceKey.op(l.index)] = hot(l.candidates.length, choice.ops[l.index]);
      if (l.channels && l.channels.length > 1) out[latencyChoiceKey.channels(l.index)] = hot(l.channels.length, choice.channels?.[l.index] ?? 0);
      if (l.expansions && l.expansions.length > 1) out[latencyChoiceKey.expansion(l.index)] = hot(l.expansions.length, choice.expansions?.[l.index] ?? 0);
    }
    if (space.resolutions && space.resolutions.length > 1) out[latencyChoiceKey.resolution] = hot(space.resolutions.length, choice.resolution ?? 0);
    return out;
  }

  dispose(): void {
    this.layerRows?.forEach((r) => r.dispose());
    this.layerRows = undefined;
  }

  private requireSpace(): SearchSpace {
    if (!this.space) throw new FbnetError('USAGE', 'latency model: built from a layer matrix, it has no search space');
    return this.space;
  }

  private maskedTerms(): { terms: MaskedTerm[]; offsetMs: number; entries: number } {
    if (!this.masked) this.masked = buildMaskedTerms(this.requireSpace(), this.table!, this.corrected);
    return this.masked;
  }
}

function weightOf<V>(weights: Record<string, V>, key: string): V {
  const w = weights[key];
  if (w === undefined) throw new FbnetError('USAGE', `expected latency: no weights for choice "${key}"`);
  return w;
}

/** The block spec of a space's block tuple on `inChannels` inputs (spatial size does not change a spec). */
export function tupleSpec(space: SearchSpace, tuple: BlockTuple, inChannels: number): BlockSpec {
  return resolveArch({
    input_size: space.input_size,
    input_channels: inChannels,
    num_classes: space.num_classes,
    basic_args: { width_divisor: space.basic_args.width_divisor },
    blocks: [[tuple]],
  }).blocks[0].spec;
}

/**
 * The masked expectation's tables: slot by slot (fixed blocks with repeats expanded, searchable
 * layers), for every candidate, the LUT entry of the block each joint option (resolution,
 * input width, own width, expansion) gives, with the axes it does not depend on dropped.
 */
function buildMaskedTerms(space: SearchSpace, lut: LatencyTable, corrected: boolean): { terms: MaskedTerm[]; offsetMs: number; entries: number } {
  const map = lutEntryMap(lut);
  const c = corrected ? lut.correction : undefined;
  const missing = new Set<string>();
  const used = new Set<string>();
  const ms = (cfg: EntryConfig): number => {
    const key = entryKey(cfg);
    used.add(key);
    const e = map.get(key);
    if (!e) {
      missing.add(key);
      return NaN;
    }
    return correctionWeight(c, entryOpType(cfg)) * entryStepMs(e);
  };
  const terms: MaskedTerm[] = [];
  const res = space.resolutions ?? [space.input_size];
  const resKeys = res.length > 1 ? [latencyChoiceKey.resolution] : [];
  const resDims = res.length > 1 ? [res.length] : [];
  terms.push({ keys: resKeys, dims: resDims, ms: res.map((r) => ms({ kind: 'input', input: [r, r, space.input_channels] })) });
  let sizes = res.map((r) => [r, r] as [number, number]);
  // The channel options flowing into the next slot, and their choice key when searched.
  let src: { key?: string; options: number[] } = { options: [space.input_channels] };
  const slotTerms = (opKey: string | undefined, specsOf: ((j: number, k: number, m: number) => BlockSpec)[], outKey: string | undefined, outs: number[], expKey: string | undefined, exps: number) => {
    const keys = [latencyChoiceKey.resolution, src.key ?? '-in', outKey ?? '-out', expKey ?? '-exp'];
    const dims = [res.length, src.options.length, outs.length, exps];
    specsOf.forEach((specAt, ci) => {
      const table: number[] = [];
      for (const [ri, j, k, m] of jointConfigs(dims)) table.push(ms({ kind: 'block', input: [sizes[ri][0], sizes[ri][1], src.options[j]], spec: specAt(j, k, m) }));
      terms.push({ opKey, candidate: ci, ...compactAxes(table, keys, dims) });
    });
    const spec0 = specsOf[0](0, 0, 0);
    sizes = sizes.map(([h, w]) => {
      const o: Hwc = blockOutputShape(spec0, [h, w, spec0.inChannels]);
      return [o[0], o[1]];
    });
    src = outKey ? { key: outKey, options: outs } : { options: outs };
  };
  for (const slot of spaceSlots(space)) {
    if (slot.kind === 'fixed') {
      const [op, ch, s, n, ...kw] = slot.block;
      for (let r = 0; r < n; r++) {
        const tuple = [op, ch, r === 0 ? s : 1, 1, ...kw] as BlockTuple;
        const ins = src.options;
        slotTerms(undefined, [(j) => tupleSpec(space, tuple, ins[j])], undefined, [ch], undefined, 1);
      }
      continue;
    }
    const l = slot.layer;
    const outs = l.channels && l.channels.length > 1 ? l.channels : [l.channels?.[0] ?? l.c];
    const outKey = outs.length > 1 ? latencyChoiceKey.channels(l.index) : undefined;
    const exps = l.expansions ?? [undefined];
    const expKey = exps.length > 1 ? latencyChoiceKey.expansion(l.index) : undefined;
    const ins = src.options;
    const specs = l.candidates.map((id) => (j: number, k: number, m: number) => tupleSpec(space, candidateBlock(space, id, outs[k], l.s, exps[m]), ins[j]));
    slotTerms(l.candidates.length > 1 ? latencyChoiceKey.op(l.index) : undefined, specs, outKey, outs, expKey, exps.length);
  }
  const headTable: number[] = [];
  for (const [ri, k] of jointConfigs([res.length, src.options.length])) {
    headTable.push(ms({ kind: 'head', input: [sizes[ri][0], sizes[ri][1], src.options[k]], numClasses: space.num_classes }));
  }
  terms.push(compactAxes(headTable, [...resKeys, ...(src.key ? [src.key] : [])], [...resDims, ...(src.key ? [src.options.length] : [])]));
  if (missing.size) {
    const list = [...missing];
    throw new FbnetError(
      'USAGE',
      `latency table lacks ${list.length} of the ${used.size} entries space "${space.name}" needs (e.g. ${list.slice(0, 3).join(', ')}); measure the space (fbnet lut measure --space ... --resume)`,
    );
  }
  return { terms, offsetMs: c?.offsetMs ?? 0, entries: used.size };
}

/**
 * Drop the axes (and placeholder keys of unsearched dimensions) a row-major table over joint
 * options does not depend on (latency tables here, dmasking's mask tables).
 */
export function compactAxes(ms: readonly number[], keys: readonly string[], dims: readonly number[]): { keys: string[]; dims: number[]; ms: number[] } {
  let t = [...ms];
  const ks = [...keys];
  const ds = [...dims];
  for (let a = ks.length - 1; a >= 0; a--) {
    const d = ds[a];
    const inner = ds.slice(a + 1).reduce((x, y) => x * y, 1);
    const outer = t.length / (d * inner);
    let constant = d === 1;
    if (!constant) {
      constant = true;
      for (let o = 0; o < outer && constant; o++)
        for (let i = 1; i < d && constant; i++)
          for (let j = 0; j < inner; j++)
            if (t[(o * d + i) * inner + j] !== t[o * d * inner + j]) {
              constant = false;
              break;
            }
    }
    if (!constant) continue;
    const next: number[] = [];
    for (let o = 0; o < outer; o++) for (let j = 0; j < inner; j++) next.push(t[o * d * inner + j]);
    t = next;
    ks.splice(a, 1);
    ds.splice(a, 1);
  }
  return { keys: ks, dims: ds, ms: t };
}
