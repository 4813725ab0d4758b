import { benchmarkPlan, dedupe, PLANS_DIR, kernelCasesForArch, kernelCasesForSpace, planFileName, saveKernelPlan, type KernelBenchOptions, type KernelCase, type VariantTiming } from '@fbnet/backend-common';
import { FbnetError, parseSearchSpace, type ArchDef, type BackendPlugin, type DeviceFingerprint, type KernelPlan, type SearchSpace } from '@fbnet/core';
import { RESULTS_DIR, writeDeviceResult } from './results.ts';
import { loadArch, setupPlugin } from './setup.ts';

export interface BenchKernelsOptions extends Pick<KernelBenchOptions, 'timeMs' | 'iterations' | 'warmupIterations' | 'variants' | 'signal' | 'onResult'> {
  /** Arch def (object or JSON path) whose kernel shapes to time... */
  arch?: ArchDef | string;
  /** ...or a search space (object or JSON path): the union of its candidates' shapes. */
  space?: SearchSpace | string;
  backend: string | BackendPlugin;
  batch?: number;
  /** Forward kernels only (latency tables) instead of the training set. */
  forwardOnly?: boolean;
  /** Also time the forward kernels at this batch (e.g. 1 for inference latency), in the same plan. */
  forwardBatch?: number;
  /** Where to write the plan (default `benchmarks/results/plans/<device plan name>`, where `loadDevicePlan` finds it). */
  out?: string;
  /** Folder of per-device result files (default benchmarks/results); null to skip writing. */
  resultsDir?: string | null;
  threads?: number;
}

export interface BenchKernelsResult {
  kind: 'kernels';
  backend: string;
  batch: number;
  plan: KernelPlan;
  planPath: string;
  resultsPath?: string;
  timings: VariantTiming[];
  fingerprint: DeviceFingerprint;
}

/**
 * Times every supported variant of every kernel (forward and backprop) the arch / space
 * uses at batch N on one plugin, writes the resulting kernel plan (fastest correct variant
 * per shape) and the timings to the device's results file.
 */
export async function benchKernels(o: BenchKernelsOptions): Promise<BenchKernelsResult> {
  const batch = o.batch ?? 64;
  const { plugin, fingerprint } = await setupPlugin({ backend: o.backend, threads: o.threads });
  // Time from a clean slate: no plan, nothing forced.
  plugin.usePlan?.(undefined);
  let casesAt: (n: number, backward: boolean) => KernelCase[];
  if (o.space !== undefined) {
    const { FILE_SIZE_CAPS, readTextCapped } = await import('@fbnet/core/node');
    const space = parseSearchSpace(typeof o.space === 'string' ? readTextCapped(o.space, 'search space', FILE_SIZE_CAPS.searchSpace) : o.space);
    casesAt = (n, backward) => kernelCasesForSpace(space, n, { backward });
  } else if (o.arch !== undefined) {
    const { def } = await loadArch(o.arch);
    casesAt = (n, backward) => kernelCasesForArch(def, n, { backward });
  } else throw new FbnetError('USAGE', 'benchKernels needs an arch or a space');
  const cases = dedupe([...casesAt(batch, !o.forwardOnly), ...(o.forwardBatch !== undefined ? casesAt(o.forwardBatch, false) : [])]);
  const { plan, timings } = await benchmarkPlan(plugin, cases, o);
  const path = await import('node:path');
  const dir = o.resultsDir === null ? undefined : (o.resultsDir ?? RESULTS_DIR);
  const planPath = o.out ?? path.join(PLANS_DIR, planFileName(plan.device));
  await saveKernelPlan(planPath, plan);
  const resultsPath = dir ? await writeDeviceResult(fingerprint, `${plugin.id}/kernels`, { batch, planPath, timings }, dir) : undefined;
  return { kind: 'kernels', backend: plugin.id, batch, plan, planPath, resultsPath, timings, fingerprint };
}
