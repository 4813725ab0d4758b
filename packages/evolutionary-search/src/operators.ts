import { Rng, type RangeSpec } from '@fbnet/core';
import { jointDimensions, type DimValue, type JointPoint, type JointSpace } from '@fbnet/autotrain';

/** Move one value: floats by a Gaussian step in (log-)unit space, ints by ±1..2, choices to a neighbour or any other value. */
export function mutateValue(r: RangeSpec, v: DimValue, rng: Rng): DimValue {
  switch (r.kind) {
    case 'float': {
      const lo = r.log ? Math.log(r.min) : r.min, hi = r.log ? Math.log(r.max) : r.max;
      const x = r.log ? Math.log(Number(v)) : Number(v);
      const y = Math.min(hi, Math.max(lo, x + rng.normal() * 0.15 * (hi - lo)));
      return Number((r.log ? Math.exp(y) : y).toPrecision(4));
    }
    case 'int': {
      if (r.max === r.min) return r.min;
      let y = Number(v);
      while (y === Number(v)) y = Math.min(r.max, Math.max(r.min, Number(v) + (rng.next() < 0.5 ? -1 : 1) * (1 + rng.int(2))));
      return y;
    }
    case 'choice': {
      if (r.values.length === 1) return r.values[0];
      const i = r.values.indexOf(v);
      const ordinal = r.values.every((x) => typeof x === 'number');
      if (ordinal && i >= 0 && rng.next() < 0.7) {
        const j = i === 0 ? 1 : i === r.values.length - 1 ? i - 1 : i + (rng.next() < 0.5 ? -1 : 1);
        return r.values[j];
      }
      let j = rng.int(r.values.length - 1);
      if (j >= i) j++;
      return r.values[j];
    }
  }
}

/** Each dimension mutates with probability `rate` (at least one always does). */
export function mutate(space: JointSpace, p: JointPoint, rate: number, rng: Rng): JointPoint {
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
export function crossover(space: JointSpace, a: JointPoint, b: JointPoint, rng: Rng): JointPoint {
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
 * Constraint-respecting variation: draw children until one satisfies `ok` (at most `tries`);
 * returns null rather than ever handing back a violating candidate.
 */
export function constrained(make: () => JointPoint, ok: (p: JointPoint) => boolean, tries = 50): JointPoint | null {
  for (let i = 0; i < tries; i++) {
    const c = make();
    if (ok(c)) return c;
  }
  return null;
}
