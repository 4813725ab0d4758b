import type * as tf from '@tensorflow/tfjs-core';
import { Bench } from 'tinybench';
import type { EntryStats, LutTiming } from './schema.ts';

export type TimingOptions = Omit<LutTiming, 'method' | 'batch'>;

/**
 * Per-entry budget, split over `rounds` rounds that are interleaved with other entries'
 * rounds (see measure-probes.ts): a burst of load on a shared machine then spoils one round
 * of an entry, not all of them, and the quietest round's median is kept. 20+ samples keep
 * the median within a few percent on a quiet machine; the budget bounds the full ImageNet
 * space to minutes.
 */
export const DEFAULT_TIMING: TimingOptions = { timeMs: 450, warmupMs: 100, minSamples: 21, warmupSamples: 5, rounds: 3, maxRounds: 8, agreement: 0.03, context: 'net' };

export function resolveTiming(t: Partial<TimingOptions & Pick<LutTiming, 'method' | 'batch'>> = {}): LutTiming {
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

/** What gets timed: a forward pass at batch 1, and how its result is treated. */
export interface Probe {
  forward(): tf.Tensor;
  /**
   * Block-like probes (true): inside a net nobody reads a block's output back, but the net's
   * tidy scope disposes it. So the read-back is subtracted (a second `await y.data()` times it
   * alone) and the dispose is added. Whole nets (false) are timed as deployed: forward, read-back.
   */
  inNet: boolean;
  /** Tensors the forward may return as-is (an identity block returns its input): never disposed. */
  keep?: readonly tf.Tensor[];
  dispose(): void;
}

export interface RoundSamples {
  samples: number[];
  syncs: number[];
  /** Timed inside a net: the entry's share of a typical whole-net iteration (see splitRound). */
  share?: number;
}

export class MeasurementAborted extends Error {
  constructor() {
    super('measurement aborted');
    this.name = 'MeasurementAborted';
  }
}

export interface RoundOptions {
  timeMs: number;
  minSamples: number;
  warmupMs: number;
  warmupSamples: number;
  signal?: AbortSignal;
}

/**
 * One round of tinybench samples of a probe: warm-up, then per sample `y = forward()`,
 * `await y.data()` (GPU backends are lazy: the clock stops only when the result exists),
 * dispose `y`. Each sample is written with tinybench's `overriddenDuration`, so tinybench's
 * own loop overhead stays out of it.
 */
export async function sampleRound(probe: Probe, o: RoundOptions): Promise<RoundSamples> {
  const keep = new Set(probe.keep ?? []);
  const syncs: number[] = [];
  let recording = false;
  const now = () => performance.now();
  const fn = async () => {
    const t0 = now();
    const y = probe.forward();
    await y.data();
    const t1 = now();
    let extra = 0;
    if (probe.inNet) {
      await y.data();
      const t2 = now();
      const sync = t2 - t1;
      if (recording) syncs.push(sync);
      if (!keep.has(y)) y.dispose();
      extra = now() - t2 - sync;
    } else if (!keep.has(y)) y.dispose();
    return { overriddenDuration: t1 - t0 + extra, overriddenIterationCost: now() - t0 };
  };
  if (o.signal?.aborted) throw new MeasurementAborted();
  // tinybench adds an abort listener per Bench and never removes it: give it a child signal.
  const local = new AbortController();
  const relay = () => local.abort();
  o.signal?.addEventListener('abort', relay, { once: true });
  const bench = new Bench({
    time: o.timeMs,
    iterations: o.minSamples,
    warmup: o.warmupSamples > 0 || o.warmupMs > 0,
    warmupTime: o.warmupMs,
    warmupIterations: o.warmupSamples,
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
  return { samples: [...(r.latency.samples ?? [])], syncs };
}

/** Options of round r of n: the full warm-up before the first round, a short re-warm before the others. */
export function roundOptions(t: LutTiming, round: number, signal?: AbortSignal): RoundOptions {
  // Extra rounds (beyond `rounds`) get the same share as the first ones.
  const rounds = Math.max(1, t.rounds);
  return {
    timeMs: t.timeMs / rounds,
    minSamples: Math.max(1, Math.ceil(t.minSamples / rounds)),
    warmupMs: round === 0 ? t.warmupMs : Math.min(t.warmupMs, 10),
    warmupSamples: round === 0 ? t.warmupSamples : Math.min(t.warmupSamples, 2),
    signal,
  };
}

/** Have the two quietest rounds agree (relative difference of their medians within `tol`)? */
export function roundsAgree(medians: readonly number[], tol: number): boolean {
  if (medians.length < 2) return false;
  const [a, b] = [...medians].sort((x, y) => x - y);
  return b - a <= tol * Math.max(a, 1e-9);
}

/** Whether a probe/context with these round medians needs another round. */
export function needsRound(medians: readonly number[], t: LutTiming): boolean {
  const n = medians.length;
  if (n < Math.max(1, t.rounds)) return true;
  return n < Math.max(t.rounds, t.maxRounds) && !roundsAgree(medians, t.agreement);
}

/**
 * Summary of an entry's rounds: the quietest round gives median, p10 and p90 — load on a
 * shared machine only ever adds time, so the lowest round is the best estimate of the
 * unloaded one (as timeit takes the best of repeats). `pick` names that round when the
 * caller knows it better (an entry timed inside a net takes the round the whole net was
 * fastest in, so all of a net's entries come from one machine state and no entry picks its
 * own lucky round); by default it is the round with the lowest median.
 */
export function summarizeRounds(rounds: readonly RoundSamples[], pick?: number): Omit<EntryStats, 'ms'> & { roundMediansMs: number[]; shareMs?: number } {
  const clamp = (x: number) => Math.max(0, x);
  const sorted = rounds.map((r) => Float64Array.from(r.samples).sort());
  const medians = sorted.map((s) => quantileSorted(s, 0.5));
  let best = 0;
  medians.forEach((m, i) => {
    if (m < medians[best]) best = i;
  });
  if (pick !== undefined && pick >= 0 && pick < rounds.length && sorted[pick].length) best = pick;
  const syncs = Float64Array.from(rounds.flatMap((r) => r.syncs)).sort();
  return {
    medianMs: clamp(medians[best]),
    p10Ms: clamp(quantileSorted(sorted[best], 0.1)),
    p90Ms: clamp(quantileSorted(sorted[best], 0.9)),
    samples: sorted.reduce((a, s) => a + s.length, 0),
    syncMs: syncs.length ? clamp(quantileSorted(syncs, 0.5)) : 0,
    roundMediansMs: medians.map(clamp),
    shareMs: rounds[best].share,
  };
}
