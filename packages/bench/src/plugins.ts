import { FbnetError, type BackendPlugin } from '@fbnet/core';

/** Plugin ids the benchmarks know how to load, in the order they are tried. */
export const KNOWN_PLUGINS = ['cpu', 'wasm', 'webgpu', 'node-gpu'] as const;
export type KnownPluginId = (typeof KNOWN_PLUGINS)[number];

/** The plugin object for an id (imports its package lazily, so optional ones cost nothing). */
export async function resolvePlugin(p: string | BackendPlugin): Promise<BackendPlugin> {
  if (typeof p !== 'string') return p;
  switch (p) {
    case 'cpu':
      return (await import('@fbnet/backend-cpu')).cpuPlugin;
    case 'wasm':
      return (await import('@fbnet/backend-wasm')).wasmPlugin;
    case 'webgpu':
      return (await import('@fbnet/backend-webgpu')).webgpuPlugin;
    case 'node-gpu':
      return (await import('@fbnet/backend-node-gpu')).nodeGpuPlugin;
    default:
      throw new FbnetError('REGISTRY_UNKNOWN', `unknown backend plugin "${p}"; known: ${KNOWN_PLUGINS.join(', ')}`);
  }
}
