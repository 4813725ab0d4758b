/*
 * expf / logf without libc. Cephes-style expf (max rel. error ~2 ulp on the clamped range) and
 * musl/FreeBSD-style logf (< 1 ulp); only used by softmax-cross-entropy, so scalar is enough.
 */
#include "runtime.h"

float fb_expf(float x) {
  if (x > 88.3762626647949f) x = 88.3762626647949f;
  if (x < -87.3365447505531f) return 0.0f; /* below FLT_MIN: flush, as softmax only needs ~0 */
  float fx = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
  int n = (int)fx;
  float r = x - fx * 0.693359375f - fx * -2.12194440e-4f;
  float z = r * r;
  float y = ((((1.9875691500e-4f * r + 1.3981999507e-3f) * r + 8.3334519073e-3f) * r +
              4.1665795894e-2f) * r + 1.6666665459e-1f) * r + 5.0000001201e-1f;
  y = y * z + r + 1.0f;
  union { u32 i; float f; } s;
  s.i = (u32)(n + 127) << 23;
  return y * s.f;
}

float fb_logf(float x) {
  union { u32 i; float f; } u = { .f = x };
  if (!(x > 0.0f)) return x == 0.0f ? -__builtin_inff() : __builtin_nanf("");
  if (u.i >= 0x7f800000u) return x;
  int k = 0;
  if (u.i < 0x00800000u) { k -= 25; u.f *= 33554432.0f; } /* subnormal: scale by 2^25 */
  u32 ix = u.i + (0x3f800000u - 0x3f3504f3u);
  k += (int)(ix >> 23) - 0x7f;
  ix = (ix & 0x007fffffu) + 0x3f3504f3u;
  u.i = ix;
  float f = u.f - 1.0f;
  float s = f / (2.0f + f);
  float z = s * s, w = z * z;
  float t1 = w * (0.40000972152f + w * 0.24279078841f);
  float t2 = z * (0.66666662693f + w * 0.28498786688f);
  float R = t2 + t1;
  float hfsq = 0.5f * f * f;
  float dk = (float)k;
  return s * (hfsq + R) + dk * 9.0580006145e-06f - hfsq + f + dk * 6.9313812256e-01f;
}

EXPORT(fb_expf) float fb_expf_export(float x) { return fb_expf(x); }
EXPORT(fb_logf) float fb_logf_export(float x) { return fb_logf(x); }
