import { deviceSlug, type TfjsBackendPlugin } from '@fbnet/backend-common';
import type { DeviceFingerprint } from '@fbnet/core';

/** Default folder of per-device result files (relative to the working directory). */
export const RESULTS_DIR = 'benchmarks/results';

export interface DeviceResults {
  version: 1;
  device: Omit<DeviceFingerprint, 'backend' | 'backendVersion' | 'planHash'>;
  updatedAt: string;
  /** `<plugin>/<kind>` → the latest result of that kind (kernels, train, infer, compare). */
  results: Record<string, unknown>;
}

/**
 * Merge one result into `<dir>/<device>.json` (one file per device, one entry per plugin and
 * kind), so several runs and plugins accumulate. Returns the file path.
 */
export async function writeDeviceResult(fp: DeviceFingerprint, key: string, result: unknown, dir = RESULTS_DIR): Promise<string> {
  const fs = await import('node:fs/promises');
  const path = await import('node:path');
  const file = path.join(dir, `${deviceSlug(fp)}.json`);
  let doc: DeviceResults = { version: 1, device: { cpuModel: fp.cpuModel, cores: fp.cores, os: fp.os, runtime: fp.runtime }, updatedAt: '', results: {} };
  try {
    const prev = JSON.parse(await fs.readFile(file, 'utf8')) as DeviceResults;
    if (prev.version === 1 && prev.results) doc = { ...prev, device: doc.device };
  } catch {
    // First result for this device.
  }
  doc.updatedAt = new Date().toISOString();
  doc.results[key] = result;
  await fs.mkdir(dir, { recursive: true });
  await fs.writeFile(file, `${JSON.stringify(doc, null, 2)}\n`);
  return file;
}

/** Calls per kernel variant, where the plugin dispatches through @fbnet/backend-common. */
export function variantCalls(plugin: unknown): Record<string, Record<string, number>> | undefined {
  const d = (plugin as Partial<TfjsBackendPlugin>).dispatcher;
  return d ? d.callCounts() : undefined;
}

export function resetVariantCalls(plugin: unknown): void {
  (plugin as Partial<TfjsBackendPlugin>).dispatcher?.resetCounts();
}

/** Quantile of sorted samples (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.round(q * (sorted.length - 1))))];
}
