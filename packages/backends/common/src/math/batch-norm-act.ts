import type { FusedActivation } from '@fbnet/core';

/**
 * Training-mode batch norm + activation over the M = N·H·W rows of an NHWC tensor with C
 * channels (the `FbnetBatchNormActTrain` contract): biased variance, as PyTorch normalises.
 *
 * Statistics: one float64 pass of shifted sums Σ(x−k), Σ(x−k)² with k the first row, which
 * keeps the variance exact enough when |mean| ≫ std. The pre-activation is always computed
 * as z = x·scale + shift in float64, identically in forward and backward, so the backward
 * activation mask agrees with the forward output bit for bit. Masks are `+(z > 0)` — V8
 * compiles that without a branch, and the branchy form is 3× slower on random signs.
 */
export function batchNormActForward(
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  C: number,
  epsilon: number,
  act: FusedActivation,
  y: Float32Array,
  mean: Float32Array,
  invStd: Float32Array,
): void {
  const L = x.length;
  const M = L / C;
  const k = new Float64Array(C);
  for (let c = 0; c < C; c++) k[c] = x[c];
  const s1 = new Float64Array(C);
  const s2 = new Float64Array(C);
  for (let i = 0; i < L; i += C) {
    for (let c = 0; c < C; c++) {
      const d = x[i + c] - k[c];
      s1[c] += d;
      s2[c] += d * d;
    }
  }
  for (let c = 0; c < C; c++) {
    const m1 = s1[c] / M;
    const variance = Math.max(0, s2[c] / M - m1 * m1);
    mean[c] = k[c] + m1;
    invStd[c] = 1 / Math.sqrt(variance + epsilon);
  }
  // From the float32-rounded statistics, exactly as the backward pass will recompute z.
  const { scale, shift } = affineCoefficients(gamma, beta, mean, invStd);
  affineAct(x, scale, shift, C, act, y);
}

/** z = x·scale + shift per channel, in float64 (forward and backward share it). */
export function affineCoefficients(gamma: Float32Array, beta: Float32Array, mean: Float32Array, invStd: Float32Array): { scale: Float64Array; shift: Float64Array } {
  const C = gamma.length;
  const scale = new Float64Array(C);
  const shift = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    scale[c] = invStd[c] * gamma[c];
    shift[c] = beta[c] - mean[c] * invStd[c] * gamma[c];
  }
  return { scale, shift };
}

function affineAct(x: Float32Array, scale: Float64Array, shift: Float64Array, C: number, act: FusedActivation, y: Float32Array): void {
  const L = x.length;
  switch (act) {
    case 'none':
      for (let i = 0; i < L; i += C) for (let c = 0; c < C; c++) y[i + c] = x[i + c] * scale[c] + shift[c];
      return;
    case 'relu':
      for (let i = 0; i < L; i += C) {
        for (let c = 0; c < C; c++) {
          const z = x[i + c] * scale[c] + shift[c];
          y[i + c] = z * +(z > 0);
        }
      }
      return;
    case 'relu6':
      for (let i = 0; i < L; i += C) {
        for (let c = 0; c < C; c++) {
          const z = x[i + c] * scale[c] + shift[c];
          const r = z * +(z > 0);
          y[i + c] = r - (r - 6) * +(r > 6);
        }
      }
      return;
    case 'hswish':
      for (let i = 0; i < L; i += C) {
        for (let c = 0; c < C; c++) {
          const z = x[i + c] * scale[c] + shift[c];
          const r = Math.min(Math.max(z + 3, 0), 6);
          y[i + c] = (z * r) / 6;
        }
      }
      return;
  }
}

/** d act(z)/dz as TF.js's gradients have it (relu: step(z); relu6: 0 < z ≤ 6; hswish via relu6(z+3)). */
function actGrad(act: FusedActivation, z: number): number {
  switch (act) {
    case 'none':
      return 1;
    case 'relu':
      return +(z > 0);
    case 'relu6':
      return +(z > 0) * +(z <= 6);
    case 'hswish':
      return z <= -3 ? 0 : z > 3 ? 1 : (2 * z + 3) / 6;
  }
}

/**
 * Backward of batchNormActForward, recomputing z from the saved statistics:
 * dz = dy·act'(z); dβ = Σdz; dγ = Σdz·x̂; dx = γ·invStd·(dz − dβ/M − x̂·dγ/M).
 */
export function batchNormActBackward(
  dy: Float32Array,
  x: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  mean: Float32Array,
  invStd: Float32Array,
  C: number,
  act: FusedActivation,
  dx: Float32Array,
  dgamma: Float32Array,
  dbeta: Float32Array,
): void {
  const L = x.length;
  const M = L / C;
  const { scale, shift } = affineCoefficients(gamma, beta, mean, invStd);
  const mu = new Float64Array(C);
  for (let c = 0; c < C; c++) mu[c] = mean[c];
  const db = new Float64Array(C);
  const dg = new Float64Array(C);
  if (act === 'none') {
    for (let i = 0; i < L; i += C) {
      for (let c = 0; c < C; c++) {
        const d = dy[i + c];
        db[c] += d;
        dg[c] += d * (x[i + c] - mu[c]);
      }
    }
  } else if (act === 'relu') {
    for (let i = 0; i < L; i += C) {
      for (let c = 0; c < C; c++) {
        const xv = x[i + c];
        const d = dy[i + c] * +(xv * scale[c] + shift[c] > 0);
        db[c] += d;
        dg[c] += d * (xv - mu[c]);
      }
    }
  } else {
    for (let i = 0; i < L; i += C) {
      for (let c = 0; c < C; c++) {
        const xv = x[i + c];
        const d = dy[i + c] * actGrad(act, xv * scale[c] + shift[c]);
        db[c] += d;
        dg[c] += d * (xv - mu[c]);
      }
    }
  }
  // dx = a·dz + k2·x + k3 with a = γ·invStd (x̂ = (x − μ)·invStd folded into k2, k3).
  const a = new Float64Array(C);
  const k2 = new Float64Array(C);
  const k3 = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const dgc = dg[c] * invStd[c];
    dgamma[c] = dgc;
    dbeta[c] = db[c];
    a[c] = gamma[c] * invStd[c];
    k2[c] = (-a[c] * invStd[c] * dgc) / M;
    k3[c] = (-a[c] * db[c]) / M - k2[c] * mu[c];
  }
  if (act === 'none') {
    for (let i = 0; i < L; i += C) for (let c = 0; c < C; c++) dx[i + c] = a[c] * dy[i + c] + k2[c] * x[i + c] + k3[c];
  } else if (act === 'relu') {
    for (let i = 0; i < L; i += C) {
      for (let c = 0; c < C; c++) {
        const xv = x[i + c];
        dx[i + c] = a[c] * dy[i + c] * +(xv * scale[c] + shift[c] > 0) + k2[c] * xv + k3[c];
      }
    }
  } else {
    for (let i = 0; i < L; i += C) {
      for (let c = 0; c < C; c++) {
        const xv = x[i + c];
        dx[i + c] = a[c] * dy[i + c] * actGrad(act, xv * scale[c] + shift[c]) + k2[c] * xv + k3[c];
      }
    }
  }
}
