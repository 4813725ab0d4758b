/** Depthwise conv forward / backprop-input / backprop-filter (csrc/depthwise.c). */
import { runKernel } from '../call.ts';
import type { F32Input, F32Output } from '../heap.ts';
import { activationCode, resolveDepthwise, type DepthwiseShape, type FusedEpilogue, type ResolvedDepthwise } from '../params.ts';
import type { NativeRuntime } from '../runtime.ts';
import type { DwArgs } from '../wasm-exports.ts';

function args(a: number, b: number, out: number, r: ResolvedDepthwise): DwArgs {
  return [a, b, out, r.n, r.h, r.w, r.c, r.kh, r.kw, r.strideH, r.strideW, r.padTop, r.padLeft, r.outH, r.outW];
}

/** y[n, outH, outW, c] = act(depthwise(x[n, h, w, c], filter[kh, kw, c, 1]) + bias). */
export function depthwiseConv2d(rt: NativeRuntime, x: F32Input, w: F32Input, p: DepthwiseShape & FusedEpilogue, out?: F32Output): F32Output {
  rt.assertLive();
  const r = resolveDepthwise(p);
  const act = activationCode(p.act);
  const ins = [{ name: 'x', data: x, length: r.xSize }, { name: 'filter', data: w, length: r.wSize }];
  if (p.bias) ins.push({ name: 'bias', data: p.bias, length: r.c });
  return runKernel(rt.heap, ins, [{ name: 'out', length: r.ySize, out }],
    ([px, pw, pb], [py]) => rt.exports.fb_dwconv_fwd(...args(px, pw, py, r), pb ?? 0, act))[0];
}

/** dx[n, h, w, c] from dy[n, outH, outW, c] and filter[kh, kw, c, 1]. */
export function depthwiseConv2dBackpropInput(rt: NativeRuntime, dy: F32Input, w: F32Input, p: DepthwiseShape, out?: F32Output): F32Output {
  rt.assertLive();
  const r = resolveDepthwise(p);
  return runKernel(rt.heap, [{ name: 'dy', data: dy, length: r.ySize }, { name: 'filter', data: w, length: r.wSize }],
    [{ name: 'out', length: r.xSize, out }], ([pdy, pw], [pdx]) => rt.exports.fb_dwconv_bwd_input(...args(pdy, pw, pdx, r)))[0];
}

/** dfilter[kh, kw, c, 1] from x[n, h, w, c] and dy[n, outH, outW, c]. */
export function depthwiseConv2dBackpropFilter(rt: NativeRuntime, x: F32Input, dy: F32Input, p: DepthwiseShape, out?: F32Output): F32Output {
  rt.assertLive();
  const r = resolveDepthwise(p);
  return runKernel(rt.heap, [{ name: 'x', data: x, length: r.xSize }, { name: 'dy', data: dy, length: r.ySize }],
    [{ name: 'out', length: r.wSize, out }], ([px, pdy], [pdw]) => rt.exports.fb_dwconv_bwd_filter(...args(px, pdy, pdw, r)))[0];
}
