import { FbnetError, type RangeSpec } from '@fbnet/core';

/** A value a dimension takes: a number (float/int/numeric choice), a string or a boolean (choice). */
export type DimValue = number | string | boolean;

/** Number of discrete options (Infinity for floats). */
export function rangeSize(r: RangeSpec): number {
  if (r.kind === 'choice') return r.values.length;
  if (r.kind === 'int') return r.max - r.min + 1;
  return Infinity;
}

/** Map u ∈ [0, 1) to the range: floats linearly or in log space, ints and choices by equal cells. */
export function fromUnit(r: RangeSpec, u: number): DimValue {
  const x = Math.min(Math.max(u, 0), 1 - 1e-12);
  switch (r.kind) {
    case 'float':
      return r.log ? Math.exp(Math.log(r.min) + x * (Math.log(r.max) - Math.log(r.min))) : r.min + x * (r.max - r.min);
    case 'int':
      return r.min + Math.floor(x * (r.max - r.min + 1));
    case 'choice':
      return r.values[Math.floor(x * r.values.length)];
  }
}

/** Position of a value in [0, 1]: floats by (log-)linear position, discrete values by their index / (size − 1). */
export function toUnit(r: RangeSpec, v: DimValue): number {
  switch (r.kind) {
    case 'float': {
      const x = Number(v);
      if (r.max === r.min) return 0;
      return r.log ? (Math.log(x) - Math.log(r.min)) / (Math.log(r.max) - Math.log(r.min)) : (x - r.min) / (r.max - r.min);
    }
    case 'int':
      return r.max === r.min ? 0 : (Number(v) - r.min) / (r.max - r.min);
    case 'choice': {
      const i = choiceIndex(r, v);
      return r.values.length === 1 ? 0 : i / (r.values.length - 1);
    }
  }
}

export function choiceIndex(r: Extract<RangeSpec, { kind: 'choice' }>, v: DimValue): number {
  const i = r.values.indexOf(v);
  if (i < 0) throw new FbnetError('USAGE', `value ${JSON.stringify(v)} is not one of [${r.values.map((x) => JSON.stringify(x)).join(', ')}]`);
  return i;
}

/** Does the value belong to the range? */
export function inRange(r: RangeSpec, v: DimValue): boolean {
  switch (r.kind) {
    case 'float':
      return typeof v === 'number' && v >= r.min && v <= r.max;
    case 'int':
      return Number.isInteger(v) && (v as number) >= r.min && (v as number) <= r.max;
    case 'choice':
      return r.values.includes(v);
  }
}

/** A choice over non-numeric values (strings, booleans) is categorical: one-hot encoded; everything else is ordinal. */
export function isCategorical(r: RangeSpec): boolean {
  return r.kind === 'choice' && r.values.some((v) => typeof v !== 'number');
}

/** Width of a dimension's encoding: one-hot for categorical choices, one scalar in [0, 1] otherwise. */
export function encodingWidth(r: RangeSpec): number {
  return isCategorical(r) && !(r.kind === 'choice' && r.values.length === 2 && r.values.every((v) => typeof v === 'boolean')) ? rangeSize(r) : 1;
}

/** Encode one value: one-hot for categorical choices (a boolean pair is one 0/1 scalar), else the ordinal/log position. */
export function encodeValue(r: RangeSpec, v: DimValue, out: number[]): void {
  if (encodingWidth(r) === 1) {
    out.push(r.kind === 'choice' && typeof v === 'boolean' ? (v ? 1 : 0) : toUnit(r, v));
    return;
  }
  const i = choiceIndex(r as Extract<RangeSpec, { kind: 'choice' }>, v);
  for (let k = 0; k < rangeSize(r); k++) out.push(k === i ? 1 : 0);
}
