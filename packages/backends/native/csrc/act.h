#ifndef FBNET_ACT_H
#define FBNET_ACT_H
#include "runtime.h"

/* Activations and their derivatives w.r.t. the pre-activation z, matching PyTorch (divisions by
 * 6 and 3 are multiplications by the reciprocals here: within 1 ulp, and divps is slow):
 * relu' = z > 0; relu6' = 0 < z < 6 (hardtanh); hswish(z) = z * relu6(z + 3) / 6 with
 * hswish' = 0 for z < -3, z/3 + 1/2 for z <= 3, 1 above (aten hardswish_backward). */

INLINE v128_t act_v(v128_t z, int act) {
  const v128_t zero = wasm_f32x4_splat(0.f), six = wasm_f32x4_splat(6.f);
  switch (act) {
    case ACT_RELU: return wasm_f32x4_pmax(zero, z);
    case ACT_RELU6: return wasm_f32x4_pmin(six, wasm_f32x4_pmax(zero, z));
    case ACT_HSWISH: {
      v128_t r = wasm_f32x4_pmin(six, wasm_f32x4_pmax(zero, wasm_f32x4_add(z, wasm_f32x4_splat(3.f))));
      return wasm_f32x4_mul(wasm_f32x4_mul(z, r), wasm_f32x4_splat(1.f / 6.f));
    }
    default: return z;
  }
}

INLINE float act_s(float z, int act) {
  switch (act) {
    case ACT_RELU: return z > 0.f ? z : 0.f;
    case ACT_RELU6: return z > 0.f ? (z < 6.f ? z : 6.f) : 0.f;
    case ACT_HSWISH: {
      float r = z + 3.f;
      r = r > 0.f ? (r < 6.f ? r : 6.f) : 0.f;
      return z * r * (1.f / 6.f);
    }
    default: return z;
  }
}

/* dy * act'(z) */
INLINE v128_t act_grad_v(v128_t dy, v128_t z, int act) {
  const v128_t zero = wasm_f32x4_splat(0.f);
  switch (act) {
    case ACT_RELU: return wasm_v128_and(dy, wasm_f32x4_gt(z, zero));
    case ACT_RELU6:
      return wasm_v128_and(dy, wasm_v128_and(wasm_f32x4_gt(z, zero), wasm_f32x4_lt(z, wasm_f32x4_splat(6.f))));
    case ACT_HSWISH: {
      v128_t mid = wasm_f32x4_mul(dy, wasm_f32x4_add(wasm_f32x4_mul(z, wasm_f32x4_splat(1.f / 3.f)), wasm_f32x4_splat(0.5f)));
      v128_t r = wasm_v128_bitselect(mid, dy, wasm_f32x4_le(z, wasm_f32x4_splat(3.f)));
      return wasm_v128_andnot(r, wasm_f32x4_lt(z, wasm_f32x4_splat(-3.f)));
    }
    default: return dy;
  }
}

INLINE float act_grad_s(float dy, float z, int act) {
  switch (act) {
    case ACT_RELU: return z > 0.f ? dy : 0.f;
    case ACT_RELU6: return (z > 0.f && z < 6.f) ? dy : 0.f;
    case ACT_HSWISH: return z < -3.f ? 0.f : (z <= 3.f ? dy * (z * (1.f / 3.f) + 0.5f) : dy);
    default: return dy;
  }
}
/* Fused epilogue: c[r, j] = act(c[r, j] + bias[j]) for r < rows, j < n (bias may be NULL). */
void bias_act_rows(float *c, int rows, int n, int ldc, const float *bias, int act);
#endif
