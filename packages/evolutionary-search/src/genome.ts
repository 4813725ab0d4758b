import type { ArchDef, RangeSpec, Rng } from '@fbnet/core';

/**
 * What the evolution needs of a search space: a point type `P` (plain JSON data) and the
 * operators on it. The search is written against this interface only; adapters exist for
 * core's `SearchSpace` (`archSpaceGenome`, here) and for autotrain's joint architecture +
 * recipe space (`jointGenome` in `@fbnet/autotrain`).
 */
export interface Genome<P = unknown, R = unknown> {
  /** The space's name (messages). */
  readonly name: string;
  /** A random point of the space. */
  sample(rng: Rng): P;
  /** Each dimension moves with probability `rate` (at least one always does). */
  mutate(p: P, rate: number, rng: Rng): P;
  /** A child taking each group of dimensions whole from one parent. */
  crossover(a: P, b: P, rng: Rng): P;
  /** Canonical string of a point: equal points, equal keys. */
  key(p: P): string;
  /** The concrete architecture a point selects. */
  arch(p: P): ArchDef;
  /** The training recipe a point selects (joint spaces only). */
  recipe?(p: P): R;
  /** The accuracy predictor's inputs (architecture / recipe encodings); needed for a predictor fitness. */
  encode?(p: P): { arch: number[]; recipe: number[] };
}

export type DimValue = number | string | boolean;

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

/**
 * Constraint-respecting variation: draw children until one satisfies `ok` (at most `tries`);
 * returns null rather than ever handing back a violating candidate.
 */
export function constrained<P>(make: () => P, ok: (p: P) => boolean, tries = 50): P | null {
  for (let i = 0; i < tries; i++) {
    const c = make();
    if (ok(c)) return c;
  }
  return null;
}
