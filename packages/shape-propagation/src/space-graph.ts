import {
  ArchDefError,
  FbnetError,
  candidateBlock,
  resolveArch,
  spaceSlots,
  searchLayers,
  type ArchChoice,
  type BlockLocation,
  type BlockSpec,
  type BlockTuple,
  type SearchSpace,
} from '@fbnet/core';
import { headLayer } from './arch-graph.ts';
import type { EffectiveGraph, EffectiveLayer } from './effective-graph.ts';
import { mergeBlockSpecs } from './merge-specs.ts';

/** Choice names of a search space's cost graph. */
export const spaceChoiceKey = {
  op: (layer: number) => `op/${layer}`,
  channels: (layer: number) => `channels/${layer}`,
  expansion: (layer: number) => `expansion/${layer}`,
  resolution: 'resolution',
} as const;

/** Gumbel weights for a search space, shaped like `ArchChoice` (one vector per searchable layer). */
export interface SpaceWeights<V> {
  ops: V[];
  channels?: V[];
  expansions?: V[];
  resolution?: V;
}

/** Input channels of the next block: fixed, or the options of a channel choice. */
interface ChannelSource {
  key?: string;
  options: number[];
}

/** Joint configurations of some choices, row-major (the last key varies fastest). */
function configs(dims: number[]): number[][] {
  let out: number[][] = [[]];
  for (const d of dims) out = out.flatMap((c) => Array.from({ length: d }, (_, i) => [...c, i]));
  return out;
}

function resolveTuple(space: SearchSpace, tuple: BlockTuple, inChannels: number, loc: BlockLocation, what: string): BlockSpec[] {
  try {
    return resolveArch({
      input_size: space.input_size,
      input_channels: inChannels,
      num_classes: space.num_classes,
      basic_args: { width_divisor: space.basic_args.width_divisor },
      blocks: [[tuple]],
    }).blocks.map((b) => b.spec);
  } catch (e) {
    // core locates the error in the one-block def it was given; name the space's stage/block instead
    if (e instanceof FbnetError) throw new ArchDefError(`${what} with ${inChannels} input channels: ${e.message.replace(/^invalid arch def: (stage \d+, block \d+: )?/, '')}`, loc);
    throw e;
  }
}

/**
 * The cost graph of a whole search space (V1 candidates, V2 channel/expansion/resolution
 * choices). Choices are named by `spaceChoiceKey`; a layer with one candidate is a plain path.
 * Counts that depend on several choices (an expanded width that rounds C_in·e; a skip that is
 * an identity only where C_in = C_out) are tables over them, so that at one-hot weights the
 * graph evaluates exactly to `archCost(archFromChoice(space, choice))`.
 */
export function spaceCostGraph(space: SearchSpace): EffectiveGraph {
  const choices: Record<string, number> = {};
  const layers: EffectiveLayer[] = [];
  let src: ChannelSource = { options: [space.input_channels] };
  const blockInStage = new Map<number, number>();

  for (const slot of spaceSlots(space)) {
    const block = blockInStage.get(slot.stage) ?? 0;
    blockInStage.set(slot.stage, block + 1);
    const loc = { stage: slot.stage, block };
    const inKeys = src.key ? [src.key] : [];
    const inDims = src.key ? [src.options.length] : [];

    if (slot.kind === 'fixed') {
      const tuple = slot.block;
      const perConfig = configs(inDims).map((cfg) => resolveTuple(space, tuple, src.options[cfg[0] ?? 0], loc, `block ${tuple[0]}`));
      const n = perConfig[0].length;
      for (let r = 0; r < n; r++) {
        // after the first repeat the input is the entry's fixed output
        const keys = r === 0 ? inKeys : [];
        const dims = r === 0 ? inDims : [];
        const specs = r === 0 ? perConfig.map((p) => p[r]) : [perConfig[0][r]];
        layers.push({ kind: 'path', name: `s${slot.stage}.b${block}.${r}:${tuple[0]}`, location: loc, nodes: mergeBlockSpecs(specs, keys, dims, loc) });
      }
      if (n > 0) src = { options: [tuple[1]] };
      continue;
    }

    const l = slot.layer;
    const keys = [...inKeys];
    const dims = [...inDims];
    let chIdx = -1;
    let eIdx = -1;
    if (l.channels) {
      choices[spaceChoiceKey.channels(l.index)] = l.channels.length;
      chIdx = keys.length;
      keys.push(spaceChoiceKey.channels(l.index));
      dims.push(l.channels.length);
    }
    if (l.expansions) {
      choices[spaceChoiceKey.expansion(l.index)] = l.expansions.length;
      eIdx = keys.length;
      keys.push(spaceChoiceKey.expansion(l.index));
      dims.push(l.expansions.length);
    }
    const cfgs = configs(dims);
    const candidates = l.candidates.map((id) => {
      const specs = cfgs.map((cfg) => {
        const cin = src.key ? src.options[cfg[0]] : src.options[0];
        const c = chIdx >= 0 ? l.channels![cfg[chIdx]] : l.c;
        const e = eIdx >= 0 ? l.expansions![cfg[eIdx]] : undefined;
        const specs1 = resolveTuple(space, candidateBlock(space, id, c, l.s, e), cin, loc, `layer ${l.index} candidate "${id}"`);
        return specs1[0];
      });
      return { name: id, nodes: mergeBlockSpecs(specs, keys, dims, loc) };
    });
    if (candidates.length === 1) {
      layers.push({ kind: 'path', name: `layer${l.index}:${l.candidates[0]}`, location: loc, nodes: candidates[0].nodes });
    } else {
      const key = spaceChoiceKey.op(l.index);
      choices[key] = candidates.length;
      layers.push({ kind: 'mixture', name: `layer${l.index}`, location: loc, choice: key, candidates });
    }
    src = l.channels ? { key: spaceChoiceKey.channels(l.index), options: l.channels } : { options: [l.c] };
  }
  layers.push(headLayer(space.num_classes));
  let input: EffectiveGraph['input'] = { channels: space.input_channels, sizes: [[space.input_size, space.input_size]] };
  if (space.resolutions) {
    choices[spaceChoiceKey.resolution] = space.resolutions.length;
    input = { channels: space.input_channels, sizes: space.resolutions.map((r) => [r, r] as [number, number]), resolution: spaceChoiceKey.resolution };
  }
  return { version: 1, choices, input, layers };
}

/** Name the per-layer Gumbel weight vectors by the graph's choice keys. */
export function spaceWeights<V>(space: SearchSpace, w: SpaceWeights<V>): Record<string, V> {
  const layers = searchLayers(space);
  if (w.ops.length !== layers.length) throw new FbnetError('USAGE', `space weights: ${w.ops.length} op weight vectors for ${layers.length} searchable layers`);
  const out: Record<string, V> = {};
  for (const l of layers) {
    if (l.candidates.length > 1) out[spaceChoiceKey.op(l.index)] = w.ops[l.index];
    if (l.channels && w.channels?.[l.index] !== undefined) out[spaceChoiceKey.channels(l.index)] = w.channels[l.index];
    if (l.expansions && w.expansions?.[l.index] !== undefined) out[spaceChoiceKey.expansion(l.index)] = w.expansions[l.index];
  }
  if (space.resolutions && w.resolution !== undefined) out[spaceChoiceKey.resolution] = w.resolution;
  return out;
}

function oneHot(n: number, i: number): number[] {
  return Array.from({ length: n }, (_, j) => (j === i ? 1 : 0));
}

/**
 * One-hot weights selecting `choice`, with `archFromChoice`'s defaults: no channel choice means
 * the layer's c (the largest option), no resolution choice means input_size.
 */
export function oneHotWeights(space: SearchSpace, choice: ArchChoice): Record<string, number[]> {
  const layers = searchLayers(space);
  const idx = (what: string, i: number | undefined, n: number, l: number): number => {
    if (i === undefined || !(Number.isInteger(i) && i >= 0 && i < n)) throw new FbnetError('USAGE', `layer ${l}: ${what} choice ${i} out of range 0..${n - 1}`);
    return i;
  };
  return spaceWeights<number[]>(space, {
    ops: layers.map((l) => oneHot(l.candidates.length, idx('op', choice.ops[l.index], l.candidates.length, l.index))),
    channels: layers.map((l) => {
      if (!l.channels) return [1];
      const i = choice.channels ? choice.channels[l.index] : l.channels.indexOf(l.c);
      return oneHot(l.channels.length, idx('channel', i, l.channels.length, l.index));
    }),
    expansions: layers.map((l) => {
      if (!l.expansions) return [1];
      if (!choice.expansions) throw new FbnetError('USAGE', `layer ${l.index} has expansion options; the choice must give expansions`);
      return oneHot(l.expansions.length, idx('expansion', choice.expansions[l.index], l.expansions.length, l.index));
    }),
    resolution: space.resolutions
      ? oneHot(space.resolutions.length, idx('resolution', choice.resolution ?? space.resolutions.indexOf(space.input_size), space.resolutions.length, -1))
      : undefined,
  });
}
