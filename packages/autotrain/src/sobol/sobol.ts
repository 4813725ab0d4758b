import { FbnetError, Rng } from '@fbnet/core';
import { JOE_KUO } from './joe-kuo.ts';

/** Bits of resolution: points are multiples of 2^-32, at most 2^32 of them. */
const BITS = 32;

/** Most dimensions the bundled direction numbers cover (1 + the Joe–Kuo rows). */
export const SOBOL_MAX_DIMENSIONS = JOE_KUO.length + 1;

/**
 * Direction numbers V_1..V_32 of one dimension (Bratley & Fox 1988, Joe & Kuo 2003/2008):
 * V_i = m_i · 2^(32−i) for i ≤ s, then
 * V_i = V_{i−s} ⊕ (V_{i−s} ≫ s) ⊕ ⊕_{k=1}^{s−1} a_k V_{i−k}.
 * Dimension 0 is the van der Corput sequence (all m_i = 1).
 */
function directions(dim: number): Uint32Array {
  const v = new Uint32Array(BITS + 1); // 1-based
  if (dim === 0) {
    for (let i = 1; i <= BITS; i++) v[i] = (1 << (BITS - i)) >>> 0;
    return v;
  }
  const [s, a, m] = JOE_KUO[dim - 1];
  for (let i = 1; i <= Math.min(s, BITS); i++) v[i] = (m[i - 1] << (BITS - i)) >>> 0;
  for (let i = s + 1; i <= BITS; i++) {
    let x = (v[i - s] ^ (v[i - s] >>> s)) >>> 0;
    for (let k = 1; k < s; k++) if ((a >>> (s - 1 - k)) & 1) x = (x ^ v[i - k]) >>> 0;
    v[i] = x;
  }
  return v;
}

export interface SobolOptions {
  /**
   * Random digital shift (XOR of each coordinate with a seeded 32-bit word): a different,
   * equally low-discrepancy sequence per seed. Without it the sequence is the plain one
   * (first point 0, as SciPy's `qmc.Sobol(scramble=False)`).
   */
  shiftSeed?: number;
  /** Start at this index (e.g. to resume a search). */
  index?: number;
}

/**
 * Sobol low-discrepancy sequence in [0, 1)^d, Gray-code order (Antonov & Saleev 1979),
 * with Joe & Kuo's direction numbers. Deterministic and resumable: `index` is all the state.
 */
export class Sobol {
  private readonly v: Uint32Array[];
  private readonly x: Uint32Array;
  private readonly shift: Uint32Array;
  private n = 0;

  constructor(readonly dimensions: number, options: SobolOptions = {}) {
    if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > SOBOL_MAX_DIMENSIONS) {
      throw new FbnetError('USAGE', `Sobol: dimensions must be an integer in 1..${SOBOL_MAX_DIMENSIONS}, got ${dimensions}`);
    }
    this.v = Array.from({ length: dimensions }, (_, j) => directions(j));
    this.x = new Uint32Array(dimensions);
    this.shift = new Uint32Array(dimensions);
    if (options.shiftSeed !== undefined) {
      const rng = new Rng(options.shiftSeed).fork('sobol-shift');
      for (let j = 0; j < dimensions; j++) this.shift[j] = rng.nextU32();
    }
    const start = options.index ?? 0;
    if (!Number.isInteger(start) || start < 0) throw new FbnetError('USAGE', `Sobol: index must be a non-negative integer, got ${start}`);
    this.skipTo(start);
  }

  /** Index of the next point. */
  get index(): number {
    return this.n;
  }

  /** Jump to point `index` directly: its Gray code g = i ⊕ (i ≫ 1) selects the directions to XOR. */
  skipTo(index: number): void {
    if (index >= 2 ** BITS) throw new FbnetError('USAGE', `Sobol: index ${index} is beyond 2^${BITS}`);
    const g = (index ^ Math.floor(index / 2)) >>> 0;
    for (let j = 0; j < this.dimensions; j++) {
      let x = 0;
      for (let b = 0; b < BITS; b++) if ((g >>> b) & 1) x = (x ^ this.v[j][b + 1]) >>> 0;
      this.x[j] = x;
    }
    this.n = index;
  }

  /** The next point. */
  next(): number[] {
    if (this.n >= 2 ** BITS) throw new FbnetError('USAGE', `Sobol: sequence exhausted (2^${BITS} points)`);
    const out = new Array<number>(this.dimensions);
    for (let j = 0; j < this.dimensions; j++) out[j] = ((this.x[j] ^ this.shift[j]) >>> 0) / 2 ** BITS;
    // Gray-code step to point n+1: flip direction c, c = 1 + number of trailing ones of n.
    let c = 1;
    for (let m = this.n; m & 1; m = Math.floor(m / 2)) c++;
    for (let j = 0; j < this.dimensions; j++) this.x[j] = (this.x[j] ^ this.v[j][c]) >>> 0;
    this.n++;
    return out;
  }

  take(count: number): number[][] {
    return Array.from({ length: count }, () => this.next());
  }
}

/** The first `count` points of the d-dimensional sequence. */
export function sobolPoints(count: number, dimensions: number, options: SobolOptions = {}): number[][] {
  return new Sobol(dimensions, options).take(count);
}
