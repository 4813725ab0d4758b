import { availableParallelism, cpus, platform, release, arch } from 'node:os';
import type { BackendPlugin, KernelPlan } from '@fbnet/core';
import { planHash } from './device.ts';
import type { LutDevice } from './schema.ts';

/** This machine's fingerprint for a backend plugin and kernel plan (Node). */
export function nodeFingerprint(backend: Pick<BackendPlugin, 'id' | 'version'>, plan?: KernelPlan): LutDevice {
  const c = cpus();
  return {
    cpuModel: (c[0]?.model ?? 'unknown').trim(),
    cores: typeof availableParallelism === 'function' ? availableParallelism() : c.length,
    os: `${platform()} ${release()} ${arch()}`,
    runtime: `node ${process.versions.node}`,
    backend: backend.id,
    backendVersion: backend.version(),
    planHash: planHash(plan),
  };
}
