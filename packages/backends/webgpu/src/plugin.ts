import * as tf from '@tensorflow/tfjs-core';
import { TfjsBackendPlugin } from '@fbnet/backend-common';
import { gpuAccess, installNavigatorGpu, type GpuAccess } from './gpu.ts';

let tfjsVersion = 'unloaded';
let found: GpuAccess | undefined;

/**
 * Creates the `webgpu` plugin. Its kernels are the stock tfjs-backend-webgpu ones (WGSL);
 * the dispatcher is there so WGSL variants can be added and planned like on cpu/wasm.
 */
export function createWebgpuPlugin(): TfjsBackendPlugin {
  return new TfjsBackendPlugin({
    id: 'webgpu',
    tfBackend: 'webgpu',
    description: '@tensorflow/tfjs-backend-webgpu (browser WebGPU; Dawn in Node, OpenGL ES compatibility mode on GPU-less machines)',
    version: () => `tfjs-backend-webgpu ${tfjsVersion}${found ? `; ${found.path}: ${found.adapterDescription}` : ''}`,
    async availability() {
      const a = await gpuAccess();
      if ('reason' in a) return { available: false, reason: a.reason };
      found = a;
      const soft = a.compatibility ? ' (compatibility mode on a software rasterizer: correct but slow)' : '';
      return { available: true, detail: `${a.path}: ${a.adapterDescription}${soft}` };
    },
    async load() {
      const a = await gpuAccess();
      if ('reason' in a) throw new Error(a.reason);
      installNavigatorGpu(a.gpu);
      const m = (await import('@tensorflow/tfjs-backend-webgpu')) as { version_webgpu?: string };
      // tfjs-backend-webgpu does not export its version; it is released in lockstep with tfjs-core.
      tfjsVersion = m.version_webgpu ?? `(tfjs-core ${tf.version_core})`;
    },
    kernels: () => [],
  });
}

export const webgpuPlugin = createWebgpuPlugin();
