/**
 * Sum / mean over a contiguous block of axes: x viewed as [A, R, B] reduces to [A, B].
 * Covers global pooling (NHWC axes 1,2), bias gradients (axes 0..2) and last-axis reductions.
 * Accumulates in float64.
 */
export function contiguousAxes(axes: number[]): boolean {
  const s = [...axes].sort((a, b) => a - b);
  return s.every((v, i) => i === 0 || v === s[i - 1] + 1);
}

export function reduceSplit(shape: readonly number[], axes: number[]): { A: number; R: number; B: number } {
  const s = [...axes].sort((a, b) => a - b);
  const lo = s[0];
  const hi = s[s.length - 1];
  const prod = (from: number, to: number) => shape.slice(from, to).reduce((p, d) => p * d, 1);
  return { A: prod(0, lo), R: prod(lo, hi + 1), B: prod(hi + 1, shape.length) };
}

export function reduceSum(x: Float32Array, A: number, R: number, B: number, out: Float32Array, scale = 1): void {
  if (B === 1) {
    for (let a = 0; a < A; a++) {
      let s = 0;
      const base = a * R;
      for (let r = 0; r < R; r++) s += x[base + r];
      out[a] = s * scale;
    }
    return;
  }
  const acc = new Float64Array(B);
  for (let a = 0; a < A; a++) {
    acc.fill(0);
    const base = a * R * B;
    for (let r = 0; r < R; r++) {
      const o = base + r * B;
      for (let b = 0; b < B; b++) acc[b] += x[o + b];
    }
    for (let b = 0; b < B; b++) out[a * B + b] = acc[b] * scale;
  }
}
