import type * as tf from '@tensorflow/tfjs-core';
import { FBNET_KERNELS, type FusedActivation } from '@fbnet/core';
import type { F32Input, F32Output, FusedEpilogue, HeapArray, NativeKernels } from '@fbnet/native-kernels';
import type { CallInfo } from '../call-info.ts';
import { bindF32Kernel, inputNames, type F32Kernel, type F32Storage } from '../f32-kernel.ts';
import type { ConvGeometry } from '../math/conv-geometry.ts';
import { biasActInPlace } from '../math/epilogue.ts';
import { mixInputs } from './mix-inputs.ts';
import { nativeElementwiseDefs } from './native-elementwise.ts';
import { nativeSingleThreadDefs, setPoolMode, type PoolMode } from './native-single-thread.ts';
import type { KernelArgs, KernelImpl } from '../variant.ts';

/** Name of the native variants on every backend they plug into. */
export const NATIVE_VARIANT = 'native-simd-mt';

export interface NativeStatus {
  available: boolean;
  /** e.g. `simd threads=2`, or why the native kernels are not used. */
  detail: string;
  threads: number;
}

let loading: Promise<NativeKernels | undefined> | undefined;
/**
 * The compiled kernel module, kept across release and reload (plugins taking turns in one
 * process): V8 compiles WebAssembly lazily with its baseline tier and optimises hot functions
 * later, per module, so a fresh compile runs the first few hundred calls of every kernel slowly.
 */
let compiled: WebAssembly.Module | undefined;
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
      const k = await m.loadNativeKernels({ ...(threads ? { threads } : {}), ...(compiled ? { wasm: compiled } : {}) });
      compiled = k.runtime.module;
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

// One object literal each (with the epilogue, not spread into a copy): these run per kernel call.
function convShape(g: ConvGeometry, e: FusedEpilogue = {}) {
  return { n: g.n, h: g.h, w: g.w, cin: g.cin, cout: g.cout, kh: g.kh, kw: g.kw, stride: [g.sh, g.sw] as const, pad: pad(g), bias: e.bias, act: e.act };
}

function dwShape(g: ConvGeometry, e: FusedEpilogue = {}) {
  return { n: g.n, h: g.h, w: g.w, c: g.cin, kh: g.kh, kw: g.kw, stride: [g.sh, g.sw] as const, pad: pad(g), bias: e.bias, act: e.act };
}

/**
 * One native kernel: like an `F32Kernel`, but its inputs may be resident heap buffers and its
 * outputs are written to resident heap buffers (or ordinary arrays), so a binding decides
 * where data lives.
 */
export interface NativeKernelDef extends Omit<F32Kernel, 'compute'> {
  /**
   * Where a call runs (see `setPoolMode`): on the calling thread alone, on the whole pool (the
   * default), or `either` for a call the native code runs inline anyway (too small to split),
   * which leaves the pool as the previous kernel set it.
   */
  poolMode?(call: CallInfo): PoolMode;
  compute(ins: F32Input[], outs: F32Output[], call: CallInfo, attrs: Record<string, unknown>): void;
}

function arrayOf(o: F32Output): Float32Array {
  return o instanceof Float32Array ? o : o.array;
}

/** The native kernels, each computing into the output buffers it is given. */
export function nativeKernelDefs(kernels: NativeKernels): NativeKernelDef[] {
  const k = kernels;
  const description = (what: string) => `@fbnet/native-kernels ${what} (WASM SIMD, ${k.threads} threads)`;
  const conv = (kernel: string, inputs: string[], what: string, out: (g: ConvGeometry) => number[], run: (a: F32Input, b: F32Input, g: ConvGeometry, o: F32Output) => void): NativeKernelDef => ({
    kernel,
    variant: NATIVE_VARIANT,
    description: description(what),
    inputs,
    supports: (s) => !kernel.startsWith('Depthwise') || s.cin === s.cout,
    outputShapes: ({ conv: g }) => [out(g!)],
    compute: ([a, b], [o], { conv: g }) => run(a, b, g!, o),
  });
  // TF.js fused activations the native epilogue applies while each output block is in cache.
  const nativeAct: Record<string, FusedEpilogue['act']> = { linear: 'none', relu: 'relu', relu6: 'relu6' };
  const fused = (kernel: string, what: string, run: (x: F32Input, f: F32Input, g: ConvGeometry, y: F32Output, e: FusedEpilogue) => void): NativeKernelDef => ({
    kernel,
    variant: NATIVE_VARIANT,
    description: description(what),
    inputs: ['x', 'filter', 'bias'],
    supports: (s) => !kernel.includes('Depthwise') || s.cin === s.cout,
    outputShapes: ({ conv: g }) => [[g!.n, g!.oh, g!.ow, g!.cout]],
    compute: ([x, f, bias], [y], call, attrs) => {
      const g = call.conv!;
      const activation = String(attrs.activation ?? 'linear');
      const act = nativeAct[activation];
      const b = call.shape.bias ? bias : undefined;
      if (act) return run(x, f, g, y, { bias: b, act });
      run(x, f, g, y, {});
      biasActInPlace(arrayOf(y), g.cout, b ? (b instanceof Float32Array ? b : b.array) : undefined, activation);
    },
  });
  const bnShape = (c: number, m: number, attrs: Record<string, unknown>) => ({ n: m, c, eps: attrs.epsilon as number, act: attrs.act as FusedActivation });
  return [
    conv('Conv2D', ['x', 'filter'], 'conv2d', (g) => [g.n, g.oh, g.ow, g.cout], (x, f, g, y) => void k.conv2d(x, f, convShape(g), y)),
    conv('Conv2DBackpropInput', ['dy', 'filter'], 'conv2d dx', (g) => [g.n, g.h, g.w, g.cin], (dy, f, g, dx) => void k.conv2dBackpropInput(dy, f, convShape(g), dx)),
    conv('Conv2DBackpropFilter', ['x', 'dy'], 'conv2d dW', (g) => [g.kh, g.kw, g.cin, g.cout], (x, dy, g, df) => void k.conv2dBackpropFilter(x, dy, convShape(g), df)),
    conv('DepthwiseConv2dNative', ['x', 'filter'], 'depthwise', (g) => [g.n, g.oh, g.ow, g.cin], (x, f, g, y) => void k.depthwiseConv2d(x, f, dwShape(g), y)),
    conv('DepthwiseConv2dNativeBackpropInput', ['dy', 'filter'], 'depthwise dx', (g) => [g.n, g.h, g.w, g.cin], (dy, f, g, dx) => void k.depthwiseConv2dBackpropInput(dy, f, dwShape(g), dx)),
    conv('DepthwiseConv2dNativeBackpropFilter', ['x', 'dy'], 'depthwise dW', (g) => [g.kh, g.kw, g.cin, 1], (x, dy, g, df) => void k.depthwiseConv2dBackpropFilter(x, dy, dwShape(g), df)),
    fused('FusedConv2D', 'conv2d + bias + activation', (x, f, g, y, e) => void k.conv2d(x, f, convShape(g, e), y)),
    fused('FusedDepthwiseConv2D', 'depthwise + bias + activation', (x, f, g, y, e) => void k.depthwiseConv2d(x, f, dwShape(g, e), y)),
    {
      kernel: FBNET_KERNELS.BatchNormActTrain,
      variant: NATIVE_VARIANT,
      description: description('fused BN+act forward'),
      inputs: ['x', 'gamma', 'beta'],
      multiOutput: true,
      supports: () => true,
      outputShapes: (_c, inputs) => [inputs.x.shape, [inputs.gamma.shape[0]], [inputs.gamma.shape[0]]],
      compute: ([x, gamma, beta], [y, mean, invStd], _c, attrs) => {
        const r = k.batchNormActTrain(x, gamma, beta, bnShape(gamma.length, x.length / gamma.length, attrs), y);
        arrayOf(mean).set(r.mean);
        arrayOf(invStd).set(r.invStd);
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
        const r = k.batchNormActGrad(dy, x, gamma, beta, mean, invStd, bnShape(gamma.length, x.length / gamma.length, attrs), dx);
        arrayOf(dgamma).set(r.dgamma);
        arrayOf(dbeta).set(r.dbeta);
      },
    },
    {
      kernel: FBNET_KERNELS.Mix,
      variant: NATIVE_VARIANT,
      description: description('mixed operation Σ w_i x_i'),
      inputs: mixInputs,
      supports: () => true,
      outputShapes: (_c, inputs) => [inputs.x0.shape],
      compute: (ins, [y], _c, attrs) => {
        const k = attrs.k as number;
        kernels.mix(ins.slice(0, k), arrayOf(ins[k]), y);
      },
    },
    {
      kernel: FBNET_KERNELS.MixGrad,
      variant: NATIVE_VARIANT,
      description: description('mixed operation backward'),
      inputs: (attrs) => ['dy', ...mixInputs(attrs)],
      multiOutput: true,
      supports: () => true,
      outputShapes: (_c, inputs, attrs) => [...Array.from({ length: attrs.k as number }, () => inputs.dy.shape), [attrs.k as number]],
      compute: ([dy, ...rest], outs, _c, attrs) => {
        const k = attrs.k as number;
        const r = kernels.mixGrad(dy, rest.slice(0, k), arrayOf(rest[k]), undefined, outs.slice(0, k));
        arrayOf(outs[k]).set(r.dw);
      },
    },
    {
      kernel: FBNET_KERNELS.ChannelScale,
      variant: NATIVE_VARIANT,
      description: description('per-channel scaling'),
      inputs: ['x', 'scale'],
      supports: () => true,
      outputShapes: (_c, inputs) => [inputs.x.shape],
      compute: ([x, scale], [y]) => void kernels.channelScale(x, scale, { n: x.length / scale.length, c: scale.length }, y),
    },
    {
      kernel: FBNET_KERNELS.ChannelScaleGrad,
      variant: NATIVE_VARIANT,
      description: description('per-channel scaling backward'),
      inputs: ['dy', 'x', 'scale'],
      multiOutput: true,
      supports: () => true,
      outputShapes: (_c, inputs) => [inputs.x.shape, inputs.scale.shape],
      compute: ([dy, x, scale], [dx, dscale]) => {
        const r = kernels.channelScaleGrad(dy, x, scale, { n: x.length / scale.length, c: scale.length }, true, dx);
        arrayOf(dscale).set(r.dm);
      },
    },
  ];
}

/** The native kernels as backend-independent float32 kernels (inputs copied into the native heap per call). */
export function nativeF32Kernels(k: NativeKernels): F32Kernel[] {
  return nativeKernelDefs(k).map((d) => ({
    ...d,
    compute: (ins, outs, call, attrs) => {
      setPoolMode(k, d.poolMode?.(call) ?? 'pool');
      d.compute(ins, outs, call, attrs);
    },
  }));
}

const EMPTY = new Float32Array(0);

interface HookableBackend {
  disposeData(dataId: object, force?: boolean): boolean;
  readSync(dataId: object, ...rest: unknown[]): unknown;
  read(dataId: object, ...rest: unknown[]): Promise<unknown>;
  /** tfjs-backend-wasm: a view of a tensor in its heap (JS kernels read tensors through it). */
  typedArrayFromHeap?(t: tf.TensorInfo): unknown;
}

/**
 * Copies of a backend's tensors in the native heap, by data id. TF.js data never changes once
 * written (a new value is a new data id), so a tensor copied in once — or produced by a native
 * kernel — is used in place by every later native kernel that reads it: the backward pass reads
 * the activations and gradients the forward and the previous backward kernels left resident,
 * instead of copying each in again.
 *
 * A native kernel's output is written back to the backend's own storage only when something
 * else reads it (a stock kernel, a JS kernel, `dataSync`): until then it is *pending*. Most
 * activations and gradients of a training step go from native kernel to native kernel and are
 * never written back. A copy lives as long as its tensor: the backend's `disposeData` frees it.
 */
class ResidentCopies {
  private readonly copies = new Map<object, HeapArray>();
  private readonly pending = new Map<object, tf.TensorInfo>();

  constructor(
    private readonly k: NativeKernels,
    readonly backend: object,
    readonly storage: F32Storage,
  ) {}

  get size(): number {
    return this.copies.size;
  }

  get pendingCount(): number {
    return this.pending.size;
  }

  /** The tensor's data in the native heap, copied in on first use. */
  input(t: tf.TensorInfo): HeapArray {
    const have = this.copies.get(t.dataId);
    if (have) return have;
    const src = this.storage.view(this.backend, t);
    const h = this.k.heap.alloc(src.length);
    h.array.set(src);
    this.copies.set(t.dataId, h);
    return h;
  }

  /** Keep `h` as the data of the backend tensor `t`, written back to the backend on first read. */
  keepPending(t: tf.TensorInfo, h: HeapArray): void {
    this.copies.get(t.dataId)?.dispose();
    this.copies.set(t.dataId, h);
    this.pending.set(t.dataId, t);
  }

  /** Write a pending tensor back to the backend's storage (no-op for any other). */
  materialize(dataId: object): void {
    if (this.pending.size === 0) return;
    const t = this.pending.get(dataId);
    if (!t) return;
    this.pending.delete(dataId);
    const src = this.copies.get(dataId)!.array;
    if (this.storage.write) this.storage.write(this.backend, t, src);
    else this.storage.view(this.backend, t).set(src);
  }

  materializeAll(): void {
    for (const dataId of [...this.pending.keys()]) this.materialize(dataId);
  }

  free(dataId: object): void {
    const h = this.copies.get(dataId);
    if (!h) return;
    this.copies.delete(dataId);
    this.pending.delete(dataId);
    h.dispose();
  }

  /** Forget every copy without freeing: the heap itself is going away. */
  drop(): void {
    this.copies.clear();
    this.pending.clear();
  }
}

/** Resident copies per backend, for the loaded native runtime (reset when it is released). */
let resident = new WeakMap<object, ResidentCopies>();
let residentRuntime: NativeKernels | undefined;
const hooked = new WeakSet<object>();
const liveCopies = new Set<ResidentCopies>();

function residentCopies(backend: unknown, k: NativeKernels, storage: F32Storage): ResidentCopies {
  const b = backend as HookableBackend & object;
  if (residentRuntime !== k) {
    forgetResident();
    residentRuntime = k;
  }
  let c = resident.get(b);
  if (!c) {
    c = new ResidentCopies(k, b, storage);
    resident.set(b, c);
    liveCopies.add(c);
  }
  if (!hooked.has(b)) {
    hooked.add(b);
    // Every way to read a tensor's data off the backend writes a pending tensor back first;
    // disposing a tensor frees its copy.
    const dispose = b.disposeData.bind(b);
    b.disposeData = (dataId: object, force?: boolean) => {
      const released = dispose(dataId, force);
      if (released) resident.get(b)?.free(dataId);
      return released;
    };
    const readSync = b.readSync.bind(b);
    b.readSync = (dataId: object, ...rest: unknown[]) => {
      resident.get(b)?.materialize(dataId);
      return readSync(dataId, ...rest);
    };
    const read = b.read.bind(b);
    b.read = (dataId: object, ...rest: unknown[]) => {
      resident.get(b)?.materialize(dataId);
      return read(dataId, ...rest);
    };
    if (b.typedArrayFromHeap) {
      const view = b.typedArrayFromHeap.bind(b);
      b.typedArrayFromHeap = (t: tf.TensorInfo) => {
        resident.get(b)?.materialize(t.dataId);
        return view(t);
      };
    }
  }
  return c;
}

/**
 * Write back every pending native result among `inputs` before anything but a native kernel
 * reads them (the dispatcher and the plugin's kernel wrappers call this). Cheap when nothing
 * is pending.
 */
export function materializeInputs(backend: unknown, inputs: Record<string, tf.TensorInfo | undefined>): void {
  const c = resident.get(backend as object);
  if (!c || c.pendingCount === 0) return;
  for (const name in inputs) {
    const t = inputs[name];
    if (t) c.materialize(t.dataId);
  }
}

function forgetResident(): void {
  for (const c of liveCopies) {
    c.materializeAll();
    c.drop();
  }
  liveCopies.clear();
  resident = new WeakMap();
}

/** Tensors of `backend` with a resident copy in the native heap, and how many of them are not yet written back (tests, diagnostics). */
export function residentCopyCount(backend: unknown): number {
  return resident.get(backend as object)?.size ?? 0;
}

export function pendingWriteBackCount(backend: unknown): number {
  return resident.get(backend as object)?.pendingCount ?? 0;
}

/**
 * Binds a native kernel to a backend: inputs are used from (or copied once into) the native
 * heap; outputs are computed there and kept resident, and written to the backend's own
 * storage when something other than a native kernel reads them.
 */
export function bindNativeKernel(d: NativeKernelDef, k: NativeKernels, storage: F32Storage): KernelImpl {
  return {
    kernel: d.kernel,
    variant: d.variant,
    description: d.description,
    readsResident: true,
    supports: (shape, call) => d.supports(shape, call),
    run(args: KernelArgs, call: CallInfo) {
      const attrs = args.attrs ?? {};
      const copies = residentCopies(args.backend, k, storage);
      const shapes = d.outputShapes(call, args.inputs, attrs);
      const ins = inputNames(d, attrs).map((name) => (args.inputs[name] ? copies.input(args.inputs[name]) : EMPTY));
      const outs = shapes.map((s) => k.heap.alloc(s.reduce((a, b) => a * b, 1)));
      try {
        setPoolMode(k, d.poolMode?.(call) ?? 'pool');
        d.compute(ins, outs, call, attrs);
      } catch (e) {
        for (const o of outs) o.dispose();
        throw e;
      }
      // Outputs stay in the native heap until read: where the backend can, it holds no copy until then.
      const infos = shapes.map((s) => (storage.allocDeferred ? storage.allocDeferred(args.backend, s) : storage.alloc(args.backend, s)));
      infos.forEach((t, i) => copies.keepPending(t, outs[i]));
      return d.multiOutput ? infos : infos[0];
    },
  };
}

let users = 0;

export interface NativeVariantOptions {
  /**
   * Also the native residual `Add` and global-pool `Mean` (`nativeElementwiseDefs`), so that a
   * chain of native convolutions never leaves the native heap (the cpu plugin, whose stock
   * element-wise kernels would read every activation back into a JS array).
   */
  elementwise?: boolean;
  /**
   * Also single-threaded fused forward convolutions for small calls (`nativeSingleThreadDefs`),
   * listed before the multithreaded ones: batch-1 inference without fork-joins.
   */
  smallSingleThread?: boolean;
}

/**
 * Native variants bound to a backend's storage; [] where the native kernels cannot load.
 * Each call takes a reference on the shared native runtime; `releaseNative()` gives it back.
 */
export async function nativeVariants(storage: F32Storage, threads?: number, options: NativeVariantOptions = {}): Promise<KernelImpl[]> {
  const k = await loadNative(threads);
  if (!k) return [];
  users++;
  if (process.env.FBNET_X_OLD) return nativeF32Kernels(k).map((f) => bindF32Kernel(f, storage)); // TEMP
  const main = nativeKernelDefs(k);
  const defs = [...(options.smallSingleThread ? nativeSingleThreadDefs(k, main) : []), ...main, ...(options.elementwise ? nativeElementwiseDefs(k) : [])];
  return defs.map((d) => bindNativeKernel(d, k, storage));
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
  forgetResident(); // writes every pending result back while the heap is still there
  residentRuntime = undefined;
  if (k) setPoolMode(k, 'pool');
  await k?.dispose();
}
