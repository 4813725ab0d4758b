/*
 * Per-channel scaling y[r, c] = x[r, c] * m[c] over NHWC rows (FBNetV2's channel masks) and its
 * backward dx = dy * m, dm[c] = sum_r dy[r, c] * x[r, c]. Memory-bound: rows split into tasks of
 * ~64K floats. dm is summed per task in float64 and the tasks in task order on the calling
 * thread, so it does not depend on the thread count.
 */
#include "runtime.h"

typedef struct {
  const float *x, *m, *dy;
  float *y, *dx;
  double *partial; /* [tasks][c] */
  int rows, c, rows_per_task;
} chs_job;

static int rows_per_task(int c) { return MAX(1, 65536 / MAX(1, c)); }

static void task_chs_fwd(void *p, int t, int tid) {
  chs_job *j = (chs_job *)p;
  int r0 = t * j->rows_per_task, r1 = MIN(j->rows, r0 + j->rows_per_task), c = j->c;
  for (int r = r0; r < r1; r++) {
    const float *x = j->x + (size_t)r * c;
    float *y = j->y + (size_t)r * c;
    int i = 0;
    for (; i + 4 <= c; i += 4) wasm_v128_store(y + i, wasm_f32x4_mul(wasm_v128_load(x + i), wasm_v128_load(j->m + i)));
    for (; i < c; i++) y[i] = x[i] * j->m[i];
  }
}

EXPORT(fb_chscale_fwd) void fb_chscale_fwd(const float *x, const float *m, float *y, int rows, int c) {
  if (rows <= 0 || c <= 0) return;
  chs_job j = {x, m, NULL, y, NULL, NULL, rows, c, rows_per_task(c)};
  parallel_for(task_chs_fwd, &j, (rows + j.rows_per_task - 1) / j.rows_per_task);
}

static void task_chs_bwd(void *p, int t, int tid) {
  chs_job *j = (chs_job *)p;
  int r0 = t * j->rows_per_task, r1 = MIN(j->rows, r0 + j->rows_per_task), c = j->c;
  double *acc = j->partial + (size_t)t * c;
  for (int i = 0; i < c; i++) acc[i] = 0.0;
  /* float32 sums over blocks of up to 64 rows, added to the float64 task sums */
  for (int b = r0; b < r1; b += 64) {
    int be = MIN(r1, b + 64);
    int i = 0;
    for (; i + 4 <= c; i += 4) {
      v128_t s = wasm_f32x4_splat(0.0f), mv = wasm_v128_load(j->m + i);
      for (int r = b; r < be; r++) {
        v128_t g = wasm_v128_load(j->dy + (size_t)r * c + i);
        if (j->dx) wasm_v128_store(j->dx + (size_t)r * c + i, wasm_f32x4_mul(g, mv));
        s = wasm_f32x4_add(s, wasm_f32x4_mul(g, wasm_v128_load(j->x + (size_t)r * c + i)));
      }
      acc[i] += wasm_f32x4_extract_lane(s, 0);
      acc[i + 1] += wasm_f32x4_extract_lane(s, 1);
      acc[i + 2] += wasm_f32x4_extract_lane(s, 2);
      acc[i + 3] += wasm_f32x4_extract_lane(s, 3);
    }
    for (; i < c; i++) {
      float s = 0.0f;
      for (int r = b; r < be; r++) {
        float g = j->dy[(size_t)r * c + i];
        if (j->dx) j->dx[(size_t)r * c + i] = g * j->m[i];
        s += g * j->x[(size_t)r * c + i];
      }
      acc[i] += s;
    }
  }
}

/* dx (may be NULL) = dy * m; dm[c] = sum over rows of dy * x. */
EXPORT(fb_chscale_bwd)
void fb_chscale_bwd(const float *dy, const float *x, const float *m, float *dx, float *dm, int rows, int c) {
  if (c <= 0) return;
  int rpt = rows_per_task(c);
  int nt = rows > 0 ? (rows + rpt - 1) / rpt : 0;
  if (nt == 0) {
    for (int i = 0; i < c; i++) dm[i] = 0.0f;
    return;
  }
  double *partial = (double *)fb_malloc((size_t)nt * (size_t)c * 8);
  if (!partial) __builtin_trap();
  chs_job j = {x, m, dy, NULL, dx, partial, rows, c, rpt};
  parallel_for(task_chs_bwd, &j, nt);
  for (int i = 0; i < c; i++) {
    double s = 0.0;
    for (int t = 0; t < nt; t++) s += partial[(size_t)t * c + i];
    dm[i] = (float)s;
  }
  fb_free(partial);
}
