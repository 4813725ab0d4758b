import { benchmarkPlan, dedupe, kernelCasesForArch, planFileName, saveKernelPlan, userPlansDir } from '@fbnet/backend-common';
import type { ArchDef, BackendPlugin, DeviceFingerprint, KernelPlan } from '@fbnet/core';
import { loadArch } from './setup.ts';

/** How a plan is tuned on first use. */
export interface AutotuneOptions {
  /** The net whose kernel shapes are timed (default: the reference net `fbnet-bench-28`, training at batch 64 and batch-1 inference). */
  arch?: ArchDef | string;
  batch?: number;
  /** Time budget per variant, ms (default 60: a plan in well under a minute on 2 cores). */
  timeMs?: number;
  /** Progress: variants timed of the total. */
  onProgress?(done: number, total: number): void;
  /** Said once before tuning starts (why, and where the plan will go). */
  onStart?(message: string): void;
}

export const REFERENCE_NET = decodeURIComponent(new URL('../../../benchmarks/nets/fbnet-bench-28.json', import.meta.url).pathname);

/**
 * Tune a kernel plan for this device and cache it per user (`userPlansDir()`), keyed on what
 * decides kernel speed (the device fingerprint without the OS build: CPU model, cores, runtime,
 * backend and its version): every supported variant of every kernel of the reference net is
 * timed (training step at batch 64, inference at batch 1) and the fastest correct one per shape
 * kept. Later runs on this device load it without measuring.
 */
export async function autotunePlan(plugin: BackendPlugin, device: Omit<DeviceFingerprint, 'planHash'>, o: AutotuneOptions = {}): Promise<{ plan: KernelPlan; path: string }> {
  const path = await import('node:path');
  const file = path.join(await userPlansDir(), planFileName(device));
  o.onStart?.(`no kernel plan for this device (${device.cpuModel}, ${device.cores} cores, ${device.backend} ${device.backendVersion}): tuning one once (≈${Math.round(((o.timeMs ?? 60) * 2.5 * 70) / 1000)} s), cached at ${file}`);
  const { def } = await loadArch(o.arch ?? REFERENCE_NET);
  const batch = o.batch ?? 64;
  const cases = dedupe([...kernelCasesForArch(def, batch, { backward: true }), ...kernelCasesForArch(def, 1, { backward: false })]);
  plugin.usePlan?.(undefined);
  const { plan } = await benchmarkPlan(plugin, cases, { timeMs: o.timeMs ?? 60, onResult: (_t, i, total) => o.onProgress?.(i + 1, total) });
  await saveKernelPlan(file, plan);
  return { plan, path: file };
}
