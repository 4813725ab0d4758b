import * as tf from '@tensorflow/tfjs-core';
import { FbnetError, safeAvailability, type BackendPlugin } from '@fbnet/core';

export interface ActiveBackend {
  id: string;
  plugin: BackendPlugin;
  tfBackend: string;
  version: string;
}

/** Backend plugins by id; each lives in its own package and is loaded on demand. */
const PLUGINS: Record<string, () => Promise<BackendPlugin>> = {
  cpu: async () => (await import('@fbnet/backend-cpu')).createCpuPlugin(),
  wasm: async () => (await import('@fbnet/backend-wasm')).createWasmPlugin(),
};

export function knownBackends(): string[] {
  return Object.keys(PLUGINS);
}

export async function loadPlugin(id: string): Promise<BackendPlugin> {
  const make = PLUGINS[id];
  if (!make) throw new FbnetError('USAGE', `unknown backend "${id}"; known: ${knownBackends().join(', ')}`);
  return make();
}

/** Load, check and activate a backend plugin; unavailable plugins say why. */
export async function initBackend(id: string, options: { threads?: number } = {}): Promise<ActiveBackend> {
  tf.env().set('PROD', true);
  const plugin = await loadPlugin(id);
  const a = await safeAvailability(plugin);
  if (!a.available) throw new FbnetError('BACKEND_UNAVAILABLE', `backend "${id}" is not available here: ${a.reason}`);
  await plugin.init({ threads: options.threads });
  return { id, plugin, tfBackend: tf.getBackend(), version: plugin.version() };
}
