import { availableParallelism, cpus, platform, arch } from 'node:os';
import type { BackendPlugin, KernelPlan } from '@fbnet/core';
import { NN_INFERENCE_VERSION } from '@fbnet/nn';
import { planHash } from './device.ts';
import type { LutDevice } from './schema.ts';

/** This machine's fingerprint for a backend plugin and kernel plan (Node). */
export function nodeFingerprint(backend: Pick<BackendPlugin, 'id' | 'version'>, plan?: KernelPlan): LutDevice {
  const c = cpus();
  return {
    cpuModel: (c[0]?.model ?? 'unknown').trim(),
    cores: typeof availableParallelism === 'function' ? availableParallelism() : c.length,
    // Platform and architecture only: the kernel build does not change block latency (osKey).
    os: `${platform()} ${arch()}`,
    runtime: `node ${process.versions.node}`,
    backend: backend.id,
    // The blocks' inference path is part of what a table measured (e.g. BN folding).
    backendVersion: `${backend.version()}; nn ${NN_INFERENCE_VERSION}`,
    planHash: planHash(plan),
  };
}
