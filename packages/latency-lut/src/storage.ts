import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { FILE_SIZE_CAPS, readTextCapped } from '@fbnet/core/node';
import { assertLutDevice } from './device.ts';
import { parseLut, type LatencyTable, type LutDevice } from './schema.ts';

export interface LoadLutOptions {
  /** When given, refuse a table measured under another fingerprint (DEVICE_MISMATCH) unless `force`. */
  device?: LutDevice;
  force?: boolean;
}

/** Read (size-capped) and validate a table file; errors name the file and the field at fault. */
export function loadLut(path: string, options: LoadLutOptions = {}): LatencyTable {
  const text = readTextCapped(path, 'latency table', FILE_SIZE_CAPS.latencyTable);
  const lut = parseLut(text, `latency table ${path}`);
  if (options.device) assertLutDevice(lut, options.device, { force: options.force });
  return lut;
}

export function lutExists(path: string): boolean {
  return existsSync(path);
}

let tmpCounter = 0;

/** Write JSON atomically: a temporary file in the same folder, then rename over the target. */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${tmpCounter++}.tmp`);
  try {
    await writeFile(tmp, JSON.stringify(value, null, 1) + '\n', 'utf8');
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export async function saveLut(path: string, lut: LatencyTable): Promise<void> {
  parseLut(lut, 'latency table to write');
  await writeJsonAtomic(path, lut);
}
