/** Per-channel scaling y = x ∘ m (FBNetV2's channel masks) and its backward (csrc/chscale.c). */
import { runKernel } from '../call.ts';
import type { F32Input, F32Output } from '../heap.ts';
import { rowsOf, type ChannelsShape } from '../params.ts';
import type { NativeRuntime } from '../runtime.ts';

export interface ChannelScaleGradResult<D extends F32Output = F32Output> {
  /** dy ∘ m (absent when not asked for). */
  dx?: D;
  /** Σ over the n·h·w rows of dy ∘ x, [c]. */
  dm: Float32Array;
}

/** y[m, c] = x[m, c] · scale[c] (m = n·h·w rows). */
export function channelScale(rt: NativeRuntime, x: F32Input, scale: F32Input, p: ChannelsShape, out?: F32Output): F32Output {
  rt.assertLive();
  const { m, c } = rowsOf(p);
  return runKernel(rt.heap, [{ name: 'x', data: x, length: m * c }, { name: 'scale', data: scale, length: c }], [{ name: 'out', length: m * c, out }],
    ([px, ps], [py]) => rt.exports.fb_chscale_fwd(px, ps, py, m, c))[0];
}

/** dx = dy · scale (when `wantDx`, default true) and dscale[c] = Σ_rows dy · x. */
export function channelScaleGrad(
  rt: NativeRuntime, dy: F32Input, x: F32Input, scale: F32Input, p: ChannelsShape, wantDx = true, out?: F32Output,
): ChannelScaleGradResult {
  rt.assertLive();
  const { m, c } = rowsOf(p);
  const outs = [...(wantDx ? [{ name: 'dx', length: m * c, out }] : []), { name: 'dscale', length: c }];
  const r = runKernel(rt.heap,
    [{ name: 'dy', data: dy, length: m * c }, { name: 'x', data: x, length: m * c }, { name: 'scale', data: scale, length: c }],
    outs,
    ([pdy, px, ps], ptrs) => rt.exports.fb_chscale_bwd(pdy, px, ps, wantDx ? ptrs[0] : 0, ptrs[wantDx ? 1 : 0], m, c));
  return wantDx ? { dx: r[0], dm: r[1] as Float32Array } : { dm: r[0] as Float32Array };
}
