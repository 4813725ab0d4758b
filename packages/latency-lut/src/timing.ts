import * as tf from '@tensorflow/tfjs-core';
import { Bench } from 'tinybench';
import type { EntryStats, LutTiming } from './schema.ts';

export type TimingOptions = Omit<LutTiming, 'method' | 'batch'>;

/**
 * Per-entry budget: warm up (JIT, kernel compilation, buffer pools), then sample until both
 * `timeMs` and `minSamples` are reached. 20+ samples keep the median within a few percent
 * on a quiet machine; the budget bounds the full ImageNet space to minutes.
 */
export const DEFAULT_TIMING: TimingOptions = { timeMs: 400, warmupMs: 100, minSamples: 20, warmupSamples: 5 };

export function resolveTiming(t: Partial<TimingOptions> = {}): LutTiming {
  return { method: 'tinybench', batch: 1, ...DEFAULT_TIMING, ...t };
}

/** Linear-interpolated quantile of ascending-sorted values (same convention as tinybench). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export interface TimeForwardOptions {
  timing: LutTiming;
  signal?: AbortSignal;
  /**
   * Subtract the read-back: after `await y.data()` stops the clock for the forward, a second
   * `await y.data()` times the read-back alone and each sample is the difference. A net pays
   * one read-back at its end, not one per block, so block entries must not include it.
   */
  subtractSync: boolean;
  /** Tensors the forward may return as-is (an identity block returns its input): never disposed. */
  keep?: readonly tf.Tensor[];
}

export class MeasurementAborted extends Error {
  constructor() {
    super('measurement aborted');
    this.name = 'MeasurementAborted';
  }
}

/**
 * Time `forward` at batch 1 with tinybench: warm-up, then per sample `y = forward()`,
 * `await y.data()` (GPU backends are lazy: the clock stops only when the result exists),
 * dispose `y`. The sample is written with tinybench's `overriddenDuration`, so tinybench's
 * own loop overhead stays out of it; the median is the summary the LUT uses.
 */
export async function timeForward(forward: () => tf.Tensor, o: TimeForwardOptions): Promise<EntryStats> {
  const keep = new Set(o.keep ?? []);
  const syncs: number[] = [];
  let recording = false;
  const now = () => performance.now();
  const fn = async () => {
    const t0 = now();
    const y = forward();
    await y.data();
    const t1 = now();
    let sync = 0;
    if (o.subtractSync) {
      await y.data();
      sync = now() - t1;
      if (recording) syncs.push(sync);
    }
    if (!keep.has(y)) y.dispose();
    return { overriddenDuration: t1 - t0 - sync, overriddenIterationCost: now() - t0 };
  };
  if (o.signal?.aborted) throw new MeasurementAborted();
  // tinybench adds an abort listener per Bench and never removes it: give it a child signal.
  const local = new AbortController();
  const relay = () => local.abort();
  o.signal?.addEventListener('abort', relay, { once: true });
  const bench = new Bench({
    time: o.timing.timeMs,
    iterations: o.timing.minSamples,
    warmup: o.timing.warmupSamples > 0 || o.timing.warmupMs > 0,
    warmupTime: o.timing.warmupMs,
    warmupIterations: o.timing.warmupSamples,
    retainSamples: true,
    throws: true,
    signal: local.signal,
  });
  bench.add('forward', fn, {
    async: true,
    beforeAll: (mode) => {
      recording = mode === 'run';
    },
  });
  try {
    await bench.run();
  } finally {
    o.signal?.removeEventListener('abort', relay);
  }
  if (o.signal?.aborted) throw new MeasurementAborted();
  const r = bench.tasks[0].result;
  if (r.state !== 'completed') {
    if (r.state === 'errored') throw r.error;
    throw new MeasurementAborted();
  }
  const samples = r.latency.samples ?? [];
  const sorted = Float64Array.from(samples).sort();
  const sortedSync = Float64Array.from(syncs).sort();
  const clamp = (x: number) => Math.max(0, x);
  return {
    medianMs: clamp(quantileSorted(sorted, 0.5)),
    p10Ms: clamp(quantileSorted(sorted, 0.1)),
    p90Ms: clamp(quantileSorted(sorted, 0.9)),
    samples: sorted.length,
    syncMs: o.subtractSync ? clamp(quantileSorted(sortedSync, 0.5)) : 0,
  };
}
