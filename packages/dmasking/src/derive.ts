import { archFromChoice, FbnetError, searchLayers, type ArchChoice, type Rng, type SearchSpace } from '@fbnet/core';
import { thetaProbs } from '@fbnet/gumbel-supernet';
import { archCost, spaceChoiceKey } from '@fbnet/shape-propagation';
import type { LayerDistribution, V2ArchSummary } from './events.ts';

/** P_α per choice key (softmax of α, float64). */
export function probsOf(alphas: Record<string, ArrayLike<number>>): Record<string, number[]> {
  return Object.fromEntries(Object.entries(alphas).map(([k, a]) => [k, thetaProbs(a)]));
}

/**
 * A full ArchChoice from one index per searched choice key; unsearched dimensions take their
 * only option (channels: the layer's c, expansion: its one value, resolution: input_size).
 */
export function choiceFrom(space: SearchSpace, pick: (key: string, n: number) => number): ArchChoice {
  const layers = searchLayers(space);
  const at = (key: string, n: number) => (n > 1 ? pick(key, n) : 0);
  const choice: ArchChoice = { ops: layers.map((l) => at(spaceChoiceKey.op(l.index), l.candidates.length)) };
  if (layers.some((l) => l.channels)) choice.channels = layers.map((l) => (l.channels ? at(spaceChoiceKey.channels(l.index), l.channels.length) : 0));
  if (layers.some((l) => l.expansions)) choice.expansions = layers.map((l) => (l.expansions ? at(spaceChoiceKey.expansion(l.index), l.expansions.length) : 0));
  if (space.resolutions) choice.resolution = at(spaceChoiceKey.resolution, space.resolutions.length);
  return choice;
}

function need<T>(m: Record<string, T>, key: string): T {
  const v = m[key];
  if (v === undefined) throw new FbnetError('USAGE', `no architecture parameters for choice "${key}"`);
  return v;
}

/** argmax_i α per choice (FBNetV2: one block, width and expansion per layer, one resolution). */
export function argmaxChoice(space: SearchSpace, alphas: Record<string, ArrayLike<number>>): ArchChoice {
  return choiceFrom(space, (key) => {
    const a = need(alphas, key);
    let best = 0;
    for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
    return best;
  });
}

/** One arch drawn from P_α (independent categorical per choice). */
export function sampleChoiceFromProbs(space: SearchSpace, probs: Record<string, number[]>, rng: Rng): ArchChoice {
  return choiceFrom(space, (key) => rng.categorical(need(probs, key)));
}

/** The option a choice takes for one choice key (`op/3`, `channels/3`, `expansion/3`, `resolution`). */
export function optionIndex(choice: ArchChoice, key: string): number {
  if (key === spaceChoiceKey.resolution) return choice.resolution ?? 0;
  const [kind, layer] = key.split('/');
  const l = Number(layer);
  if (kind === 'op') return choice.ops[l];
  if (kind === 'channels') return choice.channels?.[l] ?? 0;
  if (kind === 'expansion') return choice.expansions?.[l] ?? 0;
  throw new FbnetError('USAGE', `unknown choice key "${key}"`);
}

/** Probability of a choice under P_α: the product over searched choices. */
export function choiceProbability(probs: Record<string, number[]>, choice: ArchChoice): number {
  return Object.entries(probs).reduce((p, [key, pk]) => p * pk[optionIndex(choice, key)], 1);
}

/** The derived arch of a choice with its figures (everything but the supernet's score and probability). */
export function describeChoice(space: SearchSpace, choice: ArchChoice): Omit<V2ArchSummary, 'probability' | 'supernetAccuracy' | 'latencyMs'> {
  const layers = searchLayers(space);
  const arch = archFromChoice(space, choice);
  const cost = archCost(arch);
  return {
    choice,
    ops: layers.map((l) => l.candidates[choice.ops[l.index]]),
    channels: layers.map((l) => (l.channels && choice.channels ? l.channels[choice.channels[l.index]] : l.c)),
    expansions: layers.map((l) => {
      const cand = space.candidates[l.candidates[choice.ops[l.index]]];
      const hasE = cand.op.startsWith('ir_') && !cand.op.startsWith('ir_pool');
      if (!hasE) return null;
      if (l.expansions && choice.expansions) return l.expansions[choice.expansions[l.index]];
      return typeof cand.kwargs?.expansion === 'number' ? cand.kwargs.expansion : 6;
    }),
    resolution: arch.input_size,
    arch,
    flops: cost.flops,
    params: cost.params,
  };
}

/** P_α per searchable layer (ops, channels, expansions) and of the resolution, for events and reports. */
export function distributions(space: SearchSpace, alphas: Record<string, ArrayLike<number>>): { layers: LayerDistribution[]; resolution?: number[]; resolutions?: number[] } {
  const probs = probsOf(alphas);
  const layers = searchLayers(space).map((l) => {
    const d: LayerDistribution = { layer: l.index };
    const op = probs[spaceChoiceKey.op(l.index)];
    const ch = probs[spaceChoiceKey.channels(l.index)];
    const ex = probs[spaceChoiceKey.expansion(l.index)];
    if (op) d.ops = op;
    if (ch) d.channels = ch;
    if (ex) d.expansions = ex;
    return d;
  });
  const res = probs[spaceChoiceKey.resolution];
  return res ? { layers, resolution: res, resolutions: space.resolutions } : { layers };
}
