import type { DeviceFingerprint } from '@fbnet/core';
import { deviceSlug } from '../fingerprint.ts';

/** Default folder of per-device result files (relative to the working directory). */
export const RESULTS_DIR = 'benchmarks/results';

export interface DeviceResults {
  version: 1;
  device: Omit<DeviceFingerprint, 'backend' | 'backendVersion' | 'planHash'>;
  updatedAt: string;
  /** `<plugin or package>/<kind>` → the latest result of that kind (kernels, train, infer, ...). */
  results: Record<string, unknown>;
}

/**
 * Merge one result into `<dir>/<device>.json` (one file per device, one entry per plugin and
 * kind), so several runs and plugins accumulate. Node only. Returns the file path.
 */
export async function writeDeviceResult(fp: Omit<DeviceFingerprint, 'backend' | 'backendVersion' | 'planHash'>, key: string, result: unknown, dir = RESULTS_DIR): Promise<string> {
  const fs = await import('node:fs/promises');
  const { fileSlug, safeJoin } = await import('@fbnet/core/node');
  const file = safeJoin(dir, `${fileSlug(deviceSlug(fp), 120)}.json`);
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
