/*
 * SIMD128 SGEMM: packed-B panels, A read in place (any row/k stride, so A^T needs no copy),
 * a GEMM_MR x 8 register-blocked micro-kernel (splat A, two v128 of B per k), K blocked by
 * GEMM_KC so a B panel stays in L1 while the A block streams from L2.
 * Parallel over row blocks of C; when C is small and K is long (filter gradients of 1x1 convs:
 * K = N*H*W) over K chunks with per-thread partial C, reduced at the end.
 */
#include "gemm.h"
#include "act.h"

void gemm_pack_b(int transB, int K, int n0, int nn, const float *B, int ldb, float *dst) {
  const int NR = GEMM_NR;
  for (int j = 0; j < nn; j += NR) {
    int w = MIN(NR, nn - j);
    float *p = dst + (size_t)(j / NR) * K * NR;
    if (!transB) {
      const float *b = B + n0 + j;
      if (w == NR) {
        for (int k = 0; k < K; k++, b += ldb, p += NR) {
          wasm_v128_store(p, wasm_v128_load(b));
          wasm_v128_store(p + 4, wasm_v128_load(b + 4));
        }
      } else {
        for (int k = 0; k < K; k++, b += ldb, p += NR) {
          int c = 0;
          for (; c < w; c++) p[c] = b[c];
          for (; c < NR; c++) p[c] = 0.0f;
        }
      }
    } else {
      /* op(B)(k, n) = B[n*ldb + k]: gather NR rows of B into k-major order */
      const float *b = B + (size_t)(n0 + j) * ldb;
      for (int k = 0; k < K; k++, p += NR) {
        int c = 0;
        for (; c < w; c++) p[c] = b[(size_t)c * ldb + k];
        for (; c < NR; c++) p[c] = 0.0f;
      }
    }
  }
}

/* One MR x NR tile. Rows past mr re-read the last valid row of A (no out-of-bounds reads)
 * and are not stored. */
INLINE void ukr(int K, const float *a, int rs, int ks, const float *bp, float *c, int ldc, int mr,
                int nr, int beta) {
  enum { MR = GEMM_MR };
  v128_t c0[MR], c1[MR];
  const float *ap[MR];
#pragma clang loop unroll(full)
  for (int r = 0; r < MR; r++) {
    c0[r] = wasm_f32x4_splat(0.0f);
    c1[r] = wasm_f32x4_splat(0.0f);
    ap[r] = a + (size_t)MIN(r, mr - 1) * rs;
  }
  if (ks == 1) {
    for (int k = 0; k < K; k++) {
      v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
      bp += 8;
#pragma clang loop unroll(full)
      for (int r = 0; r < MR; r++) {
        v128_t va = wasm_v128_load32_splat(ap[r] + k);
        c0[r] = wasm_f32x4_add(c0[r], wasm_f32x4_mul(va, b0));
        c1[r] = wasm_f32x4_add(c1[r], wasm_f32x4_mul(va, b1));
      }
    }
  } else {
    /* transposed A: row r of the tile is column r of the k-th stored row */
    for (int k = 0; k < K; k++) {
      v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
      bp += 8;
      const float *ak = a + (size_t)k * ks;
#pragma clang loop unroll(full)
      for (int r = 0; r < MR; r++) {
        v128_t va = wasm_v128_load32_splat(ak + MIN(r, mr - 1));
        c0[r] = wasm_f32x4_add(c0[r], wasm_f32x4_mul(va, b0));
        c1[r] = wasm_f32x4_add(c1[r], wasm_f32x4_mul(va, b1));
      }
    }
  }
  if (nr == 8) {
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) {
      if (r < mr) {
        float *cr = c + (size_t)r * ldc;
        if (beta) {
          c0[r] = wasm_f32x4_add(c0[r], wasm_v128_load(cr));
          c1[r] = wasm_f32x4_add(c1[r], wasm_v128_load(cr + 4));
        }
        wasm_v128_store(cr, c0[r]);
        wasm_v128_store(cr + 4, c1[r]);
      }
    }
  } else {
    float tmp[8] __attribute__((aligned(16)));
    for (int r = 0; r < MR && r < mr; r++) {
      float *cr = c + (size_t)r * ldc;
      wasm_v128_store(tmp, c0[r]);
      wasm_v128_store(tmp + 4, c1[r]);
      if (beta) for (int j = 0; j < nr; j++) cr[j] += tmp[j];
      else for (int j = 0; j < nr; j++) cr[j] = tmp[j];
    }
  }
}

void gemm_tile(int M, int N, int K, const float *A, int rs, int ks, const float *Bp, float *C,
               int ldc, int beta) {
  const int MR = GEMM_MR, NR = GEMM_NR;
  if (K == 0) {
    if (!beta) for (int i = 0; i < M; i++) zero_f32(C + (size_t)i * ldc, N);
    return;
  }
  for (int k0 = 0; k0 < K; k0 += GEMM_KC) {
    int kc = MIN(GEMM_KC, K - k0);
    int b = beta || k0 > 0;
    const float *Ak = A + (size_t)k0 * ks;
    for (int j = 0; j < N; j += NR) {
      const float *bp = Bp + (size_t)(j / NR) * K * NR + (size_t)k0 * NR;
      int nr = MIN(NR, N - j);
      for (int i = 0; i < M; i += MR) {
        ukr(kc, Ak + (size_t)i * rs, rs, ks, bp, C + (size_t)i * ldc + j, ldc, MIN(MR, M - i), nr, b);
      }
    }
  }
}

/* ---- parallel driver ---- */

typedef struct {
  int transB, M, N, K, rs, ks, lda, ldb, ldc, beta, mb, kb, nthr;
  const float *A, *B;
  float *C, *Bp;
  const float *bias;
  int act;
} gemm_job;

static void task_pack(void *p, int t, int tid) {
  gemm_job *g = (gemm_job *)p;
  (void)tid;
  int n0 = t * GEMM_NR * 8, nn = MIN(GEMM_NR * 8, g->N - n0);
  gemm_pack_b(g->transB, g->K, n0, nn, g->B, g->ldb, g->Bp + (size_t)n0 * g->K);
}

static void task_rows(void *p, int t, int tid) {
  gemm_job *g = (gemm_job *)p;
  (void)tid;
  int i0 = t * g->mb, m = MIN(g->mb, g->M - i0);
  gemm_tile(m, g->N, g->K, g->A + (size_t)i0 * g->rs, g->rs, g->ks, g->Bp, g->C + (size_t)i0 * g->ldc,
            g->ldc, g->beta);
  bias_act_rows(g->C + (size_t)i0 * g->ldc, m, g->N, g->ldc, g->bias, g->act);
}

/* K-split: each task packs its K chunk of B into thread scratch and accumulates into the
 * thread's private C (after the pack buffer in the same scratch). */
static void task_ksplit(void *p, int t, int tid) {
  gemm_job *g = (gemm_job *)p;
  int k0 = t * g->kb, kc = MIN(g->kb, g->K - k0);
  float *s = scratch_for(tid);
  float *bp = s, *cpart = s + gemm_packed_floats(g->kb, g->N);
  const float *Bk = g->transB ? g->B + k0 : g->B + (size_t)k0 * g->ldb;
  gemm_pack_b(g->transB, kc, 0, g->N, Bk, g->ldb, bp);
  gemm_tile(g->M, g->N, kc, g->A + (size_t)k0 * g->ks, g->rs, g->ks, bp, cpart, g->N, 1);
}

void sgemm(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B,
           int ldb, float *C, int ldc, int beta) {
  sgemm_ep(transA, transB, M, N, K, A, lda, B, ldb, C, ldc, beta, NULL, ACT_NONE);
}

void sgemm_ep(int transA, int transB, int M, int N, int K, const float *A, int lda, const float *B,
              int ldb, float *C, int ldc, int beta, const float *bias, int act) {
  if (M <= 0 || N <= 0) return;
  int T = pool_threads();
  gemm_job g = {transB, M, N, K, transA ? 1 : lda, transA ? lda : 1, lda, ldb, ldc, beta, 0, 0, T,
                A, B, C, NULL, bias, act};
  /* K-split for reduction-shaped products (filter gradients: K = N*H*W >> M, N): every thread
   * streams its own K range of A and B exactly once, instead of every row block re-reading all
   * of a packed K x N B; also used when C has too few row blocks for the threads. */
  int row_blocks = (M + GEMM_MR * 4 - 1) / (GEMM_MR * 4);
  if (K >= 1024 && ((size_t)K >= 8 * (size_t)MAX(M, N) || (T > 1 && row_blocks < 2 * T))) {
    g.kb = 256;
    int nk = (K + g.kb - 1) / g.kb;
    size_t per = (size_t)gemm_packed_floats(g.kb, N) + (size_t)M * N;
    scratch_reserve(per * 4);
    for (int t = 0; t < T; t++) zero_f32(scratch_for(t) + gemm_packed_floats(g.kb, N), M * N);
    parallel_for(task_ksplit, &g, nk);
    for (int i = 0; i < M; i++) {
      float *c = C + (size_t)i * ldc;
      if (!beta) zero_f32(c, N);
      for (int t = 0; t < T; t++) {
        const float *s = scratch_for(t) + gemm_packed_floats(g.kb, N) + (size_t)i * N;
        for (int j = 0; j < N; j++) c[j] += s[j];
      }
    }
    bias_act_rows(C, M, N, ldc, bias, act);
    return;
  }
  g.Bp = (float *)fb_malloc((size_t)gemm_packed_floats(K, N) * 4);
  if (!g.Bp) __builtin_trap();
  int npack = (N + GEMM_NR * 8 - 1) / (GEMM_NR * 8);
  if ((size_t)K * N >= 65536) parallel_for(task_pack, &g, npack);
  else for (int t = 0; t < npack; t++) task_pack(&g, t, 0);
  /* row blocks: multiples of MR, at least ~4 tasks per thread for balance, at most 256 rows */
  int mb = (M + 4 * T - 1) / (4 * T);
  mb = ((mb + GEMM_MR - 1) / GEMM_MR) * GEMM_MR;
  if (mb > 40 * GEMM_MR) mb = 40 * GEMM_MR;
  /* at least MIN_TASK_WORK multiply-adds per task */
  int min_mb = (int)(MIN_TASK_WORK / ((double)N * (K > 0 ? K : 1))) + 1;
  if (mb < min_mb) mb = ((min_mb + GEMM_MR - 1) / GEMM_MR) * GEMM_MR;
  if (mb < GEMM_MR * 2) mb = GEMM_MR * 2;
  g.mb = mb;
  parallel_for(task_rows, &g, (M + mb - 1) / mb);
  fb_free(g.Bp);
}

EXPORT(fb_sgemm) void fb_sgemm_export(int transA, int transB, int M, int N, int K, const float *A,
                                      int lda, const float *B, int ldb, float *C, int ldc, int beta,
                                      const float *bias, int act) {
  sgemm_ep(transA, transB, M, N, K, A, lda, B, ldb, C, ldc, beta, bias, act);
}
