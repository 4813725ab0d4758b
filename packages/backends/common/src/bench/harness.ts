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
  /** Timed by one call only: it was over `pruneFactor`× slower than the best variant's first call. */
  pruned?: boolean;
  /** Timed twice: the first run's median was over `retrySpread`× its 10th percentile (the steadier run is kept). */
  retried?: boolean;
}

export interface KernelBenchOptions {
  /** Time budget per variant in ms (tinybench `time`). */
  timeMs?: number;
  iterations?: number;
  warmupIterations?: number;
  /** Tolerance for |variant − reference| relative to max |reference| (default 1e-3). */
  tolerance?: number;
  /** Variants whose first call is this many times slower than the best (and > 20 ms) get no further timing (default 8). */
  pruneFactor?: number;
  /** Time a variant again when its median exceeds its 10th percentile this many times (default 3). */
  retrySpread?: number;
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

function quantileOf(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))];
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
      // Pass 1: one call per variant — checks its output against the reference and gives a
      // first time, so hopeless variants (stock cpu backprop is ~100x slower) are not re-timed.
      let reference: Float32Array[] | undefined;
      const first = new Map<string, number>();
      const rows: VariantTiming[] = [];
      for (const variant of ordered) {
        const timing: VariantTiming = { kernel: c.kernel, shape: key, source: c.source, variant, medianMs: NaN, p10Ms: NaN, p90Ms: NaN, samples: 0, maxAbsDiff: 0 };
        rows.push(timing);
        try {
          plugin.forceVariant?.(c.kernel, variant);
          const t0 = performance.now();
          const got = await outputsOf(c.kernel, inputs, attrs);
          first.set(variant, performance.now() - t0);
          if (!reference) reference = got;
          else {
            timing.maxAbsDiff = maxDiff(got, reference);
            const scale = Math.max(1, maxAbs(reference));
            if (!(timing.maxAbsDiff <= (options.tolerance ?? 1e-3) * scale)) {
              timing.error = `output differs from ${ordered[0]} by ${timing.maxAbsDiff} (scale ${scale})`;
            }
          }
        } catch (e) {
          timing.error = (e as Error).message;
        } finally {
          plugin.forceVariant?.(c.kernel, undefined);
        }
      }
      const best = Math.min(...rows.filter((r) => !r.error).map((r) => first.get(r.variant) ?? Infinity));
      // Pass 2: tinybench for every correct variant within reach of the best first call.
      for (const timing of rows) {
        if (options.signal?.aborted) return results;
        const once = first.get(timing.variant) ?? NaN;
        if (!timing.error && once > (options.pruneFactor ?? 8) * best && once > 20) {
          timing.medianMs = timing.p10Ms = timing.p90Ms = once;
          timing.samples = 1;
          timing.pruned = true;
        } else if (!timing.error) {
          try {
            plugin.forceVariant?.(c.kernel, timing.variant);
            const measure = async () => {
              const bench = new Bench({
                time: options.timeMs ?? 200,
                iterations: options.iterations ?? 5,
                warmupIterations: options.warmupIterations ?? 2,
                warmupTime: 0,
                signal: options.signal,
                throws: true,
                retainSamples: true,
              });
              bench.add(`${c.kernel} ${timing.variant}`, async () => {
                const outs = run(c.kernel, inputs, attrs);
                await Promise.all(outs.map((o) => o.data()));
                tf.dispose(outs);
              });
              await bench.run();
              return bench.tasks[0].result;
            };
            let r = await measure();
            // A median far above the 10th percentile means something else took the cores for
            // part of the run (seen here: median 13.6 ms, p10 0.77 ms): time it once more and keep
            // the steadier run, so one disturbed case does not flip a plan decision.
            const spread = (x: typeof r) => (x.state === 'completed' && x.latency.samples?.length ? quantileOf(x.latency.samples, 0.5) / Math.max(1e-9, quantileOf(x.latency.samples, 0.1)) : 1);
            if (spread(r) > (options.retrySpread ?? 3)) {
              const again = await measure();
              if (again.state === 'completed' && (r.state !== 'completed' || again.latency.p50 < r.latency.p50)) r = again;
              timing.retried = true;
            }
            if (r.state === 'completed' || r.state === 'aborted-with-statistics') {
              const sorted = [...(r.latency.samples ?? [])].sort((a, b) => a - b);
              const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.round(p * (sorted.length - 1)))];
              timing.medianMs = r.latency.p50;
              timing.p10Ms = sorted.length ? q(0.1) : r.latency.min;
              timing.p90Ms = sorted.length ? q(0.9) : r.latency.max;
              timing.samples = r.latency.samplesCount;
            } else if (r.state === 'errored') timing.error = r.error.message;
          } catch (e) {
            timing.error = (e as Error).message;
          } finally {
            plugin.forceVariant?.(c.kernel, undefined);
          }
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
