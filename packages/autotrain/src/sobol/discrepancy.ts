import { FbnetError } from '@fbnet/core';

function check(points: readonly (readonly number[])[]): number {
  if (!points.length) throw new FbnetError('USAGE', 'discrepancy: no points');
  const d = points[0].length;
  for (const p of points) {
    if (p.length !== d) throw new FbnetError('USAGE', 'discrepancy: points differ in dimension');
    for (const x of p) if (!(x >= 0 && x <= 1)) throw new FbnetError('USAGE', `discrepancy: coordinate ${x} outside [0, 1]`);
  }
  return d;
}

/**
 * Squared centered L2 discrepancy (Hickernell 1998), the value SciPy's
 * `qmc.discrepancy(method='CD')` returns. Lower is more uniform; O(n²·d).
 */
export function centeredL2Discrepancy(points: readonly (readonly number[])[]): number {
  const d = check(points);
  const n = points.length;
  let a = 0;
  for (const p of points) {
    let prod = 1;
    for (const x of p) {
      const z = Math.abs(x - 0.5);
      prod *= 1 + 0.5 * z - 0.5 * z * z;
    }
    a += prod;
  }
  let b = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let prod = 1;
      for (let k = 0; k < d; k++) {
        const xi = points[i][k], xj = points[j][k];
        prod *= 1 + 0.5 * Math.abs(xi - 0.5) + 0.5 * Math.abs(xj - 0.5) - 0.5 * Math.abs(xi - xj);
      }
      b += prod;
    }
  }
  return (13 / 12) ** d - (2 / n) * a + b / (n * n);
}

/**
 * L2-star discrepancy (Warnock's formula; the square root, as SciPy's `method='L2-star'`):
 * the L2 norm of the gap between the empirical and the uniform measure over anchored boxes.
 */
export function l2StarDiscrepancy(points: readonly (readonly number[])[]): number {
  const d = check(points);
  const n = points.length;
  let a = 0;
  for (const p of points) {
    let prod = 1;
    for (const x of p) prod *= 1 - x * x;
    a += prod;
  }
  let b = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let prod = 1;
      for (let k = 0; k < d; k++) prod *= 1 - Math.max(points[i][k], points[j][k]);
      b += prod;
    }
  }
  return Math.sqrt(Math.max(0, 3 ** -d - (2 ** (1 - d) / n) * a + b / (n * n)));
}
