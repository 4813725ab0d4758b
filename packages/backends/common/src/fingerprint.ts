import type { BackendPlugin, DeviceFingerprint, KernelPlan } from '@fbnet/core';
import { planHash } from './plan.ts';

interface NodeLike {
  versions?: { node?: string };
  platform?: string;
  arch?: string;
}

/**
 * Where kernels were measured: CPU model, cores, OS, runtime, plugin and backend version,
 * plus the hash of the plan in use. Works in Node (os module) and in browsers (navigator).
 */
export async function deviceFingerprint(plugin: Pick<BackendPlugin, 'id' | 'version'>, plan?: KernelPlan): Promise<DeviceFingerprint> {
  const proc = (globalThis as { process?: NodeLike }).process;
  let cpuModel = 'unknown';
  let cores = 1;
  let os = 'unknown';
  let runtime = 'unknown';
  if (proc?.versions?.node) {
    const nodeOs = await import('node:os');
    const cpus = nodeOs.cpus();
    cpuModel = (cpus[0]?.model ?? 'unknown').trim().replace(/\s+/g, ' ');
    cores = typeof nodeOs.availableParallelism === 'function' ? nodeOs.availableParallelism() : cpus.length;
    // Platform and architecture only: the kernel build does not change kernel speed (osKey).
    os = `${proc.platform} ${proc.arch}`;
    runtime = `node ${proc.versions.node}`;
  } else {
    const nav = (globalThis as { navigator?: { hardwareConcurrency?: number; userAgent?: string; platform?: string } }).navigator;
    cores = nav?.hardwareConcurrency ?? 1;
    os = nav?.platform ?? 'unknown';
    runtime = nav?.userAgent ?? 'unknown';
  }
  return { cpuModel, cores, os, runtime, backend: plugin.id, backendVersion: plugin.version(), planHash: plan ? planHash(plan) : 'none' };
}

/** A short file-name-safe name of a device, e.g. `amd-epyc-2c-linux-node20`. */
export function deviceSlug(fp: Pick<DeviceFingerprint, 'cpuModel' | 'cores' | 'os' | 'runtime'>): string {
  const slug = (s: string) =>
    s
      .toLowerCase()
      .replace(/\(r\)|\(tm\)|cpu|processor|@.*$/g, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '');
  const platform = fp.os.split(' ')[0] ?? 'unknown';
  const runtime = fp.runtime.startsWith('node ') ? `node${fp.runtime.slice(5).replace(/^v/, '').split('.')[0]}` : 'browser';
  return [slug(fp.cpuModel) || 'cpu', `${fp.cores}c`, slug(platform), runtime].join('-');
}
