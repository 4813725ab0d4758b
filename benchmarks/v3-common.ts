// Shared set-up of the V3 benchmarks: backend, space, candidate data, a cached in-process queue.
import { mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { proxyTargets } from '@fbnet/acc-predictor';
import { archPart, encodePoint, FileResultStore, getJointSpacePreset, InProcessQueue, jointArch, jointDimensions, pointFromUnit, pointKey, Sobol, type DataSpec } from '@fbnet/autotrain';

export async function initBackend(id = process.env.V3_BACKEND ?? 'cpu', threads = 1) {
  const plugin = id === 'wasm' ? (await import('@fbnet/backend-wasm')).createWasmPlugin() : (await import('@fbnet/backend-cpu')).createCpuPlugin();
  await plugin.init({ threads });
  return plugin;
}

/** `fbnet-v3-fmnist` (fixed 6-epoch schedule); `V3_SPACE=fbnet-v3-fmnist-epochs` reproduces the figures of the legacy space. */
export const space = getJointSpacePreset(process.env.V3_SPACE ?? 'fbnet-v3-fmnist');
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

/** The predictor benchmarks' proxy-pretraining set: n distinct architectures of the space (QMC, shift seed 12) with their FLOPs/params targets. */
export function proxySet(n = 2000): { archs: number[][]; targets: number[][] } {
  const proxy = new Sobol(jointDimensions(space).length, { shiftSeed: 12, index: 1 });
  const archs: number[][] = [], targets: number[][] = [];
  const seen = new Set<string>();
  while (archs.length < n) {
    const x = pointFromUnit(space, proxy.next());
    const k = pointKey(archPart(space, x));
    if (seen.has(k)) continue;
    seen.add(k);
    archs.push(encodePoint(space, x).arch);
    targets.push(proxyTargets(jointArch(space, x)));
  }
  return { archs, targets };
}
