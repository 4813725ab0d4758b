#ifndef FBNET_GEMM_H
#define FBNET_GEMM_H
#include "runtime.h"

/* Register tile of the micro-kernel: MR rows of C by NR columns (two v128 per row).
 * x64 V8 gives wasm 15 usable xmm registers: 4x8 = 8 accumulators + 2 B + splat + product; measured: 4x8 ~45 GFLOP/s/core, 5x8 and 6x8 spill (~25). */
#define GEMM_MR 4
#define GEMM_NR 8
#define GEMM_KC 512

/* Panel-packed B: panels of NR columns, each K x NR, k-major, zero padded to NR. */
static inline int gemm_packed_floats(int K, int N) { return K * ((N + GEMM_NR - 1) / GEMM_NR) * GEMM_NR; }

/* Pack columns [n0, n0+nn) of op(B) (K x N; transB: B is N x K with row stride ldb) into
 * panels starting at dst (panel p of the range at dst + p*K*NR). n0 must be a multiple of NR. */
void gemm_pack_b(int transB, int K, int n0, int nn, const float *B, int ldb, float *dst);

/* Serial C[M x N] (+)= A[M x K] * Bp. A element (i, k) is at A[i*rs + k*ks] (row-major: rs=lda,
 * ks=1; transposed: rs=1, ks=lda). Bp is packed for all N columns with K rows. beta: 0 or 1. */
void gemm_tile(int M, int N, int K, const float *A, int rs, int ks, const float *Bp, float *C,
               int ldc, int beta);

/* Parallel SGEMM, row-major: C = op(A) op(B) (+ C if beta). */
void sgemm(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B,
           int ldb, float *C, int ldc, int beta);
/* Same, then C = act(C + bias) (bias[N] may be NULL) while each row block is still in cache. */
void sgemm_ep(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B,
              int ldb, float *C, int ldc, int beta, const float *bias, int act);
#endif
