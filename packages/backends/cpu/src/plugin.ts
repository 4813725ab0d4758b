import { bindF32Kernel, JS_ELEMENTWISE_KERNELS, JS_FUSED_CONV_KERNELS, JS_TRAINING_KERNELS, TfjsBackendPlugin, type KernelImpl } from '@fbnet/backend-common';
import { cpuStorage } from './storage.ts';
import { nativeVariants, nativeVersion, releaseNative } from './native.ts';

let tfjsCpuVersion = 'unloaded';

/** Creates the `cpu` plugin (always available: pure JS). */
export function createCpuPlugin(): TfjsBackendPlugin {
  return new TfjsBackendPlugin({
    id: 'cpu',
    tfBackend: 'cpu',
    description: '@tensorflow/tfjs-backend-cpu with fbnet training kernels (JS GEMM convs, fused BN+act; native WASM SIMD when available)',
    version: () => `tfjs-backend-cpu ${tfjsCpuVersion}; fbnet-kernels js-1${nativeVersion() ? `; native ${nativeVersion()}` : ''}`,
    async availability() {
      return { available: true, detail: 'pure JS, runs everywhere' };
    },
    async load() {
      const m = await import('@tensorflow/tfjs-backend-cpu');
      tfjsCpuVersion = m.version_cpu;
    },
    release: () => releaseNative(),
    async kernels(options): Promise<KernelImpl[]> {
      const native = await nativeVariants(cpuStorage, options.threads);
      return [...native, ...[...JS_TRAINING_KERNELS, ...JS_FUSED_CONV_KERNELS, ...JS_ELEMENTWISE_KERNELS].map((k) => bindF32Kernel(k, cpuStorage))];
    },
  });
}

export const cpuPlugin = createCpuPlugin();
