import * as tf from '@tensorflow/tfjs-core';
import { Rng, type ArchDef } from '@fbnet/core';
import { BlockModule, Net, ParamStore } from '@fbnet/nn';
import { blockOutputShape, type EntryConfig } from './block-key.ts';
import { makeEntry, type EntryStats, type LutEntry, type LutTiming } from './schema.ts';
import { needsRound, quantileSorted, roundOptions, sampleRound, summarizeRounds, type Probe, type RoundSamples } from './timing.ts';
import { runInterleaved, type TimingUnit } from './timing-units.ts';

/** A net that is only its input normalisation and head: `Net.normalize` and `Net.classify` time the fixed ends. */
function endsNet(h: number, c: number, numClasses: number, seed: number): Net {
  const def: ArchDef = { input_size: h, input_channels: c, num_classes: numClasses, basic_args: { width_divisor: 1 }, blocks: [[['skip', c, 1, 1]]] };
  return new Net(def, { seed });
}

/**
 * The probe of one entry: the block (or input normalisation, or head) exactly as `@fbnet/nn`
 * runs it inside a `Net` in eval mode, on a random batch-1 input. The head's output is what
 * a net returns, so it is timed like a net's (its read-back stays in; see `entryStepMs`).
 */
export function entryProbe(config: EntryConfig, seed = 0): Probe {
  const [h, w, c] = config.input;
  const x = tf.tidy(() => tf.randomUniform([1, h, w, c], config.kind === 'input' ? 0 : -1, config.kind === 'input' ? 255 : 1, 'float32', seed)) as tf.Tensor4D;
  if (config.kind === 'block') {
    const store = new ParamStore();
    try {
      const block = new BlockModule(config.spec, 'lut', store, new Rng(seed));
      return { forward: () => block.forward(x, { training: false }), inNet: true, keep: [x], dispose: () => (x.dispose(), store.dispose()) };
    } catch (e) {
      x.dispose();
      store.dispose();
      throw e;
    }
  }
  if (config.kind === 'input') {
    const n = endsNet(h, c, 1, seed);
    return { forward: () => n.normalize(x), inNet: true, keep: [x], dispose: () => (x.dispose(), n.dispose()) };
  }
  const n = endsNet(1, c, config.numClasses, seed);
  // Net.features pools and flattens exactly so before Net.classify.
  return {
    forward: () => tf.tidy(() => n.classify(tf.reshape(tf.mean(x, [1, 2]), [1, c]) as tf.Tensor2D, { training: false })),
    inNet: true,
    keep: [x],
    dispose: () => (x.dispose(), n.dispose()),
  };
}

/** A whole net from an arch def, raw-pixel input, timed end to end as deployed. */
export function netProbe(arch: unknown, seed = 0): Probe {
  const net = new Net(arch as ArchDef, { seed });
  const x = tf.tidy(() => tf.randomUniform([1, ...net.inputShape], 0, 255, 'float32', seed)) as tf.Tensor4D;
  return { forward: () => net.forward(x), inNet: false, dispose: () => (x.dispose(), net.dispose()) };
}

/**
 * A probe as a timing unit. `keepAlive: false` makes the probe afresh for each round and
 * disposes it after (a big net's weights need not stay in memory between its rounds).
 */
export class ProbeUnit implements TimingUnit {
  readonly rounds: RoundSamples[] = [];
  readonly medians: number[] = [];
  private probe: Probe | undefined;

  constructor(
    private readonly make: () => Probe,
    private readonly timing: LutTiming,
    private readonly keepAlive = true,
  ) {
    if (keepAlive) this.probe = make();
  }

  needsRound(): boolean {
    return needsRound(this.medians, this.timing);
  }

  async round(r: number, signal?: AbortSignal): Promise<void> {
    const p = this.probe ?? this.make();
    try {
      const got = await sampleRound(p, roundOptions(this.timing, r, signal));
      this.rounds.push(got);
      this.medians.push(quantileSorted(Float64Array.from(got.samples).sort(), 0.5));
    } finally {
      if (!this.keepAlive) p.dispose();
    }
  }

  stats() {
    return summarizeRounds(this.rounds);
  }

  dispose(): void {
    this.probe?.dispose();
    this.probe = undefined;
  }
}

/**
 * Time a group of probes in interleaved rounds (round r of every probe still in need, then
 * round r + 1), so a probe's rounds are spread over the group's whole duration. Probes are
 * made up front and all disposed before this returns or throws.
 */
export async function measureProbes(makers: readonly (() => Probe)[], timing: LutTiming, options: { signal?: AbortSignal; onRound?: (round: number, index: number) => void } = {}): Promise<(Omit<EntryStats, 'ms'> & { roundMediansMs: number[]; shareMs?: number })[]> {
  const units: ProbeUnit[] = [];
  try {
    for (const m of makers) units.push(new ProbeUnit(m, timing));
    await runInterleaved(units, { signal: options.signal, onRound: (i, r) => options.onRound?.(r, i) });
    return units.map((u) => u.stats());
  } finally {
    for (const u of units) u.dispose();
  }
}

/** Time entries in groups of `groupSize` (interleaved rounds within a group); `onEntry` sees each finished entry. */
export async function measureConfigs(
  configs: readonly EntryConfig[],
  timing: LutTiming,
  options: { signal?: AbortSignal; seed?: number; groupSize?: number; onEntry?: (e: LutEntry, index: number) => void | Promise<void> } = {},
): Promise<LutEntry[]> {
  const out: LutEntry[] = [];
  const g = Math.max(1, options.groupSize ?? 8);
  for (let start = 0; start < configs.length; start += g) {
    const group = configs.slice(start, start + g);
    const stats = await measureProbes(
      group.map((c) => () => entryProbe(c, options.seed)),
      timing,
      { signal: options.signal },
    );
    for (const [i, s] of stats.entries()) {
      const c = group[i];
      const { roundMediansMs: _r, shareMs: _s, ...st } = s;
      const e = makeEntry(c, c.kind === 'block' ? blockOutputShape(c.spec, c.input) : undefined, { ...st, ms: st.medianMs + (c.kind === 'head' ? st.syncMs : 0) });
      out.push(e);
      await options.onEntry?.(e, start + i);
    }
  }
  return out;
}

/** Time one entry on the active TF.js backend. */
export async function measureEntry(config: EntryConfig, timing: LutTiming, options: { signal?: AbortSignal; seed?: number } = {}): Promise<LutEntry> {
  const [e] = await measureConfigs([config], timing, options);
  return e;
}

/** End-to-end latency of a whole net at batch 1, same timing method, nothing subtracted (a deployed net pays its read-back). */
export async function measureNet(arch: unknown, timing: LutTiming, options: { signal?: AbortSignal; seed?: number } = {}) {
  const [s] = await measureProbes([() => netProbe(arch, options.seed)], timing, options);
  return s;
}
