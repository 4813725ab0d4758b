import * as tf from '@tensorflow/tfjs-core';
// eq. 9 is differentiated (supernet training): make sure the gradients are registered, as @fbnet/nn
// does — through tfjs-layers, because the deep import of tfjs-core/dist/register_all_gradients
// loads a second tfjs-core under Node (ESM dist) and fails on its directory imports.
import '@tensorflow/tfjs-layers';
import { FbnetError, searchLayers, type SearchSpace } from '@fbnet/core';
import { entryKey, entryOpType, type EntryConfig, type Hwc } from './block-key.ts';
import { walkSpace } from './enumerate.ts';
import { correctionWeight, entryStepMs } from './predict.ts';
import { lutEntryMap, type LatencyTable } from './schema.ts';

/**
 * The [layers x candidates] latency matrix of a search space under a table, and the latency
 * of everything that is not searched (input normalisation, fixed blocks, head, read-back).
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

/**
 * FBNet eq. 9 as a TF.js function: E[LAT] = Σ_l Σ_i m_{l,i} LAT(b_{l,i}) + fixed latency,
 * a differentiable scalar in the weights m (Gumbel-softmax samples or softmax(θ)). The
 * matrix is a constant tensor made once; call `dispose()` when done with it.
 */
export class ExpectedLatency {
  /** [L, K] zero-padded latency matrix (padding columns are 0 ms: weights there add nothing). */
  readonly table: tf.Tensor2D;
  private readonly rows: tf.Tensor1D[];
  readonly fixedMs: number;

  constructor(readonly matrix: LatencyMatrix) {
    const k = matrix.maxCandidates;
    const padded = matrix.ms.map((r) => [...r, ...new Array<number>(k - r.length).fill(0)]);
    this.table = tf.tensor2d(padded, [matrix.ms.length, k], 'float32');
    this.rows = matrix.ms.map((r) => tf.tensor1d(r, 'float32'));
    this.fixedMs = matrix.fixedMs;
  }

  get layers(): number {
    return this.matrix.ms.length;
  }

  /** m: a [L, K] tensor (rows zero-padded past each layer's candidates) or one Tensor1D per layer. */
  expected(m: tf.Tensor2D | readonly tf.Tensor1D[]): tf.Scalar {
    return tf.tidy(() => {
      if (Array.isArray(m)) {
        const list = m as readonly tf.Tensor1D[];
        if (list.length !== this.layers) throw new FbnetError('USAGE', `expected latency: got weights for ${list.length} layers, the space has ${this.layers}`);
        const terms = list.map((w, l) => {
          if (w.rank !== 1 || w.shape[0] !== this.matrix.ms[l].length) {
            throw new FbnetError('USAGE', `expected latency: layer ${l} weights have shape [${w.shape}], expected [${this.matrix.ms[l].length}]`);
          }
          return tf.sum(tf.mul(w, this.rows[l]));
        });
        return tf.add(tf.addN(terms), this.fixedMs) as tf.Scalar;
      }
      const t = m as tf.Tensor2D;
      if (t.rank !== 2 || t.shape[0] !== this.layers || t.shape[1] !== this.table.shape[1]) {
        throw new FbnetError('USAGE', `expected latency: weights have shape [${t.shape}], expected [${this.table.shape}]`);
      }
      return tf.add(tf.sum(tf.mul(t, this.table)), this.fixedMs) as tf.Scalar;
    });
  }

  /** Per-layer expected latency [L] (for reports: which layers the distribution spends time in). */
  perLayer(m: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => tf.sum(tf.mul(m, this.table), 1) as tf.Tensor1D);
  }

  dispose(): void {
    this.table.dispose();
    for (const r of this.rows) r.dispose();
  }
}

/** Shorthand: the eq. 9 function of a space under a table (corrected when the table has a correction). */
export function expectedLatency(space: SearchSpace, lut: LatencyTable, options: { corrected?: boolean } = {}): ExpectedLatency {
  return new ExpectedLatency(latencyMatrix(space, lut, options));
}
