import { FbnetError, osKey, planHash as corePlanHash, type KernelPlan } from '@fbnet/core';
import type { LatencyTable, LutDevice } from './schema.ts';

const FIELDS = ['cpuModel', 'cores', 'os', 'runtime', 'backend', 'backendVersion', 'planHash'] as const;

export interface FingerprintDifference {
  field: string;
  table: string;
  current: string;
}

/** The kernel plan's hash (core's `planHash`: its decisions, not its timings), or 'none'. */
export function planHash(plan: KernelPlan | undefined): string {
  return plan ? corePlanHash(plan) : 'none';
}

/** Fingerprint fields that differ, in a fixed order (extras compared key by key). */
export function fingerprintDifferences(table: LutDevice, current: LutDevice): FingerprintDifference[] {
  const out: FingerprintDifference[] = [];
  for (const f of FIELDS) {
    const same = f === 'os' ? osKey(table.os) === osKey(current.os) : String(table[f]) === String(current[f]);
    if (!same) out.push({ field: f, table: String(table[f]), current: String(current[f]) });
  }
  const keys = new Set([...Object.keys(table.extra ?? {}), ...Object.keys(current.extra ?? {})]);
  for (const k of [...keys].sort()) {
    const a = table.extra?.[k];
    const b = current.extra?.[k];
    if (a !== b) out.push({ field: `extra.${k}`, table: a ?? '(absent)', current: b ?? '(absent)' });
  }
  return out;
}

export function formatDifferences(d: FingerprintDifference[]): string {
  return d.map((x) => `${x.field}: table "${x.table}" vs this device "${x.current}"`).join('; ');
}

/**
 * A table measured on another device, backend, backend version or kernel plan does not
 * predict this one: refuse it, naming every differing field, unless the caller forces it.
 * Returns the differences (empty when they match; non-empty only when forced).
 */
export function assertLutDevice(lut: Pick<LatencyTable, 'device'>, current: LutDevice, options: { force?: boolean } = {}): FingerprintDifference[] {
  const d = fingerprintDifferences(lut.device, current);
  if (d.length && !options.force) {
    throw new FbnetError(
      'DEVICE_MISMATCH',
      `latency table was measured on another device or version (${formatDifferences(d)}); re-measure it here (fbnet lut measure), or pass force to use it anyway`,
    );
  }
  return d;
}
