/*
 * Conv2D forward / backprop-input / backprop-filter, NHWC, TF.js filter layout
 * [kh, kw, cin/groups, cout], groups. Padding: top/left given (ph, pw), output size given
 * (oh, ow), so bottom/right padding may differ (TF 'same'); symmetric = PyTorch semantics.
 *
 * 1x1 / stride 1 / pad 0 is a plain GEMM on the activation matrix [N*H*W, C] (per group via
 * leading dimensions, no copies). Everything else goes through im2col in chunks of output
 * rows held in per-thread scratch, so memory stays O(chunk * kh*kw*cin) whatever the batch:
 *   fwd: Y[m, g] = act(cols[m, :] * Wg + bias) (tasks: row chunks; optional fused epilogue)
 *   dx:  dcols = dY[m, g] * Wg^T; col2im add  (tasks: images, col2im scatters inside one image)
 *   dw:  dWg += cols^T * dY[m, g]              (tasks: (image, chunk); per-thread partial dW)
 */
#include "gemm.h"
#include "act.h"

typedef struct {
  const float *x, *w, *dy;
  float *y, *dx, *dw;
  int n, h, wd, cin, cout, kh, kw, sh, sw, ph, pw, groups;
  int oh, ow, cig, cog, kg, chunk, chunks_per_img, kgpad_floats;
  float *bp; /* packed filter, per group */
  const float *bias; /* forward epilogue: y = act(conv + bias) */
  int act;
} conv_job;

static void conv_init(conv_job *j, int n, int h, int wd, int cin, int cout, int kh, int kw, int sh,
                      int sw, int ph, int pw, int oh, int ow, int groups) {
  j->n = n; j->h = h; j->wd = wd; j->cin = cin; j->cout = cout; j->kh = kh; j->kw = kw;
  j->sh = sh; j->sw = sw; j->ph = ph; j->pw = pw; j->groups = groups;
  j->oh = oh; /* given: bottom/right padding is whatever makes this size (TF.js padInfo) */
  j->ow = ow;
  j->cig = cin / groups;
  j->cog = cout / groups;
  j->kg = kh * kw * j->cig;
}

INLINE int is_pointwise(const conv_job *j) {
  return j->kh == 1 && j->kw == 1 && j->sh == 1 && j->sw == 1 && j->ph == 0 && j->pw == 0 &&
         j->oh == j->h && j->ow == j->wd;
}

/* cols[r, (ky*kw + kx)*cig + c] = x[img, oy*sh-ph+ky, ox*sw-pw+kx, g*cig + c] (0 outside) for
 * output pixels p0 .. p0+rows-1 of image img. */
static void im2col(const conv_job *j, int img, int p0, int rows, int g, float *cols) {
  const int cig = j->cig, kg = j->kg;
  const float *xi = j->x + (size_t)img * j->h * j->wd * j->cin + (size_t)g * cig;
  int oy = p0 / j->ow, ox = p0 % j->ow;
  for (int r = 0; r < rows; r++, cols += kg) {
    float *c = cols;
    for (int ky = 0; ky < j->kh; ky++) {
      int iy = oy * j->sh - j->ph + ky;
      for (int kx = 0; kx < j->kw; kx++, c += cig) {
        int ix = ox * j->sw - j->pw + kx;
        /* few channels (stems): plain loops; memory.copy/fill calls cost more than they move */
        if (iy < 0 || iy >= j->h || ix < 0 || ix >= j->wd) {
          if (cig <= 8) for (int q = 0; q < cig; q++) c[q] = 0.f;
          else zero_f32(c, cig);
        } else {
          const float *s = xi + ((size_t)iy * j->wd + ix) * j->cin;
          if (cig <= 8) for (int q = 0; q < cig; q++) c[q] = s[q];
          else copy_f32(c, s, cig);
        }
      }
    }
    if (++ox == j->ow) { ox = 0; oy++; }
  }
}

/* dx[img, iy, ix, g*cig + c] += dcols[r, tap*cig + c] */
static void col2im(const conv_job *j, int img, int p0, int rows, int g, const float *dcols) {
  const int cig = j->cig, kg = j->kg;
  float *xi = j->dx + (size_t)img * j->h * j->wd * j->cin + (size_t)g * cig;
  int oy = p0 / j->ow, ox = p0 % j->ow;
  for (int r = 0; r < rows; r++, dcols += kg) {
    const float *c = dcols;
    for (int ky = 0; ky < j->kh; ky++) {
      int iy = oy * j->sh - j->ph + ky;
      for (int kx = 0; kx < j->kw; kx++, c += cig) {
        int ix = ox * j->sw - j->pw + kx;
        if (iy < 0 || iy >= j->h || ix < 0 || ix >= j->wd) continue;
        float *d = xi + ((size_t)iy * j->wd + ix) * j->cin;
        int k = 0;
        for (; k + 4 <= cig; k += 4)
          wasm_v128_store(d + k, wasm_f32x4_add(wasm_v128_load(d + k), wasm_v128_load(c + k)));
        for (; k < cig; k++) d[k] += c[k];
      }
    }
    if (++ox == j->ow) { ox = 0; oy++; }
  }
}

/* ---------------- direct path for stems (kh*kw*cin <= 32, groups 1) ----------------
 * With so few taps, im2col + GEMM is dominated by packing and per-tile overhead; instead each
 * output pixel gathers its taps into a small zero-padded vector and multiplies the filter
 * directly (fwd), or scatters the outer product with dy into a per-thread dW (filter grad). */
#define DIRECT_MAX_K 32

static int gather_taps(const conv_job *j, const float *xi, int oy, int ox, float *a) {
  int t = 0;
  int iy0 = oy * j->sh - j->ph, ix0 = ox * j->sw - j->pw;
  if (iy0 >= 0 && iy0 + j->kh <= j->h && ix0 >= 0 && ix0 + j->kw <= j->wd) {
    const int run = j->kw * j->cin; /* a kernel row is contiguous in NHWC */
    const float *s = xi + ((size_t)iy0 * j->wd + ix0) * j->cin;
    for (int ky = 0; ky < j->kh; ky++, s += (size_t)j->wd * j->cin)
      for (int q = 0; q < run; q++) a[t++] = s[q];
    return t;
  }
  for (int ky = 0; ky < j->kh; ky++) {
    int iy = oy * j->sh - j->ph + ky;
    for (int kx = 0; kx < j->kw; kx++) {
      int ix = ox * j->sw - j->pw + kx;
      const float *s = xi + ((size_t)iy * j->wd + ix) * j->cin;
      int ok = iy >= 0 && iy < j->h && ix >= 0 && ix < j->wd;
      for (int q = 0; q < j->cin; q++) a[t++] = ok ? s[q] : 0.f;
    }
  }
  return t;
}

static void task_fwd_direct(void *p, int t, int tid) {
  conv_job *j = (conv_job *)p;
  int img = t / j->oh, oy = t % j->oh, cout = j->cout, kg = j->kg;
  const float *xi = j->x + (size_t)img * j->h * j->wd * j->cin;
  float *y = j->y + ((size_t)img * j->oh + oy) * j->ow * cout;
  float a[DIRECT_MAX_K];
  for (int ox = 0; ox < j->ow; ox++, y += cout) {
    gather_taps(j, xi, oy, ox, a);
    int co = 0;
    for (; co + 8 <= cout; co += 8) {
      v128_t s0 = wasm_f32x4_splat(0.f), s1 = s0;
      const float *w = j->w + co;
      for (int q = 0; q < kg; q++, w += cout) {
        v128_t va = wasm_f32x4_splat(a[q]);
        s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(va, wasm_v128_load(w)));
        s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(va, wasm_v128_load(w + 4)));
      }
      wasm_v128_store(y + co, s0);
      wasm_v128_store(y + co + 4, s1);
    }
    for (; co < cout; co++) {
      float s = 0.f;
      for (int q = 0; q < kg; q++) s += a[q] * j->w[(size_t)q * cout + co];
      y[co] = s;
    }
  }
  bias_act_rows(j->y + ((size_t)img * j->oh + oy) * j->ow * cout, j->ow, cout, cout, j->bias, j->act);
}

static void task_bwd_filter_direct(void *p, int t, int tid) {
  conv_job *j = (conv_job *)p;
  int img = t / j->oh, oy = t % j->oh, cout = j->cout, kg = j->kg;
  const float *xi = j->x + (size_t)img * j->h * j->wd * j->cin;
  const float *dy = j->dy + ((size_t)img * j->oh + oy) * j->ow * cout;
  float *acc = scratch_for(tid);
  float a[DIRECT_MAX_K];
  for (int ox = 0; ox < j->ow; ox++, dy += cout) {
    gather_taps(j, xi, oy, ox, a);
    int co = 0;
    for (; co + 8 <= cout; co += 8) {
      v128_t d0 = wasm_v128_load(dy + co), d1 = wasm_v128_load(dy + co + 4);
      float *r = acc + co;
      for (int q = 0; q < kg; q++, r += cout) {
        v128_t va = wasm_f32x4_splat(a[q]);
        wasm_v128_store(r, wasm_f32x4_add(wasm_v128_load(r), wasm_f32x4_mul(va, d0)));
        wasm_v128_store(r + 4, wasm_f32x4_add(wasm_v128_load(r + 4), wasm_f32x4_mul(va, d1)));
      }
    }
    for (; co < cout; co++)
      for (int q = 0; q < kg; q++) acc[(size_t)q * cout + co] += a[q] * dy[co];
  }
}

INLINE int use_direct(const conv_job *j) { return j->groups == 1 && j->kg <= DIRECT_MAX_K; }

/* ---------------- forward ---------------- */

static void task_fwd(void *p, int t, int tid) {
  conv_job *j = (conv_job *)p;
  int img = t / j->chunks_per_img, p0 = (t % j->chunks_per_img) * j->chunk;
  int rows = MIN(j->chunk, j->oh * j->ow - p0);
  float *cols = scratch_for(tid);
  float *y = j->y + ((size_t)img * j->oh * j->ow + p0) * j->cout;
  for (int g = 0; g < j->groups; g++) {
    im2col(j, img, p0, rows, g, cols);
    gemm_tile(rows, j->cog, j->kg, cols, j->kg, 1, j->bp + (size_t)g * j->kgpad_floats, y + g * j->cog,
              j->cout, 0);
    bias_act_rows(y + g * j->cog, rows, j->cog, j->cout, j->bias ? j->bias + g * j->cog : NULL, j->act);
  }
}

static int pick_chunk(int kg, int pixels) {
  /* ~64 KiB of cols per chunk keeps them in L2 next to the packed filter; multiple of MR */
  int c = (16384 / (kg > 0 ? kg : 1)) & ~(GEMM_MR - 1);
  if (c < 4 * GEMM_MR) c = 4 * GEMM_MR;
  if (c > 256) c = 256;
  return MIN(c, pixels);
}

EXPORT(fb_conv2d_fwd)
void fb_conv2d_fwd(const float *x, const float *w, float *y, int n, int h, int wd, int cin, int cout,
                   int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow, int groups,
                   const float *bias, int act) {
  conv_job j = {0};
  conv_init(&j, n, h, wd, cin, cout, kh, kw, sh, sw, ph, pw, oh, ow, groups);
  j.x = x; j.w = w; j.y = y; j.bias = bias; j.act = act;
  if (is_pointwise(&j)) {
    for (int g = 0; g < groups; g++)
      sgemm_ep(0, 0, n * h * wd, j.cog, j.cig, x + g * j.cig, cin, w + g * j.cog, cout, y + g * j.cog, cout, 0,
               bias ? bias + g * j.cog : NULL, act);
    return;
  }
  if (use_direct(&j)) {
    parallel_for_grain(task_fwd_direct, &j, n * j.oh, grain_for((double)j.ow * cout * j.kg));
    return;
  }
  j.kgpad_floats = gemm_packed_floats(j.kg, j.cog);
  j.bp = (float *)fb_malloc((size_t)j.kgpad_floats * groups * 4);
  if (!j.bp) __builtin_trap();
  for (int g = 0; g < groups; g++)
    gemm_pack_b(0, j.kg, 0, j.cog, w + g * j.cog, cout, j.bp + (size_t)g * j.kgpad_floats);
  int pixels = j.oh * j.ow;
  j.chunk = pick_chunk(j.kg, pixels);
  j.chunks_per_img = (pixels + j.chunk - 1) / j.chunk;
  scratch_reserve((size_t)j.chunk * j.kg * 4);
  parallel_for(task_fwd, &j, n * j.chunks_per_img);
  fb_free(j.bp);
}

/* ---------------- backprop input ---------------- */

static void task_bwd_input(void *p, int img, int tid) {
  conv_job *j = (conv_job *)p;
  int pixels = j->oh * j->ow;
  float *dcols = scratch_for(tid);
  zero_f32(j->dx + (size_t)img * j->h * j->wd * j->cin, j->h * j->wd * j->cin);
  for (int p0 = 0; p0 < pixels; p0 += j->chunk) {
    int rows = MIN(j->chunk, pixels - p0);
    const float *dy = j->dy + ((size_t)img * pixels + p0) * j->cout;
    for (int g = 0; g < j->groups; g++) {
      gemm_tile(rows, j->kg, j->cog, dy + g * j->cog, j->cout, 1, j->bp + (size_t)g * j->kgpad_floats,
                dcols, j->kg, 0);
      col2im(j, img, p0, rows, g, dcols);
    }
  }
}

EXPORT(fb_conv2d_bwd_input)
void fb_conv2d_bwd_input(const float *dy, const float *w, float *dx, int n, int h, int wd, int cin,
                         int cout, int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow, int groups) {
  conv_job j = {0};
  conv_init(&j, n, h, wd, cin, cout, kh, kw, sh, sw, ph, pw, oh, ow, groups);
  j.dy = dy; j.w = w; j.dx = dx;
  if (is_pointwise(&j)) {
    for (int g = 0; g < groups; g++)
      sgemm(0, 1, n * h * wd, j.cig, j.cog, dy + g * j.cog, cout, w + g * j.cog, cout, dx + g * j.cig, cin, 0);
    return;
  }
  /* op(B) = Wg^T: [cog x kg], stored as Wg [kg x cog] with row stride cout */
  j.kgpad_floats = gemm_packed_floats(j.cog, j.kg);
  j.bp = (float *)fb_malloc((size_t)j.kgpad_floats * groups * 4);
  if (!j.bp) __builtin_trap();
  for (int g = 0; g < groups; g++)
    gemm_pack_b(1, j.cog, 0, j.kg, w + g * j.cog, cout, j.bp + (size_t)g * j.kgpad_floats);
  j.chunk = pick_chunk(j.kg, j.oh * j.ow);
  scratch_reserve((size_t)j.chunk * j.kg * 4);
  parallel_for(task_bwd_input, &j, n);
  fb_free(j.bp);
}

/* ---------------- backprop filter ---------------- */

static void task_bwd_filter(void *p, int t, int tid) {
  conv_job *j = (conv_job *)p;
  int img = t / j->chunks_per_img, p0 = (t % j->chunks_per_img) * j->chunk;
  int rows = MIN(j->chunk, j->oh * j->ow - p0);
  float *s = scratch_for(tid);
  float *acc = s;                                      /* kg x cout partial dW */
  float *cols = acc + (((size_t)j->kg * j->cout + 3) & ~(size_t)3);
  float *bp = cols + (((size_t)j->chunk * j->kg + 3) & ~(size_t)3);
  const float *dy = j->dy + ((size_t)img * j->oh * j->ow + p0) * j->cout;
  for (int g = 0; g < j->groups; g++) {
    im2col(j, img, p0, rows, g, cols);
    gemm_pack_b(0, rows, 0, j->cog, dy + g * j->cog, j->cout, bp);
    /* dWg[kg x cog] += cols^T[kg x rows] * dYg[rows x cog] */
    gemm_tile(j->kg, j->cog, rows, cols, 1, j->kg, bp, acc + g * j->cog, j->cout, 1);
  }
}

EXPORT(fb_conv2d_bwd_filter)
void fb_conv2d_bwd_filter(const float *x, const float *dy, float *dw, int n, int h, int wd, int cin,
                          int cout, int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow, int groups) {
  conv_job j = {0};
  conv_init(&j, n, h, wd, cin, cout, kh, kw, sh, sw, ph, pw, oh, ow, groups);
  j.x = x; j.dy = dy; j.dw = dw;
  if (is_pointwise(&j)) {
    for (int g = 0; g < groups; g++)
      sgemm(1, 0, j.cig, j.cog, n * h * wd, x + g * j.cig, cin, dy + g * j.cog, cout, dw + g * j.cog, cout, 0);
    return;
  }
  int pixels = j.oh * j.ow;
  int T = pool_threads(), total = j.kg * cout;
  if (use_direct(&j)) {
    scratch_reserve((size_t)total * 4);
    for (int t = 0; t < T; t++) zero_f32(scratch_for(t), total);
    parallel_for_grain(task_bwd_filter_direct, &j, n * j.oh, grain_for((double)j.ow * cout * j.kg));
  } else {
    j.chunk = MIN(pixels, 256);
    j.chunks_per_img = (pixels + j.chunk - 1) / j.chunk;
    size_t accf = ((size_t)j.kg * cout + 3) & ~(size_t)3;
  size_t colf = ((size_t)j.chunk * j.kg + 3) & ~(size_t)3;
  size_t bpf = (size_t)gemm_packed_floats(j.chunk, j.cog);
    scratch_reserve((accf + colf + bpf) * 4);
    for (int t = 0; t < T; t++) zero_f32(scratch_for(t), (int)accf);
    parallel_for(task_bwd_filter, &j, n * j.chunks_per_img);
  }
  copy_f32(dw, scratch_for(0), total);
  for (int t = 1; t < T; t++) {
    const float *s = scratch_for(t);
    int i = 0;
    for (; i + 4 <= total; i += 4)
      wasm_v128_store(dw + i, wasm_f32x4_add(wasm_v128_load(dw + i), wasm_v128_load(s + i)));
    for (; i < total; i++) dw[i] += s[i];
  }
}
