import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileSlug, safeJoin } from '@fbnet/core/node';
import * as tf from '@tensorflow/tfjs-core';
import { parseSearchSpace, Rng, type SearchSpace } from '@fbnet/core';
import { crossEntropy } from '@fbnet/nn';
import { NaiveChannelSupernet } from './naive.ts';
import { DMaskingSupernet } from './supernet.ts';

export interface BenchDmaskingOptions {
  batch?: number;
  /** Timed rounds; each round times one step of every configuration (interleaved, so load bursts hit all alike). */
  rounds?: number;
  warmup?: number;
  seed?: number;
  /** Channel options per layer in the "many" configuration (default 8). */
  options?: number;
  /** Resolutions of the "many" resolution configuration (default 16/20/24/28). */
  resolutions?: number[];
  /** Width multiplier of the benchmark space (default 1: widths 32/48/64). */
  scale?: number;
}

export interface BenchConfigFigures {
  /**
   * Fastest time of one training step (forward, loss, gradients of weights and α) over the
   * interleaved rounds: on a shared machine load only ever adds time, so the minimum estimates
   * the step's own cost; the ratios use it.
   */
  stepMs: number;
  /** Median over the rounds (load included). */
  medianStepMs: number;
  /** Peak bytes held by TF.js during a step, above what was held before it (activations, gradients). */
  stepPeakBytes: number;
  /** Trainable scalars. */
  params: number;
}

export interface BenchDmaskingResult {
  host: string;
  date: string;
  backend: string;
  batch: number;
  rounds: number;
  /** Masked supernet, 8 width options per layer vs 1 (same largest width): target ≤ 1.1. */
  stepTimeRatio8to1: number;
  memoryRatio8to1: number;
  /** One block per option (eq. 1 without masking), 8 options vs the masked supernet with 1. */
  naiveStepTimeRatio8to1: number;
  naiveMemoryRatio8to1: number;
  /**
   * Resolution search with 4 resolutions vs 1 (no channel choices), one body pass per step on the
   * resolution the Gumbel draw picks (the search's default): targets time ≤ 1.1 · Σ r²/R², memory ≤ 1.2.
   */
  resolutionTimeRatio4to1: number;
  resolutionMemoryRatio4to1: number;
  /** The same with every resolution's branch run each step and the interspersed maps summed ('all'). */
  resolutionAllTimeRatio4to1: number;
  resolutionAllMemoryRatio4to1: number;
  /** Σ_r r² / R²: the compute any exact emulation of the smaller resolutions needs. */
  resolutionPixelRatio4to1: number;
  configs: Record<'masked1' | 'masked8' | 'naive8' | 'res1' | 'res4' | 'res4all', BenchConfigFigures>;
}

/** The benchmark space: stride-2 stem, six k3 inverted residuals (e = 3) at 14/7/4, widths 32/48/64. */
export function benchSpace(options: number, resolutions?: number[], scale = 1): SearchSpace {
  const sc = (c: number) => Math.max(options, Math.round(c * scale));
  const widths = (c: number) => (options > 1 ? Array.from({ length: options }, (_, i) => Math.round((c * (i + 1)) / options)) : undefined);
  const layer = (c: number, s: number) => ({ searchable: { c, s, n: 2, candidates: ['k3'], ...(widths(c) ? { channels: widths(c) } : {}) } });
  return parseSearchSpace({
    version: 1,
    name: `bench-${options}${resolutions ? `-r${resolutions.length}` : ''}`,
    input_size: 28,
    input_channels: 1,
    num_classes: 10,
    candidates: { k3: { op: 'ir_k3', kwargs: { expansion: 3 } } },
    stages: [[{ fixed: ['conv_k3', sc(16), 2, 1] }], [layer(sc(32), 1)], [layer(sc(48), 2)], [layer(sc(64), 2)]],
    ...(resolutions ? { resolutions } : {}),
  });
}

interface Config {
  step(): void;
  params: number;
  dispose(): void;
}

function maskedConfig(space: SearchSpace, x: tf.Tensor4D, y: tf.Tensor1D, seed: number, resolution: 'sample' | 'all' = 'sample'): Config {
  const net = new DMaskingSupernet(space, { mean: [0.5], std: [0.5] }, seed);
  const rng = new Rng(seed);
  const vars = [...net.weightVariables(), ...net.thetaVariables()];
  return {
    params: net.store.count(),
    step: () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => crossEntropy(net.forward(x, { kind: 'gumbel', tau: 5, noise: net.sampleNoise(rng), resolution }, { training: true }).logits, y), vars);
        value.dataSync();
        void grads;
      }),
    dispose: () => net.dispose(),
  };
}

function naiveConfig(space: SearchSpace, x: tf.Tensor4D, y: tf.Tensor1D, seed: number): Config {
  const net = new NaiveChannelSupernet(space, seed);
  const rng = new Rng(seed);
  const vars = [...net.weightVariables(), ...net.thetas];
  return {
    params: net.store.count(),
    step: () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => crossEntropy(net.forward(x, 5, net.sampleNoise(rng), { training: true }), y), vars);
        value.dataSync();
        void grads;
      }),
    dispose: () => net.dispose(),
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/**
 * What masking saves (FBNetV2 Sec. 3): step time and peak TF.js memory of the masked supernet
 * with 8 width options per layer against 1 option of the same largest width, the naive
 * one-block-per-option supernet beside it, and resolution search with 4 input resolutions
 * against 1. Runs on the active TF.js backend; returns figures, logs nothing.
 */
export async function benchDmasking(o: BenchDmaskingOptions = {}): Promise<BenchDmaskingResult> {
  const batch = o.batch ?? 32;
  const rounds = o.rounds ?? 21;
  const seed = o.seed ?? 1;
  const n = o.options ?? 8;
  const resolutions = o.resolutions ?? [16, 20, 24, 28];
  const sc = o.scale ?? 1;
  const rng = new Rng(seed);
  const x = tf.tensor4d(Float32Array.from({ length: batch * 28 * 28 }, () => rng.next() * 255), [batch, 28, 28, 1]);
  const y = tf.tensor1d(Array.from({ length: batch }, (_, i) => i % 10), 'int32');
  const configs: Record<BenchDmaskingResult['configs'] extends Record<infer K, unknown> ? K : never, Config> = {
    masked1: maskedConfig(benchSpace(1, undefined, sc), x, y, seed),
    masked8: maskedConfig(benchSpace(n, undefined, sc), x, y, seed),
    naive8: naiveConfig(benchSpace(n, undefined, sc), x, y, seed),
    res1: maskedConfig(benchSpace(1, undefined, sc), x, y, seed),
    res4: maskedConfig(benchSpace(1, resolutions, sc), x, y, seed),
    res4all: maskedConfig(benchSpace(1, resolutions, sc), x, y, seed, 'all'),
  };
  const names = Object.keys(configs) as (keyof typeof configs)[];
  const times = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<keyof typeof configs, number[]>;
  const peaks = {} as Record<keyof typeof configs, number>;
  try {
    for (const k of names) {
      for (let i = 0; i < (o.warmup ?? 2); i++) configs[k].step();
      // The largest peak over a few steps: a sampled resolution differs from step to step.
      peaks[k] = 0;
      for (let i = 0; i < 4; i++) {
        const before = tf.memory().numBytes;
        const prof = await tf.profile(() => configs[k].step());
        peaks[k] = Math.max(peaks[k], prof.peakBytes - before);
      }
    }
    for (let r = 0; r < rounds; r++) {
      for (const k of names) {
        const t = performance.now();
        configs[k].step();
        times[k].push(performance.now() - t);
        await new Promise((res) => setImmediate(res));
      }
    }
  } finally {
    for (const k of names) configs[k].dispose();
    tf.dispose([x, y]);
  }
  const fig = (k: keyof typeof configs): BenchConfigFigures => ({ stepMs: Math.min(...times[k]), medianStepMs: median(times[k]), stepPeakBytes: peaks[k], params: configs[k].params });
  // Time ratios pair the configurations within each round (timed back to back) and take the
  // median over rounds: drift between rounds cancels, and one slow step moves no ratio.
  const ratio = (a: keyof typeof configs, b: keyof typeof configs) => median(times[a].map((t, i) => t / times[b][i]));
  const out = Object.fromEntries(names.map((k) => [k, fig(k)])) as BenchDmaskingResult['configs'];
  const R = Math.max(...resolutions);
  const r3 = (v: number) => Math.round(v * 1000) / 1000;
  return {
    host: hostname(),
    date: new Date().toISOString(),
    backend: tf.getBackend(),
    batch,
    rounds,
    stepTimeRatio8to1: r3(ratio('masked8', 'masked1')),
    memoryRatio8to1: r3(out.masked8.stepPeakBytes / out.masked1.stepPeakBytes),
    naiveStepTimeRatio8to1: r3(ratio('naive8', 'masked1')),
    naiveMemoryRatio8to1: r3(out.naive8.stepPeakBytes / out.masked1.stepPeakBytes),
    resolutionTimeRatio4to1: r3(ratio('res4', 'res1')),
    resolutionMemoryRatio4to1: r3(out.res4.stepPeakBytes / out.res1.stepPeakBytes),
    resolutionAllTimeRatio4to1: r3(ratio('res4all', 'res1')),
    resolutionAllMemoryRatio4to1: r3(out.res4all.stepPeakBytes / out.res1.stepPeakBytes),
    resolutionPixelRatio4to1: r3(resolutions.reduce((s, r) => s + r * r, 0) / (R * R)),
    configs: out,
  };
}

/** Write `benchmarks/results/dmasking-<host>.json` (or into `dir`); returns the path. */
export function writeBenchDmasking(result: BenchDmaskingResult, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const path = safeJoin(dir, `dmasking-${fileSlug(result.host, 64)}.json`);
  writeFileSync(path, JSON.stringify(result, null, 2) + '\n');
  return path;
}
