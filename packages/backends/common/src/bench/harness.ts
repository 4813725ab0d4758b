import * as tf from '@tensorflow/tfjs-core';
import { Bench } from 'tinybench';
import { shapeKey, type BackendPlugin, type KernelPlan } from '@fbnet/core';
import { deviceFingerprint } from '../fingerprint.ts';
import { planFromTimings } from '../plan.ts';
import { STOCK_VARIANT } from '../variant.ts';
import type { KernelCase } from './kernel-cases.ts';

export interface VariantTiming {
  kernel: string;
  shape: string;
  source: string;
  variant: string;
  medianMs: number;
  p10Ms: number;
  p90Ms: number;
  samples: number;
  /** Largest |difference| from the reference variant's output (stock kernel where there is one). */
  maxAbsDiff: number;
  /** Set when the variant threw or disagreed with the reference; such variants never enter a plan. */
  error?: string;
}

export interface KernelBenchOptions {
  /** Time budget per variant in ms (tinybench `time`). */
  timeMs?: number;
  iterations?: number;
  warmupIterations?: number;
  /** Tolerance for |variant − reference| relative to max |reference| (default 1e-3). */
  tolerance?: number;
  /** Only these variants (by name). */
  variants?: string[];
  signal?: AbortSignal;
  /** Called after each (case, variant) is timed, e.g. for progress. */
  onResult?(t: VariantTiming, index: number, total: number): void;
}

function run(kernel: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): tf.Tensor[] {
  const out = tf.engine().runKernel(kernel, inputs, attrs);
  return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
}

async function outputsOf(kernel: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap): Promise<Float32Array[]> {
  const outs = run(kernel, inputs, attrs);
  try {
    return (await Promise.all(outs.map((o) => o.data()))) as Float32Array[];
  } finally {
    tf.dispose(outs);
  }
}

function maxAbs(a: Float32Array[]): number {
  let m = 0;
  for (const x of a) for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

function maxDiff(a: Float32Array[], b: Float32Array[]): number {
  let m = 0;
  for (let k = 0; k < a.length; k++) for (let i = 0; i < a[k].length; i++) m = Math.max(m, Math.abs(a[k][i] - b[k][i]));
  return m;
}

/**
 * Times every supported variant of every case on `plugin` (already initialised and active).
 * Each timed call runs the kernel through the engine with the variant forced, awaits
 * `data()` of every output before the clock stops (GPU backends are lazy), and disposes
 * them. Each variant's output is compared with the reference before it is timed.
 */
export async function benchmarkKernelCases(plugin: BackendPlugin, cases: KernelCase[], options: KernelBenchOptions = {}): Promise<VariantTiming[]> {
  const results: VariantTiming[] = [];
  const all = plugin.variants();
  const work = cases.flatMap((c) =>
    all.filter((v) => v.kernel === c.kernel && v.supports(c.shape) && (!options.variants || options.variants.includes(v.variant) || v.variant === STOCK_VARIANT)).map((v) => ({ c, v })),
  );
  let index = 0;
  for (const c of cases) {
    const variants = work.filter((w) => w.c === c).map((w) => w.v.variant);
    if (!variants.length) continue;
    const { inputs, attrs } = c.make();
    const key = shapeKey(c.shape);
    try {
      const ordered = variants.includes(STOCK_VARIANT) ? [STOCK_VARIANT, ...variants.filter((v) => v !== STOCK_VARIANT)] : variants;
      let reference: Float32Array[] | undefined;
      for (const variant of ordered) {
        if (options.signal?.aborted) return results;
        const timing: VariantTiming = { kernel: c.kernel, shape: key, source: c.source, variant, medianMs: NaN, p10Ms: NaN, p90Ms: NaN, samples: 0, maxAbsDiff: 0 };
        try {
          plugin.forceVariant?.(c.kernel, variant);
          const got = await outputsOf(c.kernel, inputs, attrs);
          if (!reference) reference = got;
          else {
            timing.maxAbsDiff = maxDiff(got, reference);
            const scale = Math.max(1, maxAbs(reference));
            if (!(timing.maxAbsDiff <= (options.tolerance ?? 1e-3) * scale)) {
              timing.error = `output differs from ${ordered[0]} by ${timing.maxAbsDiff} (scale ${scale})`;
            }
          }
          if (!timing.error) {
            const bench = new Bench({
              time: options.timeMs ?? 200,
              iterations: options.iterations ?? 5,
              warmupIterations: options.warmupIterations ?? 2,
              warmupTime: 0,
              signal: options.signal,
              throws: true,
            });
            bench.add(`${c.kernel} ${variant}`, async () => {
              const outs = run(c.kernel, inputs, attrs);
              await Promise.all(outs.map((o) => o.data()));
              tf.dispose(outs);
            });
            await bench.run();
            const r = bench.tasks[0].result;
            if (r.state === 'completed' || r.state === 'aborted-with-statistics') {
              const sorted = [...(r.latency.samples ?? [])].sort((a, b) => a - b);
              const q = (p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))] : NaN);
              timing.medianMs = r.latency.p50;
              timing.p10Ms = sorted.length ? q(0.1) : r.latency.min;
              timing.p90Ms = sorted.length ? q(0.9) : r.latency.p75;
              timing.samples = r.latency.samplesCount;
            } else if (r.state === 'errored') timing.error = r.error.message;
          }
        } catch (e) {
          timing.error = (e as Error).message;
        } finally {
          plugin.forceVariant?.(c.kernel, undefined);
        }
        results.push(timing);
        options.onResult?.(timing, index++, work.length);
      }
    } finally {
      tf.dispose(Object.values(inputs));
    }
  }
  return results;
}

/** Benchmark and turn the timings into this device's plan (fastest correct variant per shape). */
export async function benchmarkPlan(plugin: BackendPlugin, cases: KernelCase[], options: KernelBenchOptions = {}): Promise<{ plan: KernelPlan; timings: VariantTiming[] }> {
  const timings = await benchmarkKernelCases(plugin, cases, options);
  const { planHash: _h, ...device } = await deviceFingerprint(plugin);
  const plan = planFromTimings(timings.filter((t) => !t.error), device);
  return { plan, timings };
}
