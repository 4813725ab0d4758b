import type { NativeKernels } from '@fbnet/native-kernels';
import type { KernelShape } from '@fbnet/core';
import type { ConvGeometry } from '../math/conv-geometry.ts';
import type { NativeKernelDef } from './native-variants.ts';

/** Name of the single-threaded native variants. */
export const NATIVE_1T_VARIANT = 'native-simd';

/**
 * Multiply-adds up to which a forward convolution is offered single-threaded. Below ~1M (about
 * 50 µs on one core) a fork-join gains a few µs when the worker is spinning, and loses 50–100 µs
 * whenever it has gone to sleep or was descheduled (the batch-1 pointwise 16→96 at 14×14 of the
 * reference net: 16 µs median either way, but a p90 of 74 µs with two threads, 18 µs with one).
 */
export const SINGLE_THREAD_MAX_MACS = 1 << 20;

/** Multiply-adds of a call: from its geometry, or (plans, `variants()`) from its shape key. */
function macs(s: KernelShape, g: ConvGeometry | undefined, depthwise: boolean): number {
  const per = Number(s.kh) * Number(s.kw) * (depthwise ? 1 : Number(s.cin));
  if (g) return g.n * g.oh * g.ow * g.cout * per;
  const [sh, sw] = String(s.s).split('x').map(Number);
  const [t, b, l, r] = String(s.pad).split(',').map(Number);
  const oh = Math.floor((Number(s.h) + t + b - Number(s.kh)) / sh) + 1;
  const ow = Math.floor((Number(s.w) + l + r - Number(s.kw)) / (sw ?? sh)) + 1;
  return Number(s.n) * oh * ow * Number(s.cout) * per;
}

export type PoolMode = 'single' | 'pool' | 'either';

let limited: NativeKernels | undefined;

/**
 * Runs the next native calls on the calling thread alone (`fb_pool_set_threads(1)` of the C
 * ABI) or on the whole pool again. The switch is made only when the mode changes, not per call:
 * the pool is idle between calls, so switching is safe, but each switch releases the per-thread
 * scratch. `bindNativeKernel` sets the mode each native kernel asks for before it runs.
 */
export function setPoolMode(k: NativeKernels, mode: PoolMode): void {
  const singleThread = mode === 'single';
  if (mode === 'either' || singleThread === (limited === k) || k.threads <= 1) return;
  k.runtime.exports.fb_pool_set_threads(singleThread ? 1 : k.threads);
  limited = singleThread ? k : undefined;
}

/**
 * The fused forward convolutions (batch-1 inference's kernels) run on the calling thread alone:
 * the same native code, with the pool limited to one thread (`setPoolMode`). Offered only for
 * calls small enough that a fork-join costs more than it saves.
 */
export function nativeSingleThreadDefs(k: NativeKernels, defs: NativeKernelDef[]): NativeKernelDef[] {
  if (k.threads <= 1) return [];
  return defs
    .filter((d) => d.kernel === 'FusedConv2D' || d.kernel === 'FusedDepthwiseConv2D')
    .map((d) => ({
      ...d,
      variant: NATIVE_1T_VARIANT,
      description: d.description.replace(/\d+ threads\)/, 'on the calling thread)'),
      poolMode: () => 'single' as const,
      supports: (s, call) => d.supports(s, call) && macs(s, call?.conv, d.kernel === 'FusedDepthwiseConv2D') <= SINGLE_THREAD_MAX_MACS,
    }));
}
