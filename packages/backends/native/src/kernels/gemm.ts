/** SGEMM (csrc/gemm.c). */
import { checkLength, runKernel } from '../call.ts';
import { HeapArray, type F32Input, type F32Output } from '../heap.ts';
import type { NativeRuntime } from '../runtime.ts';

/** C[m x n] = op(A) op(B) (+ C), row-major. op(A) is m x k (A stored k x m when transA). */
export interface GemmShape {
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  /** Add into `out` instead of overwriting it (beta = 1); requires `out`. */
  accumulate?: boolean;
}

export function gemm(rt: NativeRuntime, a: F32Input, b: F32Input, p: GemmShape, out?: F32Output): F32Output {
  rt.assertLive();
  const { m, n, k } = p;
  for (const [key, v] of Object.entries({ m, n, k }))
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`native-kernels: gemm ${key} must be a positive integer, got ${v}`);
  const beta = p.accumulate ? 1 : 0;
  if (beta && !out) throw new RangeError('native-kernels: gemm accumulate needs `out` (the C to add into)');
  const lda = p.transA ? m : k, ldb = p.transB ? k : n;
  if (beta && out && !(out instanceof HeapArray)) {
    // accumulate into an ordinary array: stage C as an input too
    checkLength('out', out.length, m * n);
    const c = rt.heap.fromArray(out);
    try {
      runKernel(rt.heap, [{ name: 'a', data: a, length: m * k }, { name: 'b', data: b, length: k * n }], [],
        ([pa, pb]) => rt.exports.fb_sgemm(p.transA ? 1 : 0, p.transB ? 1 : 0, m, n, k, pa, lda, pb, ldb, c.ptr, n, 1));
      out.set(c.array);
      return out;
    } finally {
      c.dispose();
    }
  }
  return runKernel(rt.heap, [{ name: 'a', data: a, length: m * k }, { name: 'b', data: b, length: k * n }],
    [{ name: 'out', length: m * n, out }],
    ([pa, pb], [pc]) => rt.exports.fb_sgemm(p.transA ? 1 : 0, p.transB ? 1 : 0, m, n, k, pa, lda, pb, ldb, pc, n, beta))[0];
}
