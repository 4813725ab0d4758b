/*
 * Conv2D forward / backprop-input / backprop-filter, NHWC, TF.js filter layout
 * [kh, kw, cin/groups, cout], groups. Padding: top/left given (ph, pw), output size given
 * (oh, ow), so bottom/right padding may differ (TF 'same'); symmetric = PyTorch semantics.
 *
 * 1x1 / stride 1 / pad 0 is a plain GEMM on the activation matrix [N*H*W, C] (per group via
 * leading dimensions, no copies). Everything else goes through im2col in chunks of output
 * rows held in per-thread scratch, so memory stays O(chunk * kh*kw*cin) whatever the batch:
 *   fwd: Y[m, g] = cols[m, :] * Wg            (tasks: row chunks)
 *   dx:  dcols = dY[m, g] * Wg^T; col2im add  (tasks: images, col2im scatters inside one image)
 *   dw:  dWg += cols^T * dY[m, g]              (tasks: (image, chunk); per-thread partial dW)
 */
#include "gemm.h"

typedef struct {
  const float *x, *w, *dy;
  float *y, *dx, *dw;
  int n, h, wd, cin, cout, kh, kw, sh, sw, ph, pw, groups;
  int oh, ow, cig, cog, kg, chunk, chunks_per_img, kgpad_floats;
  float *bp; /* packed filter, per group */
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
        if (iy < 0 || iy >= j->h || ix < 0 || ix >= j->wd) {
          zero_f32(c, cig);
        } else {
          const float *s = xi + ((size_t)iy * j->wd + ix) * j->cin;
          if (cig == 1) c[0] = s[0];
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
                   int kh, int kw, int sh, int sw, int ph, int pw, int oh, int ow, int groups) {
  conv_job j = {0};
  conv_init(&j, n, h, wd, cin, cout, kh, kw, sh, sw, ph, pw, oh, ow, groups);
  j.x = x; j.w = w; j.y = y;
  if (is_pointwise(&j)) {
    for (int g = 0; g < groups; g++)
      sgemm(0, 0, n * h * wd, j.cog, j.cig, x + g * j.cig, cin, w + g * j.cog, cout, y + g * j.cog, cout, 0);
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
  j.chunk = MIN(pixels, 256);
  j.chunks_per_img = (pixels + j.chunk - 1) / j.chunk;
  size_t accf = ((size_t)j.kg * cout + 3) & ~(size_t)3;
  size_t colf = ((size_t)j.chunk * j.kg + 3) & ~(size_t)3;
  size_t bpf = (size_t)gemm_packed_floats(j.chunk, j.cog);
  scratch_reserve((accf + colf + bpf) * 4);
  int T = pool_threads();
  for (int t = 0; t < T; t++) zero_f32(scratch_for(t), (int)accf);
  parallel_for(task_bwd_filter, &j, n * j.chunks_per_img);
  int total = j.kg * cout;
  copy_f32(dw, scratch_for(0), total);
  for (int t = 1; t < T; t++) {
    const float *s = scratch_for(t);
    int i = 0;
    for (; i + 4 <= total; i += 4)
      wasm_v128_store(dw + i, wasm_f32x4_add(wasm_v128_load(dw + i), wasm_v128_load(s + i)));
    for (; i < total; i++) dw[i] += s[i];
  }
}
