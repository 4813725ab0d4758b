// Shared set-up of the V3 benchmarks: backend, space, candidate data, a cached in-process queue.
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { FileResultStore, getJointSpacePreset, InProcessQueue, type DataSpec } from '@fbnet/autotrain';

export async function initBackend(id = process.env.V3_BACKEND ?? 'cpu', threads = 1) {
  const plugin = id === 'wasm' ? (await import('@fbnet/backend-wasm')).createWasmPlugin() : (await import('@fbnet/backend-cpu')).createCpuPlugin();
  await plugin.init({ threads });
  return plugin;
}

export const space = getJointSpacePreset('fbnet-v3-fmnist');
export const data: DataSpec = { source: 'fashion-mnist', trainImages: 1000, valImages: 300, seed: 0 };
export const BUDGET = 3;

/** Trained candidates are cached under tmp/ so a re-run only trains what is missing. */
export function cachedQueue(name: string) {
  mkdirSync('tmp/v3-bench', { recursive: true });
  return new InProcessQueue({ store: new FileResultStore(`tmp/v3-bench/${name}.jsonl`) });
}

export function machine() {
  return { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? '?', node: process.version, loadavg: loadavg() };
}
