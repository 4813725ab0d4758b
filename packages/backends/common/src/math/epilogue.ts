/** Bias + activation over the last axis (the epilogue of TF.js's fused conv kernels). */
export function biasActInPlace(y: Float32Array, C: number, bias: Float32Array | undefined, act: string): void {
  if (bias) for (let i = 0; i < y.length; i += C) for (let c = 0; c < C; c++) y[i + c] += bias[c];
  if (act === 'relu') {
    for (let i = 0; i < y.length; i++) y[i] = y[i] * +(y[i] > 0);
  } else if (act === 'relu6') {
    for (let i = 0; i < y.length; i++) {
      const r = y[i] * +(y[i] > 0);
      y[i] = r - (r - 6) * +(r > 6);
    }
  }
}
