/** Conv2D forward / backprop-input / backprop-filter (csrc/conv2d.c). */
import { runKernel } from '../call.ts';
import type { F32Input, F32Output } from '../heap.ts';
import { activationCode, resolveConv, type Conv2DShape, type FusedEpilogue, type ResolvedConv } from '../params.ts';
import type { NativeRuntime } from '../runtime.ts';
import type { ConvArgs } from '../wasm-exports.ts';

function args(a: number, b: number, out: number, r: ResolvedConv): ConvArgs {
  return [a, b, out, r.n, r.h, r.w, r.cin, r.cout, r.kh, r.kw, r.strideH, r.strideW, r.padTop, r.padLeft, r.outH, r.outW, r.groups];
}

/** y[n, outH, outW, cout] = act(conv(x[n, h, w, cin], filter[kh, kw, cin/groups, cout]) + bias). */
export function conv2d(rt: NativeRuntime, x: F32Input, w: F32Input, p: Conv2DShape & FusedEpilogue, out?: F32Output): F32Output {
  rt.assertLive();
  const r = resolveConv(p);
  const act = activationCode(p.act);
  const ins = [{ name: 'x', data: x, length: r.xSize }, { name: 'filter', data: w, length: r.wSize }];
  if (p.bias) ins.push({ name: 'bias', data: p.bias, length: r.cout });
  return runKernel(rt.heap, ins, [{ name: 'out', length: r.ySize, out }],
    ([px, pw, pb], [py]) => rt.exports.fb_conv2d_fwd(...args(px, pw, py, r), pb ?? 0, act))[0];
}

/** dx[n, h, w, cin] from dy[n, outH, outW, cout] and filter[kh, kw, cin/groups, cout]. */
export function conv2dBackpropInput(rt: NativeRuntime, dy: F32Input, w: F32Input, p: Conv2DShape, out?: F32Output): F32Output {
  rt.assertLive();
  const r = resolveConv(p);
  return runKernel(rt.heap, [{ name: 'dy', data: dy, length: r.ySize }, { name: 'filter', data: w, length: r.wSize }],
    [{ name: 'out', length: r.xSize, out }], ([pdy, pw], [pdx]) => rt.exports.fb_conv2d_bwd_input(...args(pdy, pw, pdx, r)))[0];
}

/** dfilter[kh, kw, cin/groups, cout] from x[n, h, w, cin] and dy[n, outH, outW, cout]. */
export function conv2dBackpropFilter(rt: NativeRuntime, x: F32Input, dy: F32Input, p: Conv2DShape, out?: F32Output): F32Output {
  rt.assertLive();
  const r = resolveConv(p);
  return runKernel(rt.heap, [{ name: 'x', data: x, length: r.xSize }, { name: 'dy', data: dy, length: r.ySize }],
    [{ name: 'out', length: r.wSize, out }], ([px, pdy], [pdw]) => rt.exports.fb_conv2d_bwd_filter(...args(px, pdy, pdw, r)))[0];
}
