/*
 * FBNetV1's mixed operation x_{l+1} = sum_i m_i b_i(x_l) (eq. 5) over k candidate outputs of
 * the same length, and its backward: dx_i = m_i dy, dm_i = <dy, x_i>. Memory-bound: split into
 * 256 KiB chunks across the pool. The dot products are summed per chunk, then over chunks in
 * chunk order on the calling thread, so the result does not depend on the thread count.
 */
#include "runtime.h"

#define MIX_CHUNK 65536

typedef struct {
  const float *const *xs;
  const float *w;
  float *const *dxs;
  const float *dy;
  float *y;
  double *partial; /* [chunks][k] */
  int k, n;
} mix_job;

static int mix_chunks(int n) { return (n + MIX_CHUNK - 1) / MIX_CHUNK; }

static void task_mix_fwd(void *p, int t, int tid) {
  mix_job *j = (mix_job *)p;
  int b = t * MIX_CHUNK, e = MIN(j->n, b + MIX_CHUNK);
  float *y = j->y;
  v128_t w0 = wasm_f32x4_splat(j->w[0]);
  const float *x0 = j->xs[0];
  int i = b;
  for (; i + 4 <= e; i += 4) wasm_v128_store(y + i, wasm_f32x4_mul(w0, wasm_v128_load(x0 + i)));
  for (; i < e; i++) y[i] = j->w[0] * x0[i];
  for (int c = 1; c < j->k; c++) {
    const float *x = j->xs[c];
    float wc = j->w[c];
    v128_t wv = wasm_f32x4_splat(wc);
    i = b;
    for (; i + 4 <= e; i += 4)
      wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_f32x4_mul(wv, wasm_v128_load(x + i))));
    for (; i < e; i++) y[i] += wc * x[i];
  }
}

EXPORT(fb_mix_fwd) void fb_mix_fwd(const float *const *xs, const float *w, int k, float *y, int n) {
  if (n <= 0) return;
  mix_job j = {xs, w, NULL, NULL, y, NULL, k, n};
  parallel_for(task_mix_fwd, &j, mix_chunks(n));
}

static void task_mix_bwd(void *p, int t, int tid) {
  mix_job *j = (mix_job *)p;
  int b = t * MIX_CHUNK, e = MIN(j->n, b + MIX_CHUNK);
  const float *dy = j->dy;
  for (int c = 0; c < j->k; c++) {
    const float *x = j->xs[c];
    float *dx = j->dxs[c];
    float wc = j->w[c];
    v128_t wv = wasm_f32x4_splat(wc);
    /* float32 lanes over blocks of 256 elements, blocks summed in float64 */
    double s = 0.0;
    int i = b;
    while (i + 4 <= e) {
      int be = MIN(e, i + 256);
      v128_t acc = wasm_f32x4_splat(0.0f);
      if (dx) {
        for (; i + 4 <= be; i += 4) {
          v128_t g = wasm_v128_load(dy + i);
          wasm_v128_store(dx + i, wasm_f32x4_mul(wv, g));
          acc = wasm_f32x4_add(acc, wasm_f32x4_mul(g, wasm_v128_load(x + i)));
        }
      } else {
        for (; i + 4 <= be; i += 4) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(dy + i), wasm_v128_load(x + i)));
      }
      s += (double)wasm_f32x4_extract_lane(acc, 0) + (double)wasm_f32x4_extract_lane(acc, 1) +
           (double)wasm_f32x4_extract_lane(acc, 2) + (double)wasm_f32x4_extract_lane(acc, 3);
    }
    for (; i < e; i++) {
      if (dx) dx[i] = wc * dy[i];
      s += (double)dy[i] * (double)x[i];
    }
    j->partial[t * j->k + c] = s;
  }
}

/* dxs[i] (any may be NULL: no input gradient wanted) = w[i] * dy; dw[i] = sum dy * x_i. */
EXPORT(fb_mix_bwd)
void fb_mix_bwd(const float *dy, const float *const *xs, const float *w, int k, float *const *dxs, float *dw, int n) {
  int nc = n > 0 ? mix_chunks(n) : 0;
  if (nc == 0) {
    for (int c = 0; c < k; c++) dw[c] = 0.0f;
    return;
  }
  double *partial = (double *)fb_malloc((size_t)nc * (size_t)k * 8);
  if (!partial) __builtin_trap();
  mix_job j = {xs, w, dxs, dy, NULL, partial, k, n};
  parallel_for(task_mix_bwd, &j, nc);
  for (int c = 0; c < k; c++) {
    double s = 0.0;
    for (int t = 0; t < nc; t++) s += partial[t * k + c];
    dw[c] = (float)s;
  }
  fb_free(partial);
}
