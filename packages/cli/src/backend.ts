import * as tf from '@tensorflow/tfjs-core';
import { KNOWN_PLUGINS, setupPlugin } from '@fbnet/bench';
import type { BackendPlugin, KernelPlan } from '@fbnet/core';

export interface ActiveBackend {
  id: string;
  plugin: BackendPlugin;
  tfBackend: string;
  version: string;
  /** The kernel plan in use (this device's, when `fbnet bench kernels` made one). */
  plan?: KernelPlan;
}

export function knownBackends(): string[] {
  return [...KNOWN_PLUGINS];
}

/**
 * Load, check and activate a backend plugin with this device's kernel plan when one exists
 * (`fbnet bench kernels` writes it); unavailable plugins say why.
 */
export async function initBackend(id: string, options: { threads?: number; plan?: string; forcePlan?: boolean } = {}): Promise<ActiveBackend> {
  const { plugin, plan } = await setupPlugin({ backend: id, plan: options.plan ?? 'auto', forcePlan: options.forcePlan, threads: options.threads });
  return { id: plugin.id, plugin, tfBackend: tf.getBackend(), version: plugin.version(), plan };
}
