import { z } from 'zod';
import { canonicalJson, FbnetError, fileSlug, fnv1a, formatZodIssues, osKey, shapeKey, type DeviceFingerprint, type KernelPlan, type KernelPlanEntry } from '@fbnet/core';

/**
 * Kernel plan: which variant runs each (kernel, shape) on one device and plugin, chosen by
 * benchmark. Plain JSON with a version, validated at every boundary; only valid on the
 * device (CPU, cores, OS, runtime, plugin, backend version) it was measured on.
 */
export const deviceSchema = z
  .object({
    cpuModel: z.string(),
    cores: z.number().int().positive(),
    os: z.string(),
    runtime: z.string(),
    backend: z.string(),
    backendVersion: z.string(),
  })
  .strict();

export const kernelPlanSchema = z
  .object({
    version: z.literal(1),
    device: deviceSchema,
    createdAt: z.string(),
    entries: z.array(
      z
        .object({
          kernel: z.string().min(1),
          shape: z.string(),
          variant: z.string().min(1),
          medianMs: z.number().nonnegative(),
        })
        .strict(),
    ),
    defaults: z.record(z.string(), z.string()),
  })
  .strict();

export function parseKernelPlan(input: unknown, source = 'kernel plan'): KernelPlan {
  let json = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (e) {
      throw new FbnetError('FILE_INVALID', `invalid ${source}: not valid JSON (${(e as Error).message})`);
    }
  }
  const r = kernelPlanSchema.safeParse(json);
  if (!r.success) throw new FbnetError('FILE_INVALID', `invalid ${source}: ${formatZodIssues(r.error)}`);
  return r.data as KernelPlan;
}

export { fnv1a, planHash } from '@fbnet/core';

const DEVICE_FIELDS = ['cpuModel', 'cores', 'os', 'runtime', 'backend', 'backendVersion'] as const;

/** Fields in which the plan's device differs from this one: `cores: plan 16, here 2`. */
export function planDeviceDifferences(plan: KernelPlan, here: Omit<DeviceFingerprint, 'planHash'>): string[] {
  const same = (f: (typeof DEVICE_FIELDS)[number]) => (f === 'os' ? osKey(plan.device.os) === osKey(here.os) : plan.device[f] === here[f]);
  return DEVICE_FIELDS.filter((f) => !same(f)).map((f) => `${f}: plan ${JSON.stringify(plan.device[f])}, here ${JSON.stringify(here[f])}`);
}

/** Throws DEVICE_MISMATCH naming what differs, unless `force`. Returns the differences. */
export function checkPlanDevice(plan: KernelPlan, here: Omit<DeviceFingerprint, 'planHash'>, force = false): string[] {
  const diff = planDeviceDifferences(plan, here);
  if (diff.length && !force) {
    throw new FbnetError('DEVICE_MISMATCH', `kernel plan was measured on another device (${diff.join('; ')}); re-run the kernel benchmark here, or force it`);
  }
  return diff;
}

/** Plans are stored under a name derived from the device they belong to. */
export function planFileName(device: Omit<DeviceFingerprint, 'planHash'>): string {
  return `kernel-plan-${fileSlug(device.backend)}-${fnv1a(canonicalJson({ ...device, os: osKey(device.os) }))}.json`;
}

export interface TimedVariant {
  kernel: string;
  shape: string;
  variant: string;
  medianMs: number;
}

/** The fastest variant per (kernel, shape); per kernel, the default is the variant that wins most shapes. */
export function planFromTimings(timings: TimedVariant[], device: Omit<DeviceFingerprint, 'planHash'>, createdAt = new Date().toISOString()): KernelPlan {
  const best = new Map<string, TimedVariant>();
  for (const t of timings) {
    if (!Number.isFinite(t.medianMs)) continue;
    const key = `${t.kernel}\u0000${t.shape}`;
    const cur = best.get(key);
    if (!cur || t.medianMs < cur.medianMs) best.set(key, t);
  }
  const entries: KernelPlanEntry[] = [...best.values()]
    .map((t) => ({ kernel: t.kernel, shape: t.shape, variant: t.variant, medianMs: t.medianMs }))
    .sort((a, b) => (a.kernel === b.kernel ? (a.shape < b.shape ? -1 : 1) : a.kernel < b.kernel ? -1 : 1));
  const wins = new Map<string, Map<string, number>>();
  for (const e of entries) {
    const m = wins.get(e.kernel) ?? new Map<string, number>();
    m.set(e.variant, (m.get(e.variant) ?? 0) + 1);
    wins.set(e.kernel, m);
  }
  const defaults: Record<string, string> = {};
  for (const [k, m] of wins) defaults[k] = [...m.entries()].sort((a, b) => b[1] - a[1])[0][0];
  return { version: 1, device: { ...device }, createdAt, entries, defaults };
}

export { shapeKey };
