/*
 * Small fused helpers around the convs: residual add, standalone activation fwd/bwd, bias
 * add/grad, global average pool fwd/bwd, channel shuffle, softmax-cross-entropy fwd+bwd.
 * Large elementwise ops are split into 256 KiB chunks across the pool; the rest are tiny.
 */
#include "act.h"

#define CHUNK 65536 /* floats per task: memory-bound, ~20 us */

typedef struct {
  const float *a, *b;
  float *y;
  int n, act;
} ew_job;

static int chunks(int n) { return (n + CHUNK - 1) / CHUNK; }

static void task_add(void *p, int t, int tid) {
  ew_job *j = (ew_job *)p;
  int i = t * CHUNK, e = MIN(j->n, i + CHUNK);
  for (; i + 4 <= e; i += 4)
    wasm_v128_store(j->y + i, wasm_f32x4_add(wasm_v128_load(j->a + i), wasm_v128_load(j->b + i)));
  for (; i < e; i++) j->y[i] = j->a[i] + j->b[i];
}

EXPORT(fb_add) void fb_add(const float *a, const float *b, float *y, int n) {
  ew_job j = {a, b, y, n, 0};
  parallel_for(task_add, &j, chunks(n));
}

static void task_act(void *p, int t, int tid) {
  ew_job *j = (ew_job *)p;
  int i = t * CHUNK, e = MIN(j->n, i + CHUNK);
  for (; i + 4 <= e; i += 4) wasm_v128_store(j->y + i, act_v(wasm_v128_load(j->a + i), j->act));
  for (; i < e; i++) j->y[i] = act_s(j->a[i], j->act);
}

EXPORT(fb_act_fwd) void fb_act_fwd(const float *x, float *y, int n, int act) {
  ew_job j = {x, NULL, y, n, act};
  parallel_for(task_act, &j, chunks(n));
}

/* a = dy, b = x (pre-activation) */
static void task_act_bwd(void *p, int t, int tid) {
  ew_job *j = (ew_job *)p;
  int i = t * CHUNK, e = MIN(j->n, i + CHUNK);
  for (; i + 4 <= e; i += 4)
    wasm_v128_store(j->y + i, act_grad_v(wasm_v128_load(j->a + i), wasm_v128_load(j->b + i), j->act));
  for (; i < e; i++) j->y[i] = act_grad_s(j->a[i], j->b[i], j->act);
}

EXPORT(fb_act_bwd) void fb_act_bwd(const float *dy, const float *x, float *dx, int n, int act) {
  ew_job j = {dy, x, dx, n, act};
  parallel_for(task_act_bwd, &j, chunks(n));
}

void bias_act_rows(float *c, int rows, int n, int ldc, const float *bias, int act) {
  if (!bias && act == ACT_NONE) return;
  for (int r = 0; r < rows; r++, c += ldc) {
    int j = 0;
    if (bias) {
      for (; j + 4 <= n; j += 4)
        wasm_v128_store(c + j, act_v(wasm_f32x4_add(wasm_v128_load(c + j), wasm_v128_load(bias + j)), act));
      for (; j < n; j++) c[j] = act_s(c[j] + bias[j], act);
    } else {
      for (; j + 4 <= n; j += 4) wasm_v128_store(c + j, act_v(wasm_v128_load(c + j), act));
      for (; j < n; j++) c[j] = act_s(c[j], act);
    }
  }
}

EXPORT(fb_bias_add) void fb_bias_add(const float *x, const float *b, float *y, int m, int c) {
  for (int r = 0; r < m; r++) {
    const float *xr = x + (size_t)r * c;
    float *yr = y + (size_t)r * c;
    int i = 0;
    for (; i + 4 <= c; i += 4) wasm_v128_store(yr + i, wasm_f32x4_add(wasm_v128_load(xr + i), wasm_v128_load(b + i)));
    for (; i < c; i++) yr[i] = xr[i] + b[i];
  }
}

EXPORT(fb_bias_grad) void fb_bias_grad(const float *dy, float *db, int m, int c) {
  zero_f32(db, c);
  for (int r = 0; r < m; r++) {
    const float *d = dy + (size_t)r * c;
    int i = 0;
    for (; i + 4 <= c; i += 4) wasm_v128_store(db + i, wasm_f32x4_add(wasm_v128_load(db + i), wasm_v128_load(d + i)));
    for (; i < c; i++) db[i] += d[i];
  }
}

/* ---- global average pool: [n, hw, c] <-> [n, c] ---- */
typedef struct {
  const float *x;
  float *y;
  int hw, c;
} gap_job;

static void task_gap_fwd(void *p, int img, int tid) {
  gap_job *j = (gap_job *)p;
  const float *x = j->x + (size_t)img * j->hw * j->c;
  float *y = j->y + (size_t)img * j->c;
  zero_f32(y, j->c);
  for (int s = 0; s < j->hw; s++, x += j->c) {
    int i = 0;
    for (; i + 4 <= j->c; i += 4) wasm_v128_store(y + i, wasm_f32x4_add(wasm_v128_load(y + i), wasm_v128_load(x + i)));
    for (; i < j->c; i++) y[i] += x[i];
  }
  float inv = 1.0f / (float)j->hw;
  for (int i = 0; i < j->c; i++) y[i] *= inv;
}

static void task_gap_bwd(void *p, int img, int tid) {
  gap_job *j = (gap_job *)p;
  const float *dy = j->x + (size_t)img * j->c;
  float *dx = j->y + (size_t)img * j->hw * j->c;
  v128_t inv = wasm_f32x4_splat(1.0f / (float)j->hw);
  for (int s = 0; s < j->hw; s++, dx += j->c) {
    int i = 0;
    for (; i + 4 <= j->c; i += 4) wasm_v128_store(dx + i, wasm_f32x4_mul(wasm_v128_load(dy + i), inv));
    for (; i < j->c; i++) dx[i] = dy[i] * (1.0f / (float)j->hw);
  }
}

EXPORT(fb_gap_fwd) void fb_gap_fwd(const float *x, float *y, int n, int hw, int c) {
  gap_job j = {x, y, hw, c};
  parallel_for_grain(task_gap_fwd, &j, n, grain_for((double)hw * c));
}

EXPORT(fb_gap_bwd) void fb_gap_bwd(const float *dy, float *dx, int n, int hw, int c) {
  gap_job j = {dy, dx, hw, c};
  parallel_for_grain(task_gap_bwd, &j, n, grain_for((double)hw * c));
}

/* ---- channel shuffle (mobile-vision ChannelShuffle): view c as [groups, c/groups], transpose.
 * y[m, k*groups + g] = x[m, g*(c/groups) + k]; its inverse is a shuffle with c/groups groups. */
EXPORT(fb_channel_shuffle) void fb_channel_shuffle(const float *x, float *y, int m, int c, int groups) {
  int cpg = c / groups;
  for (int r = 0; r < m; r++) {
    const float *xr = x + (size_t)r * c;
    float *yr = y + (size_t)r * c;
    for (int g = 0; g < groups; g++)
      for (int k = 0; k < cpg; k++) yr[k * groups + g] = xr[g * cpg + k];
  }
}

/* ---- softmax cross-entropy with label smoothing (PyTorch F.cross_entropy semantics):
 * q = (1 - eps) * onehot(label) + eps / K; loss = mean_n sum_k -q_k log softmax(z)_k;
 * dlogits = (softmax(z) - q) / N. Returns the loss; dlogits may be NULL. */
EXPORT(fb_softmax_xent)
float fb_softmax_xent(const float *logits, const int *labels, float *dlogits, int n, int k, float smoothing) {
  double total = 0;
  float off = smoothing / (float)k, on = 1.0f - smoothing + off;
  for (int r = 0; r < n; r++) {
    const float *z = logits + (size_t)r * k;
    float mx = z[0];
    for (int i = 1; i < k; i++) mx = z[i] > mx ? z[i] : mx;
    float se = 0.f, sz = 0.f;
    for (int i = 0; i < k; i++) { se += fb_expf(z[i] - mx); sz += z[i] - mx; }
    float lse = fb_logf(se);
    int lab = labels[r];
    /* -sum_k q_k (z_k - mx - lse) */
    float zl = (lab >= 0 && lab < k) ? z[lab] - mx : 0.f;
    total += (double)(-(1.0f - smoothing) * (zl - lse) - off * (sz - (float)k * lse));
    if (dlogits) {
      float *d = dlogits + (size_t)r * k;
      float inv = 1.0f / se, invn = 1.0f / (float)n;
      for (int i = 0; i < k; i++) {
        float pi = fb_expf(z[i] - mx) * inv;
        d[i] = (pi - (i == lab ? on : off)) * invn;
      }
    }
  }
  return (float)(total / n);
}
