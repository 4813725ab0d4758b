import { FBNET_KERNELS, type FusedActivation } from '@fbnet/core';
import type { NativeKernels } from '@fbnet/native-kernels';
import { bindF32Kernel, type F32Kernel, type F32Storage } from '../f32-kernel.ts';
import type { ConvGeometry } from '../math/conv-geometry.ts';
import { fusedConv } from '../kernels/FusedConv2D.ts';
import type { KernelImpl } from '../variant.ts';

/** Name of the native variants on every backend they plug into. */
export const NATIVE_VARIANT = 'native-simd-mt';

export interface NativeStatus {
  available: boolean;
  /** e.g. `simd threads=2`, or why the native kernels are not used. */
  detail: string;
  threads: number;
}

let loading: Promise<NativeKernels | undefined> | undefined;
let status: NativeStatus = { available: false, detail: 'not loaded', threads: 0 };

/**
 * Loads @fbnet/native-kernels once per process (hand-written WASM SIMD kernels on a pool of
 * worker threads sharing one memory). Never throws: where the package, SIMD or shared memory
 * is missing, the status says why and plugins keep their JS variants.
 */
export function loadNative(threads?: number): Promise<NativeKernels | undefined> {
  loading ??= (async () => {
    try {
      const m = await import('@fbnet/native-kernels');
      const caps = m.nativeCapabilities();
      if (!caps.usable) {
        status = { available: false, detail: `native kernels unusable here: ${caps.reasons.join('; ')}`, threads: 0 };
        return undefined;
      }
      const k = await m.loadNativeKernels(threads ? { threads } : {});
      status = { available: true, detail: `simd threads=${k.threads}`, threads: k.threads };
      return k;
    } catch (e) {
      status = { available: false, detail: `native kernels failed to load: ${(e as Error).message}`, threads: 0 };
      return undefined;
    }
  })();
  return loading;
}

export function nativeStatus(): NativeStatus {
  return status;
}

function pad(g: ConvGeometry) {
  return { top: g.padT, bottom: g.padB, left: g.padL, right: g.padR };
}

function convShape(g: ConvGeometry) {
  return { n: g.n, h: g.h, w: g.w, cin: g.cin, cout: g.cout, kh: g.kh, kw: g.kw, stride: [g.sh, g.sw] as const, pad: pad(g) };
}

function dwShape(g: ConvGeometry) {
  return { n: g.n, h: g.h, w: g.w, c: g.cin, kh: g.kh, kw: g.kw, stride: [g.sh, g.sw] as const, pad: pad(g) };
}

/** The native kernels as backend-independent float32 kernels (inputs copied into the native heap per call). */
export function nativeF32Kernels(k: NativeKernels): F32Kernel[] {
  const description = (what: string) => `@fbnet/native-kernels ${what} (WASM SIMD, ${k.threads} threads)`;
  const conv = (kernel: string, inputs: string[], what: string, out: (g: ConvGeometry) => number[], run: (a: Float32Array, b: Float32Array, g: ConvGeometry, o: Float32Array) => void): F32Kernel => ({
    kernel,
    variant: NATIVE_VARIANT,
    description: description(what),
    inputs,
    supports: (s) => !kernel.startsWith('Depthwise') || s.cin === s.cout,
    outputShapes: ({ conv: g }) => [out(g!)],
    compute: ([a, b], [o], { conv: g }) => run(a, b, g!, o),
  });
  const bnShape = (x: Float32Array, c: number, attrs: Record<string, unknown>) => ({ n: x.length / c, c, eps: attrs.epsilon as number, act: attrs.act as FusedActivation });
  return [
    conv('Conv2D', ['x', 'filter'], 'conv2d', (g) => [g.n, g.oh, g.ow, g.cout], (x, f, g, y) => void k.conv2d(x, f, convShape(g), y)),
    conv('Conv2DBackpropInput', ['dy', 'filter'], 'conv2d dx', (g) => [g.n, g.h, g.w, g.cin], (dy, f, g, dx) => void k.conv2dBackpropInput(dy, f, convShape(g), dx)),
    conv('Conv2DBackpropFilter', ['x', 'dy'], 'conv2d dW', (g) => [g.kh, g.kw, g.cin, g.cout], (x, dy, g, df) => void k.conv2dBackpropFilter(x, dy, convShape(g), df)),
    conv('DepthwiseConv2dNative', ['x', 'filter'], 'depthwise', (g) => [g.n, g.oh, g.ow, g.cin], (x, f, g, y) => void k.depthwiseConv2d(x, f, dwShape(g), y)),
    conv('DepthwiseConv2dNativeBackpropInput', ['dy', 'filter'], 'depthwise dx', (g) => [g.n, g.h, g.w, g.cin], (dy, f, g, dx) => void k.depthwiseConv2dBackpropInput(dy, f, dwShape(g), dx)),
    conv('DepthwiseConv2dNativeBackpropFilter', ['x', 'dy'], 'depthwise dW', (g) => [g.kh, g.kw, g.cin, 1], (x, dy, g, df) => void k.depthwiseConv2dBackpropFilter(x, dy, dwShape(g), df)),
    fusedConv('FusedConv2D', NATIVE_VARIANT, description('conv2d + JS bias/activation epilogue'), (x, f, g, y) => void k.conv2d(x, f, convShape(g), y)),
    fusedConv('FusedDepthwiseConv2D', NATIVE_VARIANT, description('depthwise + JS bias/activation epilogue'), (x, f, g, y) => void k.depthwiseConv2d(x, f, dwShape(g), y)),
    {
      kernel: FBNET_KERNELS.BatchNormActTrain,
      variant: NATIVE_VARIANT,
      description: description('fused BN+act forward'),
      inputs: ['x', 'gamma', 'beta'],
      multiOutput: true,
      supports: () => true,
      outputShapes: (_c, inputs) => [inputs.x.shape, [inputs.gamma.shape[0]], [inputs.gamma.shape[0]]],
      compute: ([x, gamma, beta], [y, mean, invStd], _c, attrs) => {
        const r = k.batchNormActTrain(x, gamma, beta, bnShape(x, gamma.length, attrs), y);
        mean.set(r.mean);
        invStd.set(r.invStd);
      },
    },
    {
      kernel: FBNET_KERNELS.BatchNormActGrad,
      variant: NATIVE_VARIANT,
      description: description('fused BN+act backward'),
      inputs: ['dy', 'x', 'gamma', 'beta', 'mean', 'invStd'],
      multiOutput: true,
      supports: () => true,
      outputShapes: (_c, inputs) => [inputs.x.shape, [inputs.gamma.shape[0]], [inputs.gamma.shape[0]]],
      compute: ([dy, x, gamma, beta, mean, invStd], [dx, dgamma, dbeta], _c, attrs) => {
        const r = k.batchNormActGrad(dy, x, gamma, beta, mean, invStd, bnShape(x, gamma.length, attrs), dx);
        dgamma.set(r.dgamma);
        dbeta.set(r.dbeta);
      },
    },
  ];
}

let users = 0;

/**
 * Native variants bound to a backend's storage; [] where the native kernels cannot load.
 * Each call takes a reference on the shared native runtime; `releaseNative()` gives it back.
 */
export async function nativeVariants(storage: F32Storage, threads?: number): Promise<KernelImpl[]> {
  const k = await loadNative(threads);
  if (!k) return [];
  users++;
  return nativeF32Kernels(k).map((f) => bindF32Kernel(f, storage));
}

/**
 * Drop one reference; the last one stops the native worker threads (their message ports
 * would otherwise keep a Node process alive). Plugins call this from `dispose()`.
 */
export async function releaseNative(): Promise<void> {
  if (users === 0 || --users > 0 || !loading) return;
  const k = await loading;
  loading = undefined;
  status = { available: false, detail: 'disposed', threads: 0 };
  await k?.dispose();
}
