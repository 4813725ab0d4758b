import * as tf from '@tensorflow/tfjs-core';
import { bindF32Kernel, jsKernels, JS_TRAINING_KERNELS, TfjsBackendPlugin, type KernelImpl } from '@fbnet/backend-common';
import { conv2DBackpropFilterWasmMatMul } from './kernels/Conv2DBackpropFilter.ts';
import { nativeVariants, nativeVersion, releaseNative } from './native.ts';
import { wasmStorage } from './storage.ts';

interface WasmModule {
  version_wasm: string;
  getThreadsCount(): number;
  setThreadsCount(n: number): void;
}

let wasmModule: WasmModule | undefined;
let simd: boolean | undefined;
let threads: boolean | undefined;

function isNode(): boolean {
  return !!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
}

interface RefCountingBackend {
  incRef(dataId: tf.DataId): void;
}

/** Identity without a copy: the output shares the input's data (reference counted by the backend). */
function shareIdentity({ inputs: { x }, backend }: { inputs: { x: tf.TensorInfo }; backend: RefCountingBackend }): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/** Creates the `wasm` plugin: tfjs-backend-wasm + the training kernels it lacks. */
export function createWasmPlugin(): TfjsBackendPlugin {
  return new TfjsBackendPlugin({
    id: 'wasm',
    tfBackend: 'wasm',
    description: '@tensorflow/tfjs-backend-wasm (XNNPACK, SIMD) with fbnet training kernels (conv/depthwise backprop, fused BN+act)',
    version: () => `tfjs-backend-wasm ${wasmModule?.version_wasm ?? 'unloaded'}${simd === undefined ? '' : simd ? ' simd' : ' no-simd'}${threads ? ` threads=${wasmModule!.getThreadsCount()}` : ''}; fbnet-kernels js-1${nativeVersion() ? `; native ${nativeVersion()}` : ''}`,
    async availability() {
      if (typeof WebAssembly !== 'object') return { available: false, reason: 'this runtime has no WebAssembly' };
      await import('@tensorflow/tfjs-backend-wasm');
      simd = (await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) as boolean;
      threads = (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) as boolean;
      const why = threads
        ? 'threads on'
        : isNode()
          ? 'threads off: tfjs-backend-wasm disables its pthreads build in Node (tfjs#3830)'
          : 'threads off: needs cross-origin isolation (SharedArrayBuffer)';
      return { available: true, detail: `SIMD ${simd ? 'on' : 'off'}; ${why}` };
    },
    async load(options) {
      wasmModule = (await import('@tensorflow/tfjs-backend-wasm')) as unknown as WasmModule;
      if (options.threads && threads) wasmModule.setThreadsCount(options.threads);
    },
    // XNNPACK's forward convolutions are hard to beat from JS; the benchmark may still disagree per shape.
    preferences: { Conv2D: ['tfjs'], DepthwiseConv2dNative: ['tfjs'], FusedConv2D: ['tfjs'], FusedDepthwiseConv2D: ['tfjs'] },
    release: () => releaseNative(),
    // tfjs-backend-wasm's Identity copies its input. TF.js clones every tensor it saves for a
    // gradient (hundreds per training step), and data never changes once written, so sharing
    // the data (as tfjs-backend-cpu does) is exact and also lets the native kernels find the
    // saved activations resident.
    replacements: [{ kernelName: 'Identity', backendName: 'wasm', kernelFunc: shareIdentity as unknown as tf.KernelFunc }],
    async kernels(options): Promise<KernelImpl[]> {
      const native = await nativeVariants(wasmStorage, options.threads);
      // tfjs-backend-wasm reduces over inner axes by transposing first: global pooling (axes 1,2) is slow.
      const reductions = [jsKernels.meanJs, jsKernels.sumJs];
      return [...native, conv2DBackpropFilterWasmMatMul, ...[...JS_TRAINING_KERNELS, ...reductions].map((k) => bindF32Kernel(k, wasmStorage))];
    },
  });
}

export const wasmPlugin = createWasmPlugin();
