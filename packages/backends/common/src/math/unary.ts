/** Branchless activations (V8 compiles `+(x > 0)` without a branch; random signs mispredict). */
export function reluInto(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    y[i] = v * +(v > 0);
  }
}

export function relu6Into(x: Float32Array, y: Float32Array): void {
  for (let i = 0; i < x.length; i++) {
    const r = x[i] * +(x[i] > 0);
    y[i] = r - (r - 6) * +(r > 6);
  }
}

/**
 * Inference batch norm over the last axis: y = (x − mean)·scale/√(var + ε) + offset, with
 * per-channel (or scalar) parameters folded into one multiply-add per element.
 */
export function batchNormInferInto(
  x: Float32Array,
  C: number,
  mean: Float32Array,
  variance: Float32Array,
  offset: Float32Array | undefined,
  scale: Float32Array | undefined,
  eps: number,
  y: Float32Array,
): void {
  const a = new Float64Array(C);
  const b = new Float64Array(C);
  const at = (p: Float32Array | undefined, c: number, dflt: number) => (p ? (p.length === 1 ? p[0] : p[c]) : dflt);
  for (let c = 0; c < C; c++) {
    const s = at(scale, c, 1) / Math.sqrt(at(variance, c, 1) + eps);
    a[c] = s;
    b[c] = at(offset, c, 0) - at(mean, c, 0) * s;
  }
  for (let i = 0; i < x.length; i += C) for (let c = 0; c < C; c++) y[i + c] = x[i + c] * a[c] + b[c];
}
