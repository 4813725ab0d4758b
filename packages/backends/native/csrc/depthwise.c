/*
 * Depthwise conv (channel multiplier 1), NHWC, filter [kh, kw, c, 1], any stride / kernel size;
 * top/left padding (ph, pw) and output size (oh, ow) given, so bottom/right padding may differ. Vectorised over channels (contiguous in NHWC) in blocks of 16
 * (four v128 accumulators), then 4, then scalar.
 *   fwd / dx: tasks are (image, output row) resp. (image, input row); dx is a gather (each
 *             input pixel collects the taps that reach it), so no scatter races.
 *   dw:       tasks are (image, output row) accumulating into a per-thread [kh*kw*c] partial.
 */
#include "act.h"

typedef struct {
  const float *x, *w, *dy;
  float *y, *dx, *dw;
  int n, h, wd, c, kh, kw, sh, sw, ph, pw, oh, ow;
  const float *bias; /* forward epilogue: y = act(conv + bias) */
  int act;
} dw_job;

static void dw_init(dw_job *j, int n, int h, int wd, int c, int kh, int kw, int sh, int sw, int ph, int pw,
                    int oh, int ow) {
  j->n = n; j->h = h; j->wd = wd; j->c = c; j->kh = kh; j->kw = kw;
  j->sh = sh; j->sw = sw; j->ph = ph; j->pw = pw;
  j->oh = oh;
  j->ow = ow;
}

/* out[0..c) = sum over taps t of a[t][0..c) * b[t][0..c); tap t reads a + aoff[t], b + boff[t] */
static void dot_taps(float *out, const float *a, const float *b, const int *aoff, const int *boff,
                     int taps, int c) {
  int k = 0;
  for (; k + 16 <= c; k += 16) {
    v128_t s0 = wasm_f32x4_splat(0.f), s1 = s0, s2 = s0, s3 = s0;
    for (int t = 0; t < taps; t++) {
      const float *pa = a + aoff[t] + k, *pb = b + boff[t] + k;
      s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(pa), wasm_v128_load(pb)));
      s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(pa + 4), wasm_v128_load(pb + 4)));
      s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(wasm_v128_load(pa + 8), wasm_v128_load(pb + 8)));
      s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(wasm_v128_load(pa + 12), wasm_v128_load(pb + 12)));
    }
    wasm_v128_store(out + k, s0);
    wasm_v128_store(out + k + 4, s1);
    wasm_v128_store(out + k + 8, s2);
    wasm_v128_store(out + k + 12, s3);
  }
  for (; k + 4 <= c; k += 4) {
    v128_t s0 = wasm_f32x4_splat(0.f);
    for (int t = 0; t < taps; t++)
      s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(a + aoff[t] + k), wasm_v128_load(b + boff[t] + k)));
    wasm_v128_store(out + k, s0);
  }
  for (; k < c; k++) {
    float s = 0.f;
    for (int t = 0; t < taps; t++) s += a[aoff[t] + k] * b[boff[t] + k];
    out[k] = s;
  }
}

#define MAXTAPS 121 /* up to 11x11 */

/* Interior tile: NP output pixels (pixstride apart in the input) x NV vectors of channels,
 * every tap inside the image. x0: input at (first valid ky, kx = 0) of pixel 0, channel c0;
 * w0: filter at (first valid ky, 0, c0). */
INLINE void dw_tile(const float *x0, int rowstride, int pixstride, int C, const float *w0, int nky,
                    int KW, float *y, const int NP, const int NV) {
  v128_t acc[4][2];
#pragma clang loop unroll(full)
  for (int p = 0; p < NP; p++)
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) acc[p][v] = wasm_f32x4_splat(0.f);
  for (int ky = 0; ky < nky; ky++) {
    const float *xr = x0 + (size_t)ky * rowstride, *wr = w0 + (size_t)ky * KW * C;
    for (int kx = 0; kx < KW; kx++, xr += C, wr += C) {
      v128_t wv[2];
#pragma clang loop unroll(full)
      for (int v = 0; v < NV; v++) wv[v] = wasm_v128_load(wr + 4 * v);
#pragma clang loop unroll(full)
      for (int p = 0; p < NP; p++)
#pragma clang loop unroll(full)
        for (int v = 0; v < NV; v++)
          acc[p][v] = wasm_f32x4_add(acc[p][v], wasm_f32x4_mul(wasm_v128_load(xr + p * pixstride + 4 * v), wv[v]));
    }
  }
#pragma clang loop unroll(full)
  for (int p = 0; p < NP; p++)
#pragma clang loop unroll(full)
    for (int v = 0; v < NV; v++) wasm_v128_store(y + (size_t)p * C + 4 * v, acc[p][v]);
}

/* One output row of a depthwise correlation: out[ox, c] = sum in[oy*sh-ph+ky, ox*sw-pw+kx, c] *
 * w[ky, kx, c] over in-bounds taps. Used by the forward and (flipped filter) by stride-1 dx. */
static void corr_row(const float *in, int H, int W, int C, const float *w, int KH, int KW, int sh,
                     int sw, int ph, int pw, int oy, int OW, float *out) {
  int iy0 = oy * sh - ph;
  int ky0 = MAX(0, -iy0), ky1 = MIN(KH, H - iy0);
  if (ky1 <= ky0) { zero_f32(out, OW * C); return; }
  int ox_lo = (pw + sw - 1) / sw;
  int ox_hi = W + pw - KW >= 0 ? MIN(OW, (W + pw - KW) / sw + 1) : 0;
  if (ox_hi < ox_lo) ox_hi = ox_lo;
  if (ox_lo > OW) ox_lo = ox_hi = OW;
  int aoff[MAXTAPS], boff[MAXTAPS];
  /* borders (and channels past the vector part, for all pixels) via tap lists */
  int cvec = C & ~3;
  for (int ox = 0; ox < OW; ox++) {
    int interior = ox >= ox_lo && ox < ox_hi;
    if (interior && cvec == C) continue;
    int taps = 0;
    for (int ky = ky0; ky < ky1; ky++) {
      int iy = iy0 + ky;
      for (int kx = 0; kx < KW; kx++) {
        int ix = ox * sw - pw + kx;
        if (ix < 0 || ix >= W) continue;
        aoff[taps] = (iy * W + ix) * C;
        boff[taps] = (ky * KW + kx) * C;
        taps++;
      }
    }
    int c0 = interior ? cvec : 0;
    dot_taps(out + (size_t)ox * C + c0, in + c0, w + c0, aoff, boff, taps, C - c0);
  }
  if (ox_hi <= ox_lo) return;
  const int rowstride = W * C, pixstride = sw * C, nky = ky1 - ky0;
  const float *xbase = in + ((size_t)(iy0 + ky0) * W) * C;
  const float *wbase = w + (size_t)ky0 * KW * C;
  /* pixel tiles outer, channel blocks inner: each tap of a tile then walks memory contiguously
   * across the channels, which the hardware prefetcher follows (channel-outer order strides by
   * a whole pixel between loads and stalls on every new input row) */
  int ox = ox_lo;
  for (; ox < ox_hi;) {
    int np = ox + 4 <= ox_hi ? 4 : 1;
    const float *xt = xbase + (ox * sw - pw) * C;
    float *ot = out + (size_t)ox * C;
    int c0 = 0;
    if (np == 4) {
      for (; c0 + 8 <= C; c0 += 8) dw_tile(xt + c0, rowstride, pixstride, C, wbase + c0, nky, KW, ot + c0, 4, 2);
      for (; c0 + 4 <= C; c0 += 4) dw_tile(xt + c0, rowstride, pixstride, C, wbase + c0, nky, KW, ot + c0, 4, 1);
    } else {
      for (; c0 + 8 <= C; c0 += 8) dw_tile(xt + c0, rowstride, pixstride, C, wbase + c0, nky, KW, ot + c0, 1, 2);
      for (; c0 + 4 <= C; c0 += 4) dw_tile(xt + c0, rowstride, pixstride, C, wbase + c0, nky, KW, ot + c0, 1, 1);
    }
    ox += np;
  }
}

static void task_fwd(void *p, int t, int tid) {
  dw_job *j = (dw_job *)p;
  int img = t / j->oh, oy = t % j->oh, c = j->c;
  float *out = j->y + ((size_t)img * j->oh + oy) * j->ow * c;
  corr_row(j->x + (size_t)img * j->h * j->wd * c, j->h, j->wd, c, j->w, j->kh, j->kw, j->sh, j->sw,
           j->ph, j->pw, oy, j->ow, out);
  bias_act_rows(out, j->ow, c, c, j->bias, j->act);
}

/* stride 1: dx is the correlation of dy with the flipped filter and padding k-1-p */
static void task_bwd_input_s1(void *p, int t, int tid) {
  dw_job *j = (dw_job *)p;
  int img = t / j->h, iy = t % j->h, c = j->c;
  corr_row(j->dy + (size_t)img * j->oh * j->ow * c, j->oh, j->ow, c, j->w, j->kh, j->kw, 1, 1,
           j->kh - 1 - j->ph, j->kw - 1 - j->pw, iy, j->wd, j->dx + ((size_t)img * j->h + iy) * j->wd * c);
}

static void task_bwd_input(void *p, int t, int tid) {
  dw_job *j = (dw_job *)p;
  int img = t / j->h, iy = t % j->h, c = j->c;
  const float *dyi = j->dy + (size_t)img * j->oh * j->ow * c;
  float *dxr = j->dx + ((size_t)img * j->h + iy) * j->wd * c;
  int aoff[MAXTAPS], boff[MAXTAPS];
  for (int ix = 0; ix < j->wd; ix++) {
    int taps = 0;
    for (int ky = 0; ky < j->kh; ky++) {
      int ny = iy + j->ph - ky;
      if (ny < 0 || ny % j->sh) continue;
      int oy = ny / j->sh;
      if (oy >= j->oh) continue;
      for (int kx = 0; kx < j->kw; kx++) {
        int nx = ix + j->pw - kx;
        if (nx < 0 || nx % j->sw) continue;
        int ox = nx / j->sw;
        if (ox >= j->ow) continue;
        aoff[taps] = (oy * j->ow + ox) * c;
        boff[taps] = (ky * j->kw + kx) * c;
        taps++;
      }
    }
    dot_taps(dxr + (size_t)ix * c, dyi, j->w, aoff, boff, taps, c);
  }
}

/* acc[0..c) += sum_i a[i*astride + k] * b[i*c + k] over i < cnt */
static void acc_row(float *acc, const float *a, int astride, const float *b, int cnt, int c) {
  int k = 0;
  for (; k + 16 <= c; k += 16) {
    v128_t s0 = wasm_f32x4_splat(0.f), s1 = s0, s2 = s0, s3 = s0;
    const float *pa = a + k, *pb = b + k;
    for (int i = 0; i < cnt; i++, pa += astride, pb += c) {
      s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(pa), wasm_v128_load(pb)));
      s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(pa + 4), wasm_v128_load(pb + 4)));
      s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(wasm_v128_load(pa + 8), wasm_v128_load(pb + 8)));
      s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(wasm_v128_load(pa + 12), wasm_v128_load(pb + 12)));
    }
    wasm_v128_store(acc + k, wasm_f32x4_add(wasm_v128_load(acc + k), s0));
    wasm_v128_store(acc + k + 4, wasm_f32x4_add(wasm_v128_load(acc + k + 4), s1));
    wasm_v128_store(acc + k + 8, wasm_f32x4_add(wasm_v128_load(acc + k + 8), s2));
    wasm_v128_store(acc + k + 12, wasm_f32x4_add(wasm_v128_load(acc + k + 12), s3));
  }
  for (; k + 4 <= c; k += 4) {
    v128_t s0 = wasm_f32x4_splat(0.f);
    const float *pa = a + k, *pb = b + k;
    for (int i = 0; i < cnt; i++, pa += astride, pb += c)
      s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(pa), wasm_v128_load(pb)));
    wasm_v128_store(acc + k, wasm_f32x4_add(wasm_v128_load(acc + k), s0));
  }
  for (; k < c; k++) {
    float s = 0.f;
    for (int i = 0; i < cnt; i++) s += a[(size_t)i * astride + k] * b[(size_t)i * c + k];
    acc[k] += s;
  }
}

static void task_bwd_filter(void *p, int t, int tid) {
  dw_job *j = (dw_job *)p;
  int img = t / j->oh, oy = t % j->oh, c = j->c;
  const float *xi = j->x + (size_t)img * j->h * j->wd * c;
  const float *dyr = j->dy + ((size_t)img * j->oh + oy) * j->ow * c;
  float *acc = scratch_for(tid);
  for (int ky = 0; ky < j->kh; ky++) {
    int iy = oy * j->sh - j->ph + ky;
    if (iy < 0 || iy >= j->h) continue;
    for (int kx = 0; kx < j->kw; kx++) {
      /* valid ox: 0 <= ox*sw - pw + kx < wd */
      int lo = j->pw - kx > 0 ? (j->pw - kx + j->sw - 1) / j->sw : 0;
      int hi = (j->wd - 1 + j->pw - kx);
      hi = hi < 0 ? -1 : MIN(j->ow - 1, hi / j->sw);
      if (hi < lo) continue;
      const float *xa = xi + ((size_t)iy * j->wd + (lo * j->sw - j->pw + kx)) * c;
      acc_row(acc + (size_t)(ky * j->kw + kx) * c, xa, j->sw * c, dyr + (size_t)lo * c, hi - lo + 1, c);
    }
  }
}

EXPORT(fb_dwconv_fwd)
void fb_dwconv_fwd(const float *x, const float *w, float *y, int n, int h, int wd, int c, int kh,
                   int kw, int sh, int sw, int ph, int pw, int oh, int ow, const float *bias, int act) {
  dw_job j = {0};
  dw_init(&j, n, h, wd, c, kh, kw, sh, sw, ph, pw, oh, ow);
  if (kh * kw > MAXTAPS) __builtin_trap();
  j.x = x; j.w = w; j.y = y; j.bias = bias; j.act = act;
  parallel_for_grain(task_fwd, &j, n * j.oh, grain_for((double)ow * c * kh * kw));
}

EXPORT(fb_dwconv_bwd_input)
void fb_dwconv_bwd_input(const float *dy, const float *w, float *dx, int n, int h, int wd, int c,
                         int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow) {
  dw_job j = {0};
  dw_init(&j, n, h, wd, c, kh, kw, sh, sw, ph, pw, oh, ow);
  if (kh * kw > MAXTAPS) __builtin_trap();
  j.dy = dy; j.w = w; j.dx = dx;
  if (sh == 1 && sw == 1 && ph < kh && pw < kw) {
    /* flipped filter: wf[ky, kx] = w[kh-1-ky, kw-1-kx] */
    float *wf = (float *)fb_malloc((size_t)kh * kw * c * 4);
    if (!wf) __builtin_trap();
    for (int ky = 0; ky < kh; ky++)
      for (int kx = 0; kx < kw; kx++)
        copy_f32(wf + (size_t)(ky * kw + kx) * c, w + (size_t)((kh - 1 - ky) * kw + (kw - 1 - kx)) * c, c);
    j.w = wf;
    parallel_for_grain(task_bwd_input_s1, &j, n * h, grain_for((double)wd * c * kh * kw));
    fb_free(wf);
    return;
  }
  parallel_for_grain(task_bwd_input, &j, n * h, grain_for((double)wd * c * kh * kw / (sh * sw)));
}

EXPORT(fb_dwconv_bwd_filter)
void fb_dwconv_bwd_filter(const float *x, const float *dy, float *dw, int n, int h, int wd, int c,
                          int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow) {
  dw_job j = {0};
  dw_init(&j, n, h, wd, c, kh, kw, sh, sw, ph, pw, oh, ow);
  j.x = x; j.dy = dy; j.dw = dw;
  int total = kh * kw * c, T = pool_threads();
  scratch_reserve((size_t)total * 4);
  for (int t = 0; t < T; t++) zero_f32(scratch_for(t), total);
  parallel_for_grain(task_bwd_filter, &j, n * j.oh, grain_for((double)ow * c * kh * kw));
  copy_f32(dw, scratch_for(0), total);
  for (int t = 1; t < T; t++) {
    const float *s = scratch_for(t);
    for (int i = 0; i < total; i++) dw[i] += s[i];
  }
}
