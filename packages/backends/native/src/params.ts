/**
 * Shapes and attributes of the kernels, with validation and output-size helpers.
 * Layouts follow TF.js: activations NHWC; conv2d filter [kh, kw, cin/groups, cout];
 * depthwise filter [kh, kw, c, 1]. Padding is explicit: symmetric padH/padW (PyTorch /
 * mobile-vision semantics, out = floor((in + 2*pad - k) / stride) + 1), or per side through
 * `pad` = {top, bottom, left, right}, the shape of TF.js's convInfo.padInfo, so a TF.js kernel
 * can pass its computed padding ('same', 'valid', explicit) straight through.
 */

/** Per-side zero padding, as TF.js backend_util.computeConv2DInfo(...).padInfo. */
export interface PadInfo {
  top: number;
  bottom: number;
  left: number;
  right: number;
}

import type { F32Input } from './heap.ts';

/** Activation fused into batch-norm, conv / depthwise / gemm epilogues, and available standalone. */
export type Activation = 'none' | 'relu' | 'relu6' | 'hswish';

export const ACTIVATION_CODE: Record<Activation, number> = { none: 0, relu: 1, relu6: 2, hswish: 3 };

/** Conv2D geometry. x: [n, h, w, cin]; filter: [kh, kw, cin/groups, cout]; y: [n, outH, outW, cout]. */
export interface Conv2DShape {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  /** Stride, one number for both axes or [strideH, strideW]; default 1. */
  stride?: number | readonly [number, number];
  /** Zero padding added on top and bottom; default 0. */
  padH?: number;
  /** Zero padding added left and right; default 0. */
  padW?: number;
  /** Channel groups; cin and cout must be divisible by it; default 1. */
  groups?: number;
  /** Per-side padding; overrides padH / padW when given. */
  pad?: PadInfo;
}

/**
 * Optional fused epilogue of a forward conv / depthwise / gemm: y = act(y + bias), applied while
 * each output block is still in cache (TF.js FusedConv2D / FusedDepthwiseConv2D with BN folded).
 */
export interface FusedEpilogue {
  /** Per output channel (per column for gemm), [cout]. */
  bias?: F32Input;
  /** Default 'none'. */
  act?: Activation;
}

/** Depthwise conv geometry (channel multiplier 1). x: [n, h, w, c]; filter: [kh, kw, c, 1]. */
export interface DepthwiseShape {
  n: number;
  h: number;
  w: number;
  c: number;
  kh: number;
  kw: number;
  stride?: number | readonly [number, number];
  padH?: number;
  padW?: number;
  /** Per-side padding; overrides padH / padW when given. */
  pad?: PadInfo;
}

/** Rows x channels of a BN/elementwise op on NHWC data: m = n*h*w (h, w default 1). */
export interface ChannelsShape {
  n: number;
  h?: number;
  w?: number;
  c: number;
}

export interface BatchNormOptions extends ChannelsShape {
  /** Added to the variance; default 1e-5 (PyTorch). */
  eps?: number;
  /** Activation applied after the affine transform; default 'none'. */
  act?: Activation;
}

/** Output spatial size of a conv/pool along one axis (PyTorch formula). */
export function convOutSize(inSize: number, k: number, stride: number, pad: number): number {
  return Math.floor((inSize + 2 * pad - k) / stride) + 1;
}

export interface ResolvedConv {
  n: number; h: number; w: number; cin: number; cout: number; kh: number; kw: number;
  strideH: number; strideW: number; padTop: number; padLeft: number; groups: number;
  outH: number; outW: number;
  xSize: number; wSize: number; ySize: number;
}

function posInt(name: string, v: number, min = 1): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`native-kernels: ${name} must be an integer >= ${min}, got ${v}`);
}

function strides(s: Conv2DShape['stride']): [number, number] {
  if (s === undefined) return [1, 1];
  return typeof s === 'number' ? [s, s] : [s[0], s[1]];
}

/** Per-side padding from either form, validated. */
function sides(p: { padH?: number; padW?: number; pad?: PadInfo }): PadInfo {
  const s = p.pad ?? { top: p.padH ?? 0, bottom: p.padH ?? 0, left: p.padW ?? 0, right: p.padW ?? 0 };
  for (const [k, v] of Object.entries(s)) posInt(`pad.${k}`, v, 0);
  return s;
}

/** Output size along one axis with per-side padding. */
function outSize(inSize: number, k: number, stride: number, before: number, after: number): number {
  return Math.floor((inSize + before + after - k) / stride) + 1;
}

export function resolveConv(p: Conv2DShape): ResolvedConv {
  const [strideH, strideW] = strides(p.stride);
  const groups = p.groups ?? 1;
  for (const [k, v] of Object.entries({ n: p.n, h: p.h, w: p.w, cin: p.cin, cout: p.cout, kh: p.kh, kw: p.kw, strideH, strideW, groups }))
    posInt(k, v);
  const pad = sides(p);
  if (p.cin % groups || p.cout % groups)
    throw new RangeError(`native-kernels: cin ${p.cin} and cout ${p.cout} must be divisible by groups ${groups}`);
  const outH = outSize(p.h, p.kh, strideH, pad.top, pad.bottom), outW = outSize(p.w, p.kw, strideW, pad.left, pad.right);
  if (outH < 1 || outW < 1) throw new RangeError(`native-kernels: empty conv output ${outH}x${outW}`);
  return {
    n: p.n, h: p.h, w: p.w, cin: p.cin, cout: p.cout, kh: p.kh, kw: p.kw, strideH, strideW,
    padTop: pad.top, padLeft: pad.left, groups, outH, outW,
    xSize: p.n * p.h * p.w * p.cin,
    wSize: p.kh * p.kw * (p.cin / groups) * p.cout,
    ySize: p.n * outH * outW * p.cout,
  };
}

export interface ResolvedDepthwise {
  n: number; h: number; w: number; c: number; kh: number; kw: number;
  strideH: number; strideW: number; padTop: number; padLeft: number;
  outH: number; outW: number;
  xSize: number; wSize: number; ySize: number;
}

export function resolveDepthwise(p: DepthwiseShape): ResolvedDepthwise {
  const [strideH, strideW] = strides(p.stride);
  for (const [k, v] of Object.entries({ n: p.n, h: p.h, w: p.w, c: p.c, kh: p.kh, kw: p.kw, strideH, strideW })) posInt(k, v);
  const pad = sides(p);
  if (p.kh * p.kw > 121) throw new RangeError(`native-kernels: depthwise kernel ${p.kh}x${p.kw} larger than 11x11`);
  const outH = outSize(p.h, p.kh, strideH, pad.top, pad.bottom), outW = outSize(p.w, p.kw, strideW, pad.left, pad.right);
  if (outH < 1 || outW < 1) throw new RangeError(`native-kernels: empty depthwise output ${outH}x${outW}`);
  return {
    n: p.n, h: p.h, w: p.w, c: p.c, kh: p.kh, kw: p.kw, strideH, strideW, padTop: pad.top, padLeft: pad.left, outH, outW,
    xSize: p.n * p.h * p.w * p.c, wSize: p.kh * p.kw * p.c, ySize: p.n * outH * outW * p.c,
  };
}

/** Rows (n*h*w) and channels of a ChannelsShape, validated. */
export function rowsOf(p: ChannelsShape): { m: number; c: number } {
  const h = p.h ?? 1, w = p.w ?? 1;
  for (const [k, v] of Object.entries({ n: p.n, h, w, c: p.c })) posInt(k, v);
  return { m: p.n * h * w, c: p.c };
}

export function activationCode(act: Activation | undefined): number {
  const code = ACTIVATION_CODE[act ?? 'none'];
  if (code === undefined) throw new RangeError(`native-kernels: unknown activation '${act}' (known: ${Object.keys(ACTIVATION_CODE).join(', ')})`);
  return code;
}
