import * as tf from '@tensorflow/tfjs-core';
import { FbnetError, type SearchSpace } from '@fbnet/core';
import { blockOutputShape, correctionWeight, entryKey, entryOpType, entryStepMs, lutEntryMap, type EntryConfig, type Hwc, type LatencyTable } from '@fbnet/latency-lut';
import { spaceChoiceKey } from '@fbnet/shape-propagation';
import { contractTable, jointConfigs } from './masks.ts';
import { planSupernet, type SlotPlan } from './plan.ts';

/** One latency term: a table over the joint options of `keys` (row-major), in ms. */
interface LatencyTerm {
  /** Mixed by this V1 block choice (candidate `candidate` of it), if any. */
  opKey?: string;
  candidate?: number;
  keys: string[];
  dims: number[];
  ms: number[];
}

/**
 * Expected latency of a V2 space under a latency table (FBNet eq. 9 generalised).
 *
 * With channel or resolution choices a block's input shape depends on the previous layer's
 * choice and on the input resolution, so LAT(b) is not one number per candidate (the V1
 * `latencyMatrix` refuses such spaces). The Gumbel weights of different choices are
 * independent, so the expectation is still exact: for every slot and candidate, a table over
 * the joint options it depends on (resolution, previous width, own width, expansion) of the LUT
 * entry of the block the derived arch would have there, contracted with the product of their
 * weights: E[LAT] = Σ_slot Σ_i m_i Σ_{r,j,k,e} ρ_r g_j h_k e_e LAT(b_i | r, j, k, e) + input + head.
 * At one-hot weights this is `archLatency(lut, archFromChoice(space, choice))` (same entries,
 * same correction). The table must hold every entry the space can need (`fbnet lut measure`
 * on the space enumerates exactly these); a missing one is an error naming how many lack.
 */
export class SpaceLatency {
  private readonly terms: LatencyTerm[] = [];
  readonly offsetMs: number;
  /** Number of distinct LUT entries the space uses. */
  readonly entries: number;

  constructor(readonly space: SearchSpace, lut: LatencyTable, options: { corrected?: boolean } = {}) {
    const map = lutEntryMap(lut);
    const c = options.corrected !== false ? lut.correction : undefined;
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
    const res = space.resolutions ?? [space.input_size];
    const resKeys = res.length > 1 ? [spaceChoiceKey.resolution] : [];
    const resDims = res.length > 1 ? [res.length] : [];
    this.terms.push({ keys: resKeys, dims: resDims, ms: res.map((r) => ms({ kind: 'input', input: [r, r, space.input_channels] })) });
    // spatial size at every resolution, slot by slot
    let sizes = res.map((r) => [r, r] as [number, number]);
    const slots = planSupernet(space);
    for (const slot of slots) {
      const keyDims = this.slotKeys(slot);
      slot.candidates.forEach((cand, ci) => {
        const table: number[] = [];
        for (const [ri, j, k, m] of jointConfigs([res.length, slot.inOptions.length, slot.outOptions.length, slot.expCount])) {
          const spec = cand.options[(j * slot.outOptions.length + k) * slot.expCount + m];
          table.push(ms({ kind: 'block', input: [sizes[ri][0], sizes[ri][1], slot.inOptions[j]], spec }));
        }
        this.terms.push({ opKey: slot.opKey, candidate: ci, ...compact(table, keyDims.keys, keyDims.dims) });
      });
      const spec0 = slot.candidates[0].options[0];
      sizes = sizes.map(([h, w]) => {
        const o: Hwc = blockOutputShape(spec0, [h, w, spec0.inChannels]);
        return [o[0], o[1]];
      });
    }
    const last = slots[slots.length - 1];
    const headTable: number[] = [];
    for (const [ri, k] of jointConfigs([res.length, last.outOptions.length])) {
      headTable.push(ms({ kind: 'head', input: [sizes[ri][0], sizes[ri][1], last.outOptions[k]], numClasses: space.num_classes }));
    }
    this.terms.push(compact(headTable, [...resKeys, ...(last.outKey ? [last.outKey] : [])], [...resDims, ...(last.outKey ? [last.outOptions.length] : [])]));
    if (missing.size) {
      const list = [...missing];
      throw new FbnetError(
        'USAGE',
        `latency table lacks ${list.length} of the ${used.size} entries space "${space.name}" needs (e.g. ${list.slice(0, 3).join(', ')}); measure the space (fbnet lut measure --space ... --resume)`,
      );
    }
    this.offsetMs = c?.offsetMs ?? 0;
    this.entries = used.size;
  }

  /** Keys a slot's blocks depend on, in table order (resolution, input width, width, expansion). */
  private slotKeys(slot: SlotPlan): { keys: string[]; dims: number[] } {
    const res = this.space.resolutions ?? [this.space.input_size];
    const keys: string[] = [];
    const dims: number[] = [];
    keys.push(spaceChoiceKey.resolution), dims.push(res.length);
    keys.push(slot.inKey ?? '-in'), dims.push(slot.inOptions.length);
    keys.push(slot.outKey ?? '-out'), dims.push(slot.outOptions.length);
    keys.push(slot.expKey ?? '-exp'), dims.push(slot.expCount);
    return { keys, dims };
  }

  /** E[LAT] in ms as a differentiable scalar of the weights (keyed like the supernet's choices). */
  expected(weights: Record<string, tf.Tensor1D>): tf.Scalar {
    return tf.tidy(() => {
      const parts = this.terms.map((t) => {
        const v = t.keys.length ? contractTable(t.keys.map((k) => this.weight(weights, k)), t.ms) : tf.scalar(t.ms[0]);
        return t.opKey ? tf.mul(tf.slice(this.weight(weights, t.opKey), [t.candidate!], [1]), v) : v;
      });
      return tf.add(tf.sum(tf.stack(parts.map((p) => tf.reshape(p, [])))), this.offsetMs) as tf.Scalar;
    });
  }

  /** The same expression on numbers (float64): at one-hot weights, LAT of the derived arch. */
  expectedValue(weights: Record<string, ArrayLike<number>>): number {
    let total = this.offsetMs;
    for (const t of this.terms) {
      let v = 0;
      jointConfigs(t.dims).forEach((cfg, d) => {
        let w = 1;
        cfg.forEach((i, a) => (w *= this.weight(weights, t.keys[a])[i]));
        v += w * t.ms[d];
      });
      total += t.opKey ? this.weight(weights, t.opKey)[t.candidate!] * v : v;
    }
    return total;
  }

  private weight<V>(weights: Record<string, V>, key: string): V {
    const w = weights[key];
    if (w === undefined) throw new FbnetError('USAGE', `expected latency: no weights for choice "${key}"`);
    return w;
  }
}

/** Drop the axes (and placeholder keys of unsearched dimensions) a latency table does not depend on. */
function compact(ms: number[], keys: string[], dims: number[]): { keys: string[]; dims: number[]; ms: number[] } {
  let t = ms;
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
