/**
 * Single-precision GEMM in plain JS: C (+)= op(A) · op(B), C row-major [M, N].
 * A and B are addressed through explicit strides, so transposed operands (dx = dy·Wᵀ,
 * dW = Xᵀ·dy) need no copies beyond the panel packing every blocked GEMM does. Packing into
 * contiguous mr×kc / kc×nr panels keeps the 4×4 micro-kernel's loads sequential; 16
 * accumulators plus 8 operands stay in XMM registers under V8's optimizing compiler.
 */
export interface MatrixView {
  data: Float32Array;
  offset: number;
  /** Element step between rows / columns of the logical (already op()-applied) matrix. */
  rowStride: number;
  colStride: number;
}

const MR = 4;
const NR = 4;
const KC = 256;
const MC = 128;

let packA = new Float32Array(MC * KC);
let packB = new Float32Array(KC * 256);

function ensure(n: number, which: 'a' | 'b'): Float32Array {
  if (which === 'a') {
    if (packA.length < n) packA = new Float32Array(n);
    return packA;
  }
  if (packB.length < n) packB = new Float32Array(n);
  return packB;
}

/** C[M,N] = (accumulate ? C : 0) + A[M,K] · B[K,N]. */
export function sgemm(M: number, N: number, K: number, A: MatrixView, B: MatrixView, C: Float32Array, cOff: number, ldc: number, accumulate: boolean): void {
  if (!accumulate) {
    for (let i = 0; i < M; i++) C.fill(0, cOff + i * ldc, cOff + i * ldc + N);
  }
  if (M === 0 || N === 0 || K === 0) return;
  const nPanels = Math.ceil(N / NR);
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = Math.min(KC, K - k0);
    const bp = ensure(nPanels * NR * kc, 'b');
    packPanelsB(B, k0, kc, N, bp);
    for (let i0 = 0; i0 < M; i0 += MC) {
      const mc = Math.min(MC, M - i0);
      const ap = ensure(Math.ceil(mc / MR) * MR * kc, 'a');
      packPanelsA(A, i0, mc, k0, kc, ap);
      for (let ip = 0; ip < mc; ip += MR) {
        const aBase = (ip / MR) * MR * kc;
        const mr = Math.min(MR, mc - ip);
        for (let jp = 0; jp < N; jp += NR) {
          const nr = Math.min(NR, N - jp);
          const bBase = (jp / NR) * NR * kc;
          micro4x4(kc, ap, aBase, bp, bBase, C, cOff + (i0 + ip) * ldc + jp, ldc, mr, nr);
        }
      }
    }
  }
}

function packPanelsA(A: MatrixView, i0: number, mc: number, k0: number, kc: number, out: Float32Array): void {
  const { data, offset, rowStride: rs, colStride: cs } = A;
  let o = 0;
  for (let ip = 0; ip < mc; ip += MR) {
    const mr = Math.min(MR, mc - ip);
    for (let r = 0; r < MR; r++) {
      if (r < mr) {
        let src = offset + (i0 + ip + r) * rs + k0 * cs;
        for (let k = 0; k < kc; k++, src += cs) out[o + k * MR + r] = data[src];
      } else {
        for (let k = 0; k < kc; k++) out[o + k * MR + r] = 0;
      }
    }
    o += MR * kc;
  }
}

function packPanelsB(B: MatrixView, k0: number, kc: number, N: number, out: Float32Array): void {
  const { data, offset, rowStride: rs, colStride: cs } = B;
  let o = 0;
  for (let jp = 0; jp < N; jp += NR) {
    const nr = Math.min(NR, N - jp);
    for (let k = 0; k < kc; k++) {
      const src = offset + (k0 + k) * rs + jp * cs;
      const d = o + k * NR;
      if (nr === NR && cs === 1) {
        out[d] = data[src];
        out[d + 1] = data[src + 1];
        out[d + 2] = data[src + 2];
        out[d + 3] = data[src + 3];
      } else {
        for (let c = 0; c < NR; c++) out[d + c] = c < nr ? data[src + c * cs] : 0;
      }
    }
    o += NR * kc;
  }
}

function micro4x4(kc: number, a: Float32Array, ai: number, b: Float32Array, bi: number, C: Float32Array, ci: number, ldc: number, mr: number, nr: number): void {
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0;
  let c20 = 0, c21 = 0, c22 = 0, c23 = 0;
  let c30 = 0, c31 = 0, c32 = 0, c33 = 0;
  for (let k = 0; k < kc; k++) {
    const a0 = a[ai], a1 = a[ai + 1], a2 = a[ai + 2], a3 = a[ai + 3];
    const b0 = b[bi], b1 = b[bi + 1], b2 = b[bi + 2], b3 = b[bi + 3];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
    c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
    ai += 4;
    bi += 4;
  }
  if (mr === 4 && nr === 4) {
    C[ci] += c00; C[ci + 1] += c01; C[ci + 2] += c02; C[ci + 3] += c03;
    ci += ldc;
    C[ci] += c10; C[ci + 1] += c11; C[ci + 2] += c12; C[ci + 3] += c13;
    ci += ldc;
    C[ci] += c20; C[ci + 1] += c21; C[ci + 2] += c22; C[ci + 3] += c23;
    ci += ldc;
    C[ci] += c30; C[ci + 1] += c31; C[ci + 2] += c32; C[ci + 3] += c33;
    return;
  }
  const rows = [
    [c00, c01, c02, c03],
    [c10, c11, c12, c13],
    [c20, c21, c22, c23],
    [c30, c31, c32, c33],
  ];
  for (let r = 0; r < mr; r++) for (let c = 0; c < nr; c++) C[ci + r * ldc + c] += rows[r][c];
}

export function rowMajor(data: Float32Array, offset: number, cols: number): MatrixView {
  return { data, offset, rowStride: cols, colStride: 1 };
}

/** The transpose of a row-major [rows, cols] matrix, as a view of shape [cols, rows]. */
export function transposed(data: Float32Array, offset: number, cols: number): MatrixView {
  return { data, offset, rowStride: 1, colStride: cols };
}
