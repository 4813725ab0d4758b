import { mutateValue, type Genome } from '@fbnet/evolutionary-search';
import type { Rng } from '@fbnet/core';
import type { TrainRecipe } from '@fbnet/train';
import { encodePoint, jointArch, jointDimensions, jointRecipe, pointFromUnit, pointKey, type JointPoint, type JointSpace } from './joint-space.ts';

/** Each dimension mutates with probability `rate` (at least one always does). */
export function mutatePoint(space: JointSpace, p: JointPoint, rate: number, rng: Rng): JointPoint {
  const dims = jointDimensions(space);
  const out = { ...p };
  let changed = false;
  for (const d of dims) {
    if (rng.next() < rate) {
      out[d.key] = mutateValue(d.range, p[d.key], rng);
      changed = true;
    }
  }
  if (!changed) {
    const d = dims[rng.int(dims.length)];
    out[d.key] = mutateValue(d.range, p[d.key], rng);
  }
  return out;
}

/**
 * Crossover by blocks of meaning: the input resolution + stem, each stage (its channels, depth,
 * kernel, expansion, SE together), the head, and the recipe each come whole from one parent.
 */
export function crossoverPoints(space: JointSpace, a: JointPoint, b: JointPoint, rng: Rng): JointPoint {
  const group = (key: string) => (key.startsWith('recipe.') ? 'recipe' : key.startsWith('stage') ? key.split('.')[0] : key === 'resolution' || key.startsWith('stem.') ? 'input' : 'head');
  const from = new Map<string, JointPoint>();
  const out: JointPoint = {};
  for (const d of jointDimensions(space)) {
    const g = group(d.key);
    if (!from.has(g)) from.set(g, rng.next() < 0.5 ? a : b);
    out[d.key] = from.get(g)![d.key];
  }
  return out;
}

/**
 * The joint architecture + recipe space as a genome for `@fbnet/evolutionary-search`: random
 * points by the QMC map of uniform coordinates, per-dimension mutation, crossover by blocks of
 * meaning, the predictor encoding of `encodePoint`, and the point's arch and recipe.
 */
export function jointGenome(space: JointSpace): Genome<JointPoint, TrainRecipe> {
  const n = jointDimensions(space).length;
  return {
    name: space.name,
    sample: (rng) => pointFromUnit(space, Array.from({ length: n }, () => rng.next())),
    mutate: (p, rate, rng) => mutatePoint(space, p, rate, rng),
    crossover: (a, b, rng) => crossoverPoints(space, a, b, rng),
    key: pointKey,
    arch: (p) => jointArch(space, p),
    recipe: (p) => jointRecipe(space, p),
    encode: (p) => encodePoint(space, p),
  };
}
