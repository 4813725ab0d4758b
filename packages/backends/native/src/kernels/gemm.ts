/** SGEMM (csrc/gemm.c). */
import { checkLength, runKernel } from '../call.ts';
import { HeapArray, type F32Input, type F32Output } from '../heap.ts';
import { activationCode, type FusedEpilogue } from '../params.ts';
import type { NativeRuntime } from '../runtime.ts';

/**
 * C[m x n] = act(op(A) op(B) (+ C) + bias), row-major. op(A) is m x k (A stored k x m when
 * transA); bias (optional, from FusedEpilogue) is per column, [n].
 */
export interface GemmShape extends FusedEpilogue {
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
  const act = activationCode(p.act);
  const ins = [{ name: 'a', data: a, length: m * k }, { name: 'b', data: b, length: k * n }];
  if (p.bias) ins.push({ name: 'bias', data: p.bias, length: n });
  if (beta && out && !(out instanceof HeapArray)) {
    // accumulate into an ordinary array: stage C as an input too
    checkLength('out', out.length, m * n);
    const c = rt.heap.fromArray(out);
    try {
      runKernel(rt.heap, ins, [],
        ([pa, pb, pbias]) => rt.exports.fb_sgemm(p.transA ? 1 : 0, p.transB ? 1 : 0, m, n, k, pa, lda, pb, ldb, c.ptr, n, 1, pbias ?? 0, act));
      out.set(c.array);
      return out;
    } finally {
      c.dispose();
    }
  }
  return runKernel(rt.heap, ins, [{ name: 'out', length: m * n, out }],
    ([pa, pb, pbias], [pc]) => rt.exports.fb_sgemm(p.transA ? 1 : 0, p.transB ? 1 : 0, m, n, k, pa, lda, pb, ldb, pc, n, beta, pbias ?? 0, act))[0];
}
