import * as tf from '@tensorflow/tfjs-core';
import { Bench } from 'tinybench';
import type { ArchDef } from '@fbnet/core';
import { Net } from '@fbnet/nn';
import { archSteps, type ArchStep } from './enumerate.ts';
import type { ContextPlan } from './context-plan.ts';
import { runInterleaved, type TimingUnit } from './timing-units.ts';
import { makeEntry, type LutEntry, type LutTiming } from './schema.ts';
import { MeasurementAborted, needsRound, quantileSorted, roundOptions, summarizeRounds, type RoundOptions, type RoundSamples } from './timing.ts';

/** TF.js backends that compute inside the op call: no read-back is needed to stop the clock. */
const SYNCHRONOUS_BACKENDS = new Set(['cpu', 'wasm', 'tensorflow']);

export function isSynchronousBackend(name = tf.getBackend()): boolean {
  return SYNCHRONOUS_BACKENDS.has(name);
}

/** One context arch as a chain of steps (input normalisation, blocks, head), each timed on its own. */
class ContextChain {
  readonly steps: ArchStep[];
  private readonly net: Net;
  private readonly input: tf.Tensor4D;
  private readonly fns: ((x: tf.Tensor) => tf.Tensor)[];

  constructor(arch: ArchDef, seed: number) {
    this.steps = archSteps(arch);
    this.net = new Net(arch, { seed });
    const net = this.net;
    this.input = tf.tidy(() => tf.randomUniform([1, ...net.inputShape], 0, 255, 'float32', seed)) as tf.Tensor4D;
    // Exactly what Net.forward runs, step by step (Net.features pools and flattens before classify).
    this.fns = [
      (x) => net.normalize(x as tf.Tensor4D),
      ...net.blocks.map((b) => (x: tf.Tensor) => b.forward(x as tf.Tensor4D, { training: false })),
      (x) => tf.tidy(() => net.classify(tf.reshape(tf.mean(x, [1, 2]), [1, x.shape[3] as number]) as tf.Tensor2D, { training: false })),
    ];
  }

  /**
   * One forward of the whole net, timing every step. A step's time is its op calls plus,
   * like inside `Net.forward`'s tidy scope, the dispose of its output. On lazy (GPU)
   * backends each step is followed by `await y.data()` to stop its clock and a second read
   * times the read-back, which is subtracted. The head's read-back is the one a deployed net
   * pays: recorded as the head's `sync`.
   */
  async run(lazy: boolean): Promise<{ t: number[]; sync: number[]; total: number }> {
    const now = () => performance.now();
    const n = this.fns.length;
    const t: number[] = new Array<number>(n).fill(0);
    const sync: number[] = new Array<number>(n).fill(0);
    const start = now();
    let x: tf.Tensor = this.input;
    let producer = -1;
    for (let i = 0; i < n; i++) {
      const t0 = now();
      const y = this.fns[i](x);
      let t1 = now();
      if (lazy || i === n - 1) {
        await y.data();
        const ta = now();
        if (lazy) {
          await y.data();
          sync[i] = now() - ta;
          t1 = ta;
        } else sync[i] = ta - t1;
      }
      t[i] += t1 - t0 - (lazy ? sync[i] : 0);
      if (y !== x) {
        if (producer >= 0) {
          const td = now();
          x.dispose();
          t[producer] += now() - td;
        }
        producer = i;
      }
      x = y;
    }
    const total = now() - start;
    if (x !== this.input) x.dispose();
    return { t: t.map((v) => Math.max(0, v)), sync, total };
  }

  /** One `Net.forward` of the same net on the same input, timed as a deployed net (forward + read-back). */
  async whole(): Promise<number> {
    const t0 = performance.now();
    const y = this.net.forward(this.input);
    await y.data();
    const t = performance.now() - t0;
    y.dispose();
    return t;
  }

  dispose(): void {
    this.input.dispose();
    this.net.dispose();
  }
}

/** One iteration of a context: every step's time and read-back, and (lockstep) a whole `Net.forward` beside it. */
export interface ContextRow {
  t: number[];
  sync: number[];
  whole?: number;
}

/**
 * One tinybench round of a context: warm-up, then whole-net iterations, every step recorded.
 * `lockstep`: each iteration also runs the net as `Net.forward` (one tidy scope, no clock between
 * steps), before or after the step-by-step run in alternate iterations, so both see the same
 * moment of the machine and neither always runs second (warmer caches).
 */
async function sampleContext(chain: ContextChain, lazy: boolean, o: RoundOptions, lockstep = false): Promise<ContextRow[]> {
  const rows: ContextRow[] = [];
  let iteration = 0;
  let recording = false;
  const local = new AbortController();
  const relay = () => local.abort();
  o.signal?.addEventListener('abort', relay, { once: true });
  const bench = new Bench({
    time: o.timeMs,
    iterations: o.minSamples,
    warmup: o.warmupSamples > 0 || o.warmupMs > 0,
    warmupTime: o.warmupMs,
    warmupIterations: o.warmupSamples,
    throws: true,
    signal: local.signal,
  });
  bench.add(
    'context',
    async () => {
      const started = performance.now();
      const wholeFirst = lockstep && iteration++ % 2 === 1;
      const before = wholeFirst ? await chain.whole() : undefined;
      const row: ContextRow & { total: number } = await chain.run(lazy);
      if (lockstep) row.whole = before ?? (await chain.whole());
      if (recording) rows.push(row);
      return { overriddenDuration: row.total, overriddenIterationCost: performance.now() - started };
    },
    { async: true, beforeAll: (mode) => void (recording = mode === 'run') },
  );
  try {
    await bench.run();
  } finally {
    o.signal?.removeEventListener('abort', relay);
  }
  const r = bench.tasks[0].result;
  if (o.signal?.aborted || r.state === 'aborted' || r.state === 'aborted-with-statistics') throw new MeasurementAborted();
  if (r.state === 'errored') throw r.error;
  if (r.state !== 'completed') throw new MeasurementAborted();
  return rows;
}

/**
 * Split a round's iterations into per-entry figures. Step times are right-skewed (a GC pause,
 * an interrupt lands in some step of some iterations), so the medians of the steps add up to
 * less than the median of the whole net. An entry's `share` is therefore its mean time over
 * the *typical* iterations — those whose whole-net time lies in the central half — which add
 * up to the net's typical time: the entries of a net sum to its median, hiccups included
 * where they happen. Its own median/p10/p90 describe the step itself.
 */
export function splitRound(
  steps: readonly { key: string; head: boolean }[],
  rows: readonly { t: number[]; sync: number[] }[],
  lazy: boolean,
): { totalMedianMs: number; typicalMs: number; perKey: Map<string, RoundSamples> } {
  const contrib = rows.map((r) => r.t.map((v, k) => v + (steps[k].head ? r.sync[k] : 0)));
  const totals = contrib.map((c) => c.reduce((a, b) => a + b, 0));
  const sorted = Float64Array.from(totals).sort();
  const lo = quantileSorted(sorted, 0.25);
  const hi = quantileSorted(sorted, 0.75);
  let band = totals.map((t, i) => (t >= lo && t <= hi ? i : -1)).filter((i) => i >= 0);
  if (!band.length) band = totals.map((_, i) => i);
  const perKey = new Map<string, RoundSamples & { occurrences: number; sum: number }>();
  steps.forEach((s, k) => {
    const e = perKey.get(s.key) ?? { samples: [], syncs: [], occurrences: 0, sum: 0 };
    e.occurrences++;
    for (const r of rows) {
      e.samples.push(r.t[k]);
      if (lazy || s.head) e.syncs.push(r.sync[k]);
    }
    for (const i of band) e.sum += contrib[i][k];
    perKey.set(s.key, e);
  });
  const out = new Map<string, RoundSamples>();
  for (const [key, e] of perKey) out.set(key, { samples: e.samples, syncs: e.syncs, share: e.sum / band.length / e.occurrences });
  // What the shares add up to: the mean step-by-step total over the typical iterations.
  const typicalMs = band.reduce((a, i) => a + totals[i], 0) / band.length;
  return { totalMedianMs: quantileSorted(sorted, 0.5), typicalMs, perKey: out };
}

/**
 * A context arch as a timing unit: every round times whole-net iterations step by step;
 * once done, its owned entries come from the round in which the whole net was fastest.
 */
export class ContextUnit implements TimingUnit {
  private readonly chain: ContextChain;
  private readonly perKey: Map<string, RoundSamples[]>;
  /**
   * Whole-net median of each round (the agreement criterion and the quietest-round pick): of
   * the step-by-step runs, or in lockstep of the `Net.forward` runs.
   */
  readonly totals: number[] = [];
  /** Lockstep: per round, `Net.forward`'s median over the step-by-step typical total (1 otherwise). */
  readonly scales: number[] = [];

  constructor(
    readonly context: ContextPlan['contexts'][number],
    private readonly timing: LutTiming,
    private readonly lazy: boolean,
    seed = 0,
  ) {
    this.chain = new ContextChain(context.arch, seed);
    this.perKey = new Map(context.owned.map((k) => [k, []]));
  }

  needsRound(): boolean {
    return needsRound(this.totals, this.timing);
  }

  async round(r: number, signal?: AbortSignal): Promise<void> {
    const base = roundOptions(this.timing, r, signal);
    // The same round length as a whole net's (validation): the quietest of equally long
    // rounds is comparable between a context and a net; a context's iterations time all its
    // owned entries at once, so they need no longer budget.
    const lockstep = this.timing.context === 'lockstep';
    const rows = await sampleContext(this.chain, this.lazy, base, lockstep);
    const split = splitRound(this.chain.steps.map((s) => ({ key: s.key, head: s.role === 'head' })), rows, this.lazy);
    if (lockstep) {
      const whole = quantileSorted(Float64Array.from(rows.map((r) => r.whole!)).sort(), 0.5);
      this.totals.push(whole);
      this.scales.push(split.typicalMs > 0 ? whole / split.typicalMs : 1);
    } else {
      this.totals.push(split.totalMedianMs);
      this.scales.push(1);
    }
    for (const [key, rounds] of this.perKey) rounds.push(split.perKey.get(key)!);
  }

  /**
   * The owned entries, from the quietest round. In lockstep an entry's `ms` is its share scaled
   * by that round's `scales` (so a context's entries add up to its `Net.forward` median), and the
   * entry records the factor as `netScale`.
   */
  entries(): LutEntry[] {
    const quietest = this.totals.indexOf(Math.min(...this.totals));
    const scale = this.scales[quietest] ?? 1;
    const lockstep = this.timing.context === 'lockstep';
    return this.context.owned.map((key) => {
      const step = this.chain.steps.find((s) => s.key === key)!;
      const { roundMediansMs: _r, shareMs, ...stats } = summarizeRounds(this.perKey.get(key)!, quietest);
      const e = makeEntry(step.config, step.config.kind === 'block' ? step.output : undefined, { ...stats, ms: shareMs! * scale });
      return lockstep ? { ...e, netScale: scale } : e;
    });
  }

  dispose(): void {
    this.chain.dispose();
  }
}

export interface MeasureContextsOptions {
  signal?: AbortSignal;
  seed?: number;
  /** Contexts timed together in interleaved rounds (default 3). */
  groupSize?: number;
  /** Force lazy (read-back per step) or synchronous timing; default from the active backend. */
  lazy?: boolean;
  onEntry?: (e: LutEntry, index: number) => void | Promise<void>;
  /** After every context round: the share of the plan's work done (rounds weighted by owned entries), 0..1. */
  onRound?: (fractionDone: number) => void;
}

/**
 * Time the entries of a plan inside their context archs, a group of contexts at a time, in
 * interleaved rounds (see ContextUnit, runInterleaved). A context gets more rounds, up to
 * `maxRounds`, until the medians of its two quietest rounds (whole-net time) agree within
 * `agreement`. A context gets the budget of one entry (`timing.timeMs`, split over its rounds):
 * each of its iterations times all the entries it owns.
 */
export async function measureContexts(plan: ContextPlan, timing: LutTiming, options: MeasureContextsOptions = {}): Promise<LutEntry[]> {
  const lazy = options.lazy ?? !isSynchronousBackend();
  const g = Math.max(1, options.groupSize ?? 3);
  const out: LutEntry[] = [];
  const work = plan.contexts.reduce((a, c) => a + Math.max(1, c.owned.length), 0) * Math.max(1, timing.rounds);
  let worked = 0;
  for (let start = 0; start < plan.contexts.length; start += g) {
    const group = plan.contexts.slice(start, start + g);
    const units: ContextUnit[] = [];
    try {
      for (const c of group) units.push(new ContextUnit(c, timing, lazy, options.seed ?? 0));
      await runInterleaved(units, {
        signal: options.signal,
        onRound: (i) => {
          worked += Math.max(1, group[i].owned.length);
          options.onRound?.(Math.min(1, worked / work));
        },
      });
      for (const u of units) {
        for (const e of u.entries()) {
          out.push(e);
          await options.onEntry?.(e, out.length - 1);
        }
      }
    } finally {
      for (const u of units) u.dispose();
    }
  }
  return out;
}
