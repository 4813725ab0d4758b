/**
 * An example third-party backend plugin: the stock `cpu` plugin plus one extra kernel variant,
 * an `Add` for two tensors of the same shape (no broadcasting). Importing this module registers
 * `cpu-plus` with core's BACKEND_PLUGINS; nothing else in fbnet-ts is edited:
 *
 *   FBNET_PLUGINS=docs/examples/cpu-plus-plugin.ts fbnet bench infer --arch net.json --backend cpu-plus
 *
 * The registration is lazy: only `@fbnet/core` loads with this module; the cpu backend and TF.js
 * load when the plugin is first asked for. docs/backends.md ("Writing a plugin") walks through it;
 * cpu-plus-plugin.test.ts runs it.
 */
import { BACKEND_PLUGINS } from '@fbnet/core';
import type { F32Kernel } from '@fbnet/backend-common';

/** `Add` without broadcasting: one loop, taken only when both inputs have the same shape. */
export const sameShapeAdd: F32Kernel = {
  kernel: 'Add',
  variant: 'same-shape-js',
  description: 'a + b for inputs of equal shape, one flat loop',
  inputs: ['a', 'b'],
  // describeCall gives the input shapes as `2x14x14x16` strings.
  supports: (shape) => shape.a === shape.b,
  outputShapes: (_call, inputs) => [inputs.a.shape],
  compute: ([a, b], [out]) => {
    for (let i = 0; i < out.length; i++) out[i] = a[i] + b[i];
  },
};

BACKEND_PLUGINS.register('cpu-plus', async () => {
  const { bindF32Kernel, TfjsBackendPlugin } = await import('@fbnet/backend-common');
  const { createCpuPlugin, cpuStorage } = await import('@fbnet/backend-cpu');
  const cpu = createCpuPlugin();
  return new TfjsBackendPlugin({
    ...cpu.spec,
    id: 'cpu-plus',
    description: 'the cpu plugin plus a same-shape Add variant (docs/examples/cpu-plus-plugin.ts)',
    // The extra variant enters the device fingerprint, so kernel plans made with it are told apart.
    version: () => `${cpu.spec.version()}; cpu-plus 1`,
    // Listed first: without a plan, the first variant that supports a call runs.
    kernels: async (options) => [bindF32Kernel(sameShapeAdd, cpuStorage), ...(await cpu.spec.kernels(options))],
  });
});
