/** Elementwise closeness with an error message that names the worst element. */
import { expect } from 'vitest';

export interface Tolerance {
  rtol: number;
  atol: number;
}

/** Asserts |actual - expected| <= atol + rtol * |expected| everywhere. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: Tolerance, what = 'value'): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = -1, worstExcess = 0, maxAbs = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    maxAbs = Math.max(maxAbs, d);
    const excess = d - (tol.atol + tol.rtol * Math.abs(expected[i]));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    expect.fail(`${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (max abs err ${maxAbs.toExponential(2)}, tol atol ${tol.atol} rtol ${tol.rtol})`);
  }
}

/** Seeded uniform values in [-1, 1) (an LCG: the same arrays on every run and platform). */
export function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
  return a;
}
