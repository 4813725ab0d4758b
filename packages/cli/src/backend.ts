import * as tf from '@tensorflow/tfjs-core';
import { chooseBackend, setupPlugin, type BackendChoice } from '@fbnet/bench';
import type { BackendPlugin, KernelPlan } from '@fbnet/core';
import { AUTO_BACKEND } from './commands/backends.ts';

export type { BackendChoice } from '@fbnet/bench';

export interface ActiveBackend {
  id: string;
  plugin: BackendPlugin;
  tfBackend: string;
  version: string;
  /** The kernel plan in use (this device's, when `fbnet bench kernels` made one). */
  plan?: KernelPlan;
  /** With `--backend auto`: what was measured and why `id` won. */
  choice?: BackendChoice;
}

/** The one line `--backend auto` prints. */
export function describeChoice(choice: BackendChoice): string {
  return `--backend auto chose ${choice.chosen}: ${choice.reason} [score: ${choice.score}]`;
}

/**
 * Load, check and activate a backend plugin with this device's kernel plan when one exists
 * (`fbnet bench kernels` writes it); unavailable plugins say why. `auto` first benchmarks every
 * available registered plugin briefly and activates the fastest (`choice` says why).
 */
export async function initBackend(id: string, options: { threads?: number; plan?: string; forcePlan?: boolean; autotune?: boolean } = {}): Promise<ActiveBackend> {
  const choice = id === AUTO_BACKEND ? await chooseBackend({ threads: options.threads }) : undefined;
  const backend = choice?.chosen ?? id;
  const { threads, forcePlan } = options;
  const tune = options.autotune ?? autotuneWanted();
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const autotune = tune
    ? {
        onStart: say,
        onProgress: (done: number, total: number) => {
          if (done === total || done % Math.max(1, Math.round(total / 4)) === 0) say(`  kernel plan: ${done}/${total} variants timed`);
        },
      }
    : false;
  const { plugin, plan } = await setupPlugin({ backend, plan: options.plan ?? 'auto', forcePlan, threads, autotune });
  return { id: plugin.id, plugin, tfBackend: tf.getBackend(), version: plugin.version(), plan, ...(choice ? { choice } : {}) };
}

/**
 * Tune a kernel plan on first use when this device has none (committed or cached): on by
 * default; `FBNET_AUTOTUNE=0` turns it off, `=1` on. Off under CI and test runners (a plan is
 * tuned per machine, once; a test run should not tune in every process) unless `=1`.
 */
export function autotuneWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.FBNET_AUTOTUNE === '1') return true;
  if (env.FBNET_AUTOTUNE === '0') return false;
  return !env.CI && !env.VITEST;
}
