import { BACKEND_PLUGINS, type BackendPlugin, type PluginRegistry } from '@fbnet/core';

/**
 * The built-in plugin ids, in the order `--backend auto` tries them. This module imports nothing
 * but `@fbnet/core` (it is also the light `@fbnet/bench/plugins` entry the CLI checks flags with):
 * each plugin's package is imported only when the plugin is first asked for.
 */
export const KNOWN_PLUGINS = ['cpu', 'wasm', 'webgpu', 'node-gpu'] as const;
export type KnownPluginId = (typeof KNOWN_PLUGINS)[number];

const BUILTIN_LOADERS: Record<KnownPluginId, () => Promise<BackendPlugin>> = {
  cpu: async () => (await import('@fbnet/backend-cpu')).cpuPlugin,
  wasm: async () => (await import('@fbnet/backend-wasm')).wasmPlugin,
  webgpu: async () => (await import('@fbnet/backend-webgpu')).webgpuPlugin,
  'node-gpu': async () => (await import('@fbnet/backend-node-gpu')).nodeGpuPlugin,
};

/** Register the built-in plugins (lazily) with a registry; `BACKEND_PLUGINS` gets them when this module loads. */
export function registerBuiltinPlugins(registry: PluginRegistry): void {
  for (const id of KNOWN_PLUGINS) registry.register(id, BUILTIN_LOADERS[id]);
}

registerBuiltinPlugins(BACKEND_PLUGINS);

/** Every registered plugin id: the built-ins, then third-party plugins in the order they registered. */
export function registeredPlugins(): string[] {
  return BACKEND_PLUGINS.ids();
}

/** The plugin object for an id, through the registry (an unknown id throws REGISTRY_UNKNOWN listing the known ones). */
export async function resolvePlugin(p: string | BackendPlugin): Promise<BackendPlugin> {
  if (typeof p !== 'string') return p;
  return BACKEND_PLUGINS.load(p);
}
