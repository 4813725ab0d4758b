import * as tf from '@tensorflow/tfjs-core';
import {
  archFromChoice,
  defineStage,
  FbnetError,
  getSearchSpacePreset,
  parseArchDef,
  parseSearchSpace,
  type ArchDef,
  type SearchSpace,
  type StageContext,
  type StageIo,
  type Rng,
  type StageRun,
} from '@fbnet/core';
import type { BatchIterator, ImageDataset, StageData } from '@fbnet/data';
import { correctCount } from '@fbnet/train';
import { LatencyModel, type LatencyTable, type LayerLatency } from '@fbnet/latency-lut';
import { crossEntropy, type InputNormalization } from '@fbnet/nn';
import { dnasContext, epochFigures, runBilevel, sampleAndDerive, scorePath, type DnasOptions } from './bilevel.ts';
import type { ArchSummary, SupernetEvent, SupernetEventMap } from './events.ts';
import { choiceCosts, layerCosts, meetsConstraints, mostProbableUnder, type V1Constraints } from './constraints.ts';
import { argmaxTheta, sampleFromTheta, thetaProbs } from './gumbel.ts';
import { checkLatencyTerm, latencyAwareLoss } from './loss.ts';
import { Supernet, type MixMode } from './supernet.ts';

/** The V1 search's settings (the fields of a preset's `supernet`); every default is the FBNet paper's. */
export interface GumbelSupernetOptions extends DnasOptions {
  /** Eq. 2's latency factor α · (log LAT)^β. */
  alpha?: number;
  beta?: number;
  /** Unit of LAT inside eq. 2; 'auto' picks ms when every arch is above 2 ms, else µs. */
  latencyUnit?: 'ms' | 'us' | 'auto';
  /**
   * Hard limits on the derived arch (and on the archs sampled from P_θ): the most probable arch
   * under P_θ that meets them is derived instead of argmax θ (`mostProbableUnder`). The latency
   * term of the loss steers the search; a limit guarantees the result.
   */
  constraints?: V1Constraints;
}

/** Input of `gumbelSupernetStage` (plain data). */
export interface GumbelSupernetInput {
  /** The V1 search space, or a preset name. */
  space: SearchSpace | string;
  /** A latency table of the space (this device's); or, instead, `latency`. */
  table?: LatencyTable;
  /** A [layers x candidates] latency matrix plus fixed ms (synthetic latencies, tests). */
  latency?: LayerLatency;
  options: GumbelSupernetOptions;
}

/** Result of `gumbelSupernetStage`. */
export interface GumbelSupernetResult {
  derived: ArchSummary;
  sampled: ArchSummary[];
  /** θ per searchable layer at the end. */
  thetas: number[][];
  epochs: number;
  /** The derived arch's def (named `fbnet-v1-<seed>`). */
  arch: ArchDef;
  /** With `constraints`: the limits, argmax θ's ops and costs (what the search would have derived without them), and whether the derivation was exact. */
  constrained?: ConstrainedDerivation;
}

export interface ConstrainedDerivation {
  limits: V1Constraints;
  exact: boolean;
  argmax: { ops: number[]; params: number; flops: number; latencyMs: number; meetsLimits: boolean };
  derived: { params: number; flops: number; latencyMs: number };
}

/** The search on data already split 80/20 (what the stage runs). */
export interface SupernetSearchOptions extends GumbelSupernetOptions {
  space: SearchSpace;
  latency: LayerLatency | LatencyModel;
  /** FBNet splits the training set: 80% trains the weights, 20% trains θ. */
  data: { weights: ImageDataset; theta: ImageDataset };
  normalization: InputNormalization;
  seed: number;
  run?: StageRun;
  /** Checkpoint name inside the run (default `supernet`). */
  checkpointName?: string;
}

export type SupernetSearchResult = Omit<GumbelSupernetResult, 'arch'>;

const hasLimits = (c?: V1Constraints): c is V1Constraints => !!c && (c.maxParams !== undefined || c.maxFlops !== undefined || c.maxLatencyMs !== undefined);

const d = <T>(v: T | undefined, x: T) => (v === undefined ? x : v);

/**
 * The FBNetV1 DNAS search (the shared bilevel loop, `bilevel.ts`, with V1's forward and loss):
 * per epoch, weights by SGD on the weight split, then (after warm-up) θ by Adam on the θ split,
 * both with the latency-aware loss (eq. 2) of the expected latency (eq. 9); then archs sampled
 * from P_θ (eq. 6) and argmax θ derived. Undefined when `io.signal` aborted (checkpoint kept).
 */
export async function supernetSearch(o: SupernetSearchOptions, io: StageIo<SupernetEvent>): Promise<SupernetSearchResult | undefined> {
  const latency = o.latency instanceof LatencyModel ? o.latency : LatencyModel.fromLayers(o.latency);
  const net = new Supernet(o.space, o.normalization, o.seed);
  try {
    const unit = o.latencyUnit ?? 'auto';
    const { layerMs, fixedMs } = latency.layers;
    const minMs = fixedMs + layerMs.reduce((s, row) => s + Math.min(...row), 0);
    const latencyScale = unit === 'ms' ? 1 : unit === 'us' ? 1000 : minMs > 2 ? 1 : 1000;
    const lossOpts = { alpha: d(o.alpha, 0.2), beta: d(o.beta, 0.6) };
    // E[LAT] (eq. 9) is a convex mix of candidate latencies: never below the fastest arch's.
    checkLatencyTerm(minMs * latencyScale);
    // Limits no arch can meet are an error now, not after the supernet has trained.
    const costs = hasLimits(o.constraints) ? layerCosts(o.space, latency.layers) : undefined;
    if (costs) mostProbableUnder(net.layers.map((l) => l.candidates.map(() => 0)), costs, o.constraints!);

    const outcome = await runBilevel(
      {
        name: 'supernet',
        checkpoint: o.checkpointName ?? 'supernet',
        run: o.run,
        data: o.data,
        net,
        arch: { prefix: 't', label: 'θ', entries: net.thetas.map((t, i) => [String(i), t]) },
        loss: (x, y, s, stats) => {
          const f = net.forward(x, { kind: 'gumbel', tau: s.tau, noise: s.noise, hard: o.hard }, s.ctx, latency);
          const ce = crossEntropy(f.logits, y);
          const loss = latencyAwareLoss(ce, tf.mul(f.latencyMs, latencyScale) as tf.Scalar, lossOpts);
          stats.ce = ce;
          stats.lat = f.latencyMs;
          if (s.phase === 'arch') stats.correct = correctCount(f.logits, y);
          return loss;
        },
        started: (resumedAtEpoch) =>
          io.emit({ type: 'supernet/started', layers: net.layers.length, candidates: net.layers.map((l) => l.candidates), epochs: o.epochs, resumedAtEpoch, params: net.store.count() }),
        epochEnded: (e) => {
          io.emit({ type: 'supernet/epoch-ended', ...epochFigures(e), latencyMs: latency.expectedV1Value(net.thetaValues().map((t) => thetaProbs(t))) });
          io.emit({ type: 'supernet/theta', epoch: e.epoch, probs: net.thetaValues().map((t) => thetaProbs(t)) });
        },
        checkpointSaved: (epoch) => io.emit({ type: 'supernet/checkpoint-saved', epoch }),
      },
      { ...o },
      io,
    );
    if (!outcome.completed) return undefined;

    const thetas = net.thetaValues();
    let am = argmaxTheta(thetas);
    let draw = (rng: Rng) => sampleFromTheta(thetas, rng);
    let constrained: ConstrainedDerivation | undefined;
    if (costs) {
      const limits = o.constraints!;
      const best = mostProbableUnder(thetas, costs, limits);
      const free = choiceCosts(costs, am.ops);
      constrained = { limits, exact: best.exact, argmax: { ops: am.ops, ...free, meetsLimits: meetsConstraints(costs, limits, am.ops) }, derived: choiceCosts(costs, best.ops) };
      am = { ops: best.ops, probability: best.probability };
      const fallback = am;
      // P_θ restricted to the archs that meet the limits (rejection); the derived arch when none is drawn.
      draw = (rng: Rng) => {
        for (let i = 0; i < 200; i++) {
          const s = sampleFromTheta(thetas, rng);
          if (meetsConstraints(costs, limits, s.ops)) return s;
        }
        return fallback;
      };
    }
    const found = await sampleAndDerive(
      { seed: o.seed, samples: d(o.samples, 8), signal: io.signal },
      draw,
      (s) => s.ops.join(','),
      am,
      (s) => summarize(net, latency, o, s.ops, s.probability, outcome.thetaBatches),
    );
    if (!found) return undefined;
    io.emit({ type: 'search/arch-sampled', archs: found.sampled });
    io.emit({ type: 'search/arch-derived', ...found.derived });
    return { derived: found.derived, sampled: found.sampled, thetas, epochs: outcome.epochs, ...(constrained ? { constrained } : {}) };
  } finally {
    net.dispose();
    if (latency !== o.latency) latency.dispose();
  }
}

/** Describe an architecture and score it with the supernet's shared weights (BN re-estimated). */
async function summarize(net: Supernet, latency: LatencyModel, o: SupernetSearchOptions, ops: number[], probability: number, it: BatchIterator): Promise<ArchSummary> {
  const latencyMs = latency.choiceMs(ops);
  const arch = archFromChoice(o.space, { ops });
  const mode: MixMode = { kind: 'fixed', ops };
  const supernetAccuracy = await scorePath(net, (x, ctx) => net.forward(x, mode, ctx).logits, { thetaBatches: it, passes: d(o.bnRecalibrationBatches, 8), theta: o.data.theta });
  return { choice: { ops }, ops: ops.map((k, l) => net.layers[l].candidates[k]), arch, latencyMs, probability, supernetAccuracy };
}

/**
 * FBNetV1 DNAS as a stage: `ctx.data.train` split 80/20 into weight and θ data (as `fbnet
 * search v1` does), the supernet searched under the table's latency model, checkpointed in
 * `ctx.run` as `${ctx.prefix}supernet`. Unsubscribing stops it after the step in progress with
 * a checkpoint of the exact position; the same stage on the same run resumes from it and gives
 * the result an uninterrupted run gives.
 */
export const gumbelSupernetStage = defineStage<GumbelSupernetInput, GumbelSupernetResult, SupernetEvent, StageData>('gumbel-supernet', async (input, ctx, io) => {
  const space = typeof input.space === 'string' ? getSearchSpacePreset(input.space) : parseSearchSpace(input.space);
  const dnas = dnasContext('gumbel-supernet', ctx, 'supernet');
  let latency: LatencyModel;
  if (input.table) latency = LatencyModel.of(space, input.table);
  else if (input.latency) latency = LatencyModel.fromLayers(input.latency);
  else throw new FbnetError('USAGE', 'gumbel-supernet: give a latency table of the space (table) or a latency matrix (latency)');
  try {
    const r = await supernetSearch({ ...input.options, space, latency, ...dnas }, io);
    if (!r) return undefined as unknown as GumbelSupernetResult;
    return { ...r, arch: parseArchDef({ ...r.derived.arch, name: `fbnet-v1-${ctx.seed}` }) };
  } finally {
    latency.dispose();
  }
});


export type { SupernetEventMap };
