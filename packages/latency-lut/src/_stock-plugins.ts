/**
 * Tiny local backend plugins (tests, benchmark script): stock TF.js cpu and wasm behind the core plugin
 * contract (the real plugins live in packages/backends/* and are not a dependency here).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { BackendPlugin } from '@fbnet/core';

tf.env().set('PROD', true);

function plugin(id: string, tfBackend: string, load: () => Promise<void>, version: () => string): BackendPlugin {
  return {
    id,
    tfBackend,
    description: `stock @tensorflow/tfjs-backend-${tfBackend} (stock plugin)`,
    async availability() {
      try {
        await load();
        return { available: true };
      } catch (e) {
        return { available: false, reason: (e as Error).message };
      }
    },
    async init() {
      await load();
      if (!(await tf.setBackend(tfBackend))) throw new Error(`tf.setBackend("${tfBackend}") failed`);
      await tf.ready();
    },
    variants: () => [],
    version,
  };
}

export const stockCpuPlugin: BackendPlugin = plugin('cpu', 'cpu', async () => {}, () => tf.version_core);

let wasmLoaded: Promise<void> | undefined;
export const stockWasmPlugin: BackendPlugin = plugin(
  'wasm',
  'wasm',
  () => (wasmLoaded ??= import('@tensorflow/tfjs-backend-wasm').then(() => undefined)),
  () => tf.version_core,
);
