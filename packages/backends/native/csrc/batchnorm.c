/*
 * Fused batch-norm + activation on [M = N*H*W, C] (NHWC flattened).
 *
 * Training forward (two passes): per-channel batch mean and biased variance over M (shifted
 * sums: x - x[0] per chunk in f32, chunks combined in f64, so no cancellation when
 * |mean| >> std), then y = act(x * gamma*invStd + (beta - mean*gamma*invStd)).
 * Saves mean and invStd = 1/sqrt(var + eps) for the backward.
 *
 * Backward (two passes, recomputing z = BN(x) from x, mean, invStd, so hswish' is exact):
 *   g = dy * act'(z); dbeta = sum g; dgamma = sum g * xhat;
 *   dx = gamma*invStd * (g - dbeta/M - xhat * dgamma/M)        (PyTorch training-mode BN)
 */
#include "act.h"

typedef struct {
  const float *x, *dy, *gamma, *beta, *mean, *invstd;
  float *y, *dx;
  int m, c, act, rows;
  float *scale, *shift, *shiftx; /* per-channel coefficients, [c] each */
  float *coef_cx;
} bn_job;

/* per-thread scratch: double s1[c], double s2[c], float t1[c], float t2[c] */
INLINE double *acc1(const bn_job *j, int tid) { return (double *)scratch_for(tid); }
INLINE double *acc2(const bn_job *j, int tid) { return (double *)scratch_for(tid) + j->c; }
INLINE float *tmp1(const bn_job *j, int tid) { return (float *)((double *)scratch_for(tid) + 2 * j->c); }
INLINE float *tmp2(const bn_job *j, int tid) { return tmp1(j, tid) + ((j->c + 3) & ~3); }

/* Rows per task: 64K elements (~10-20 us of work, enough to amortise the fork-join), whose x
 * and dy (2 x 256 KiB) stay in L2 between the channel blocks of the statistics pass. */
static int pick_rows(int m, int c) {
  int rows = MAX(16, 65536 / MAX(c, 1));
  return MIN(rows, MAX(m, 1));
}

static void reserve_acc(int c) {
  int T = pool_threads();
  scratch_reserve((size_t)c * 16 + (size_t)((c + 3) & ~3) * 8 + 64);
  for (int t = 0; t < T; t++) __builtin_memset(scratch_for(t), 0, (size_t)c * 16);
}

/* ---- forward statistics ---- */
static void task_stats(void *p, int t, int tid) {
  bn_job *j = (bn_job *)p;
  int r0 = t * j->rows, r1 = MIN(j->m, r0 + j->rows), c = j->c;
  float *s1 = tmp1(j, tid), *s2 = tmp2(j, tid);
  const float *k = j->x; /* shift: row 0 */
  zero_f32(s1, c);
  zero_f32(s2, c);
  /* channel blocks outer, the chunk's rows inner: sums stay in registers (the chunk is sized to
   * stay in L2 between blocks) instead of a load/store of s1, s2 per element */
  int i = 0;
  for (; i + 8 <= c; i += 8) {
    v128_t k0 = wasm_v128_load(k + i), k1 = wasm_v128_load(k + i + 4);
    v128_t a0 = wasm_f32x4_splat(0.f), a1 = a0, q0 = a0, q1 = a0;
    const float *xr = j->x + (size_t)r0 * c + i;
    for (int r = r0; r < r1; r++, xr += c) {
      v128_t d0 = wasm_f32x4_sub(wasm_v128_load(xr), k0), d1 = wasm_f32x4_sub(wasm_v128_load(xr + 4), k1);
      a0 = wasm_f32x4_add(a0, d0);
      a1 = wasm_f32x4_add(a1, d1);
      q0 = wasm_f32x4_add(q0, wasm_f32x4_mul(d0, d0));
      q1 = wasm_f32x4_add(q1, wasm_f32x4_mul(d1, d1));
    }
    wasm_v128_store(s1 + i, a0);
    wasm_v128_store(s1 + i + 4, a1);
    wasm_v128_store(s2 + i, q0);
    wasm_v128_store(s2 + i + 4, q1);
  }
  for (int r = r0; r < r1; r++) {
    const float *xr = j->x + (size_t)r * c;
    for (int q = i; q < c; q++) {
      float d = xr[q] - k[q];
      s1[q] += d;
      s2[q] += d * d;
    }
  }
  double *a1 = acc1(j, tid), *a2 = acc2(j, tid);
  for (int i = 0; i < c; i++) { a1[i] += s1[i]; a2[i] += s2[i]; }
}

static void task_apply(void *p, int t, int tid) {
  bn_job *j = (bn_job *)p;
  int r0 = t * j->rows, r1 = MIN(j->m, r0 + j->rows), c = j->c, act = j->act;
  for (int r = r0; r < r1; r++) {
    const float *xr = j->x + (size_t)r * c;
    float *yr = j->y + (size_t)r * c;
    int i = 0;
    for (; i + 4 <= c; i += 4) {
      v128_t z = wasm_f32x4_add(wasm_f32x4_mul(wasm_v128_load(xr + i), wasm_v128_load(j->scale + i)),
                                wasm_v128_load(j->shift + i));
      wasm_v128_store(yr + i, act_v(z, act));
    }
    for (; i < c; i++) yr[i] = act_s(xr[i] * j->scale[i] + j->shift[i], act);
  }
}

static void coefs(bn_job *j, const float *gamma, const float *beta, const float *mean, const float *invstd) {
  for (int i = 0; i < j->c; i++) {
    float s = gamma[i] * invstd[i];
    j->scale[i] = s;
    j->shift[i] = beta[i] - mean[i] * s;
  }
}

EXPORT(fb_bn_act_train)
void fb_bn_act_train(const float *x, const float *gamma, const float *beta, float *y, float *mean,
                     float *invstd, int m, int c, float eps, int act) {
  bn_job j = {0};
  j.x = x; j.y = y; j.m = m; j.c = c; j.act = act;
  j.rows = pick_rows(m, c);
  int tasks = (m + j.rows - 1) / j.rows, T = pool_threads();
  reserve_acc(c);
  parallel_for(task_stats, &j, tasks);
  for (int i = 0; i < c; i++) {
    double s1 = 0, s2 = 0;
    for (int t = 0; t < T; t++) { s1 += acc1(&j, t)[i]; s2 += acc2(&j, t)[i]; }
    double d = s1 / m, var = s2 / m - d * d;
    if (var < 0) var = 0;
    mean[i] = (float)(x[i] + d);
    invstd[i] = (float)(1.0 / __builtin_sqrt(var + (double)eps));
  }
  float *buf = (float *)fb_malloc((size_t)c * 8);
  if (!buf) __builtin_trap();
  j.scale = buf; j.shift = buf + c;
  coefs(&j, gamma, beta, mean, invstd);
  parallel_for(task_apply, &j, tasks);
  fb_free(buf);
}

EXPORT(fb_bn_act_infer)
void fb_bn_act_infer(const float *x, const float *gamma, const float *beta, const float *rmean,
                     const float *rvar, float *y, int m, int c, float eps, int act) {
  bn_job j = {0};
  j.x = x; j.y = y; j.m = m; j.c = c; j.act = act;
  j.rows = pick_rows(m, c);
  float *buf = (float *)fb_malloc((size_t)c * 12);
  if (!buf) __builtin_trap();
  j.scale = buf; j.shift = buf + c;
  float *inv = buf + 2 * c;
  for (int i = 0; i < c; i++) inv[i] = 1.0f / __builtin_sqrtf(rvar[i] + eps);
  coefs(&j, gamma, beta, rmean, inv);
  parallel_for(task_apply, &j, (m + j.rows - 1) / j.rows);
  fb_free(buf);
}

/* ---- backward ---- */
static void task_grad_sums(void *p, int t, int tid) {
  bn_job *j = (bn_job *)p;
  int r0 = t * j->rows, r1 = MIN(j->m, r0 + j->rows), c = j->c, act = j->act;
  float *s1 = tmp1(j, tid), *s2 = tmp2(j, tid);
  zero_f32(s1, c);
  zero_f32(s2, c);
  for (int r = r0; r < r1; r++) {
    const float *xr = j->x + (size_t)r * c, *dyr = j->dy + (size_t)r * c;
    int i = 0;
    for (; i + 4 <= c; i += 4) {
      v128_t x = wasm_v128_load(xr + i);
      v128_t z = wasm_f32x4_add(wasm_f32x4_mul(x, wasm_v128_load(j->scale + i)), wasm_v128_load(j->shift + i));
      v128_t g = act_grad_v(wasm_v128_load(dyr + i), z, act);
      v128_t xc = wasm_f32x4_sub(x, wasm_v128_load(j->mean + i));
      wasm_v128_store(s1 + i, wasm_f32x4_add(wasm_v128_load(s1 + i), g));
      wasm_v128_store(s2 + i, wasm_f32x4_add(wasm_v128_load(s2 + i), wasm_f32x4_mul(g, xc)));
    }
    for (; i < c; i++) {
      float z = xr[i] * j->scale[i] + j->shift[i];
      float g = act_grad_s(dyr[i], z, act);
      s1[i] += g;
      s2[i] += g * (xr[i] - j->mean[i]);
    }
  }
  double *a1 = acc1(j, tid), *a2 = acc2(j, tid);
  for (int i = 0; i < c; i++) { a1[i] += s1[i]; a2[i] += s2[i]; }
}

/* dx = a*g + cx*(x - mean) + b with per-channel a, cx, b (ga / coef_cx / shiftx) */
static void task_grad_dx(void *p, int t, int tid) {
  bn_job *j = (bn_job *)p;
  int r0 = t * j->rows, r1 = MIN(j->m, r0 + j->rows), c = j->c, act = j->act;
  const float *ga = j->scale + 2 * c; /* a = gamma*invstd */
  for (int r = r0; r < r1; r++) {
    const float *xr = j->x + (size_t)r * c, *dyr = j->dy + (size_t)r * c;
    float *dxr = j->dx + (size_t)r * c;
    int i = 0;
    for (; i + 4 <= c; i += 4) {
      v128_t x = wasm_v128_load(xr + i);
      v128_t z = wasm_f32x4_add(wasm_f32x4_mul(x, wasm_v128_load(j->scale + i)), wasm_v128_load(j->shift + i));
      v128_t g = act_grad_v(wasm_v128_load(dyr + i), z, act);
      v128_t d = wasm_f32x4_add(wasm_f32x4_mul(g, wasm_v128_load(ga + i)),
                                wasm_f32x4_add(wasm_f32x4_mul(wasm_f32x4_sub(x, wasm_v128_load(j->mean + i)), wasm_v128_load(j->coef_cx + i)),
                                               wasm_v128_load(j->shiftx + i)));
      wasm_v128_store(dxr + i, d);
    }
    for (; i < c; i++) {
      float z = xr[i] * j->scale[i] + j->shift[i];
      float g = act_grad_s(dyr[i], z, act);
      dxr[i] = g * ga[i] + ((xr[i] - j->mean[i]) * j->coef_cx[i] + j->shiftx[i]);
    }
  }
}

EXPORT(fb_bn_act_grad)
void fb_bn_act_grad(const float *dy, const float *x, const float *gamma, const float *beta,
                    const float *mean, const float *invstd, float *dx, float *dgamma, float *dbeta,
                    int m, int c, int act) {
  bn_job j = {0};
  j.x = x; j.dy = dy; j.dx = dx; j.mean = mean; j.invstd = invstd; j.m = m; j.c = c; j.act = act;
  j.rows = pick_rows(m, c);
  int tasks = (m + j.rows - 1) / j.rows, T = pool_threads();
  float *buf = (float *)fb_malloc((size_t)c * 20);
  if (!buf) __builtin_trap();
  j.scale = buf; j.shift = buf + c;
  float *ga = buf + 2 * c;
  j.coef_cx = buf + 3 * c; j.shiftx = buf + 4 * c;
  coefs(&j, gamma, beta, mean, invstd);
  reserve_acc(c);
  parallel_for(task_grad_sums, &j, tasks);
  for (int i = 0; i < c; i++) {
    double sg = 0, sgx = 0;
    for (int t = 0; t < T; t++) { sg += acc1(&j, t)[i]; sgx += acc2(&j, t)[i]; }
    double is = invstd[i], db = sg, dgm = sgx * is;
    dbeta[i] = (float)db;
    dgamma[i] = (float)dgm;
    double a = (double)gamma[i] * is;
    double cx = -a * dgm * is / m;
    ga[i] = (float)a;
    j.coef_cx[i] = (float)cx;
    j.shiftx[i] = (float)(-a * db / m);
  }
  parallel_for(task_grad_dx, &j, tasks);
  fb_free(buf);
}
