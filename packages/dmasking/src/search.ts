import * as tf from '@tensorflow/tfjs-core';
import {
  defineStage,
  FbnetError,
  getSearchSpacePreset,
  parseArchDef,
  parseSearchSpace,
  spaceSizeLog10,
  type ArchChoice,
  type ArchDef,
  type SearchSpace,
  type StageIo,
  type StageRun,
} from '@fbnet/core';
import type { BatchIterator, ImageDataset, StageData } from '@fbnet/data';
import { dnasContext, epochFigures, latencyAwareLoss, runBilevel, sampleAndDerive, scorePath, type DnasOptions } from '@fbnet/gumbel-supernet';
import { LatencyModel, type LatencyTable } from '@fbnet/latency-lut';
import { countCorrect, crossEntropy, type InputNormalization } from '@fbnet/nn';
import { argmaxChoice, choiceProbability, describeChoice, distributions, probsOf, sampleChoiceFromProbs } from './derive.ts';
import type { DMaskingEvent, V2ArchSummary } from './events.ts';
import { spaceAroundArch, type SpaceAroundArchOptions } from './seed-space.ts';
import { DMaskingSupernet, type ChoiceWeights, type DMaskingMode } from './supernet.ts';

/** The resource term of the loss: effective FLOPs or params (eq. 10), or E[LAT] from a latency table. */
export type ResourceKind = 'flops' | 'params' | 'latency';

/**
 * How the resource enters the loss. `multiplicative`: FBNet's CE · α · (log R)^β (eq. 2 of
 * FBNet, `latencyAwareLoss`), with R in kFLOPs, params or µs (all > 1 for any real net).
 * `additive`: CE + λ · R / R_0 (FBNetV2's "cross-entropy plus total cost"), R_0 the expected
 * resource at uniform α (the start of the search).
 */
export type ResourceLoss = { kind: 'multiplicative'; alpha: number; beta: number } | { kind: 'additive'; lambda: number };

/** The V2 search's settings (the search fields of a `SEARCH_V2_PRESETS` entry, flattened). */
export interface DMaskingOptions extends DnasOptions {
  /** Resource term of the loss (default `flops`); `latency` needs a latency table of the space. */
  resource?: ResourceKind;
  loss?: ResourceLoss;
}

/** Input of `dmaskingStage` (plain data): a V2 space, or an arch to build one around. */
export interface DMaskingInput {
  /** The V2 search space (or a preset name). One of `space` and `arch` is required. */
  space?: SearchSpace | string;
  /** Seed: search widths, expansions and the input resolution around this arch (e.g. V1's derived arch). */
  arch?: ArchDef;
  /** How the space around `arch` is built (width fractions, expansions, resolutions). */
  around?: SpaceAroundArchOptions;
  /** A latency table of the space: the loss's resource for `resource: 'latency'`, else LAT of the archs when it covers the space. */
  table?: LatencyTable;
  options: DMaskingOptions;
}

/** Result of `dmaskingStage`. */
export interface DMaskingResult {
  derived: V2ArchSummary;
  sampled: V2ArchSummary[];
  /** α per choice key. */
  alphas: Record<string, number[]>;
  epochs: number;
  /** The derived arch's def (named `fbnet-v2-<seed>`). */
  arch: ArchDef;
  /** The space searched (built around `arch` when seeded from one). */
  space: SearchSpace;
}

/** The search on data already split 80/20 (what the stage runs). */
export interface DMaskingSearchOptions extends DMaskingOptions {
  space: SearchSpace;
  /** FBNet splits the training set: 80% trains the weights, 20% trains α. */
  data: { weights: ImageDataset; theta: ImageDataset };
  normalization: InputNormalization;
  seed: number;
  /** Required for `resource: 'latency'`; also reported for the other resources when given. */
  latency?: LatencyModel;
  run?: StageRun;
  /** Checkpoint name inside the run (default `dmasking`). */
  checkpointName?: string;
}

export type DMaskingSearchResult = Omit<DMaskingResult, 'arch' | 'space'>;

const d = <T>(v: T | undefined, x: T) => (v === undefined ? x : v);

/**
 * The DMaskingNAS search (the shared bilevel loop of `@fbnet/gumbel-supernet` with V2's forward
 * and loss): per epoch, the shared weights by SGD on the weight split, then (after warm-up) α by
 * Adam on the α split, both on CE with the resource term of the sampled architecture
 * distribution (effective FLOPs/params, eq. 5-10, or expected latency); τ annealed per epoch
 * (eq. 4). Then argmax per choice: one block, width and expansion per layer and one input
 * resolution. Undefined when `io.signal` aborted (checkpoint kept).
 */
export async function dmaskingSearch(o: DMaskingSearchOptions, io: StageIo<DMaskingEvent>): Promise<DMaskingSearchResult | undefined> {
  const resource = o.resource ?? 'flops';
  if (resource === 'latency' && !o.latency) throw new FbnetError('USAGE', 'resource "latency" needs a latency table of the space');
  const lossKind = o.loss ?? { kind: 'multiplicative', alpha: 0.2, beta: 0.6 };
  const net = new DMaskingSupernet(o.space, o.normalization, o.seed);
  try {
    /** The resource in the loss's unit: kFLOPs, params, or µs. */
    const resourceOf = (w: ChoiceWeights): tf.Scalar => {
      if (resource === 'latency') return tf.mul(o.latency!.expectedMasked(w), 1000) as tf.Scalar;
      if (resource === 'params') return net.effectiveCost(w, 'params');
      return tf.mul(net.effectiveCost(w, 'flops'), 1e-3) as tf.Scalar;
    };
    // The expected resource at uniform α (the additive loss's normaliser).
    const resourceRef = tf.tidy(() => resourceOf(net.mixWeights({ kind: 'expected', tau: 1 })).dataSync()[0]);
    /** Effective FLOPs/params and E[LAT] at P_α (softmax of α, τ = 1). */
    const expectedFigures = () =>
      tf.tidy(() => {
        const w = net.mixWeights({ kind: 'expected', tau: 1 });
        return {
          flops: net.effectiveCost(w, 'flops').dataSync()[0],
          params: net.effectiveCost(w, 'params').dataSync()[0],
          latencyMs: o.latency ? o.latency.expectedMasked(w).dataSync()[0] : undefined,
        };
      });

    const outcome = await runBilevel<Record<string, Float32Array>>(
      {
        name: 'dmasking',
        checkpoint: o.checkpointName ?? 'dmasking',
        run: o.run,
        data: o.data,
        net,
        arch: { prefix: 'a', label: 'α', entries: [...net.thetas] },
        loss: (x, y, s, stats) => {
          const mode: DMaskingMode = { kind: 'gumbel', tau: s.tau, noise: s.noise, hard: o.hard };
          const f = net.forward(x, mode, s.ctx);
          const ce = crossEntropy(f.logits, y);
          const r = resourceOf(f.weights);
          const loss =
            lossKind.kind === 'additive'
              ? (tf.add(ce, tf.mul(r, lossKind.lambda / resourceRef)) as tf.Scalar)
              : latencyAwareLoss(ce, r, { alpha: lossKind.alpha, beta: lossKind.beta });
          stats.ce = ce.dataSync()[0];
          stats.flops = tf.tidy(() => net.effectiveCost(f.weights, 'flops').dataSync()[0]);
          stats.correct = countCorrect(f.logits, y);
          return loss;
        },
        started: (resumedAtEpoch) =>
          io.emit({
            type: 'dmasking/started',
            choices: net.choices.map((x) => ({ key: x.key, kind: x.kind, layer: x.layer, options: x.options })),
            layers: net.layers.length,
            epochs: o.epochs,
            resumedAtEpoch,
            params: net.store.count(),
            resource,
            spaceSizeLog10: spaceSizeLog10(o.space),
          }),
        epochEnded: (e) => {
          const expected = expectedFigures();
          io.emit({
            type: 'dmasking/epoch-ended',
            ...epochFigures(e),
            effectiveFlops: expected.flops,
            effectiveParams: expected.params,
            sampledFlops: e.weights.sums.flops / e.weights.steps,
            expectedLatencyMs: expected.latencyMs,
            argmaxFlops: describeChoice(o.space, argmaxChoice(o.space, net.thetaValues())).flops,
          });
          io.emit({ type: 'dmasking/distributions', epoch: e.epoch, ...distributions(o.space, net.thetaValues()) });
        },
        checkpointSaved: (epoch) => io.emit({ type: 'dmasking/checkpoint-saved', epoch }),
      },
      o,
      io,
    );
    if (!outcome.completed) return undefined;

    const alphas = net.thetaValues();
    const found = await sampleAndDerive(
      { seed: o.seed, samples: d(o.samples, 4), signal: io.signal },
      (rng) => sampleChoiceFromProbs(o.space, probsOf(alphas), rng),
      (c) => JSON.stringify(c),
      argmaxChoice(o.space, alphas),
      (c) => summarize(net, o, c, outcome.thetaBatches),
    );
    if (!found) return undefined;
    io.emit({ type: 'search/arch-sampled', archs: found.sampled });
    io.emit({ type: 'search/arch-derived', ...found.derived });
    return { derived: found.derived, sampled: found.sampled, alphas, epochs: outcome.epochs };
  } finally {
    net.dispose();
  }
}

/** Describe an arch and score it with the supernet's shared weights (BN re-estimated for its path). */
async function summarize(net: DMaskingSupernet, o: DMaskingSearchOptions, choice: ArchChoice, it: BatchIterator): Promise<V2ArchSummary> {
  const base = describeChoice(o.space, choice);
  const probability = choiceProbability(probsOf(net.thetaValues()), choice);
  const latencyMs = o.latency ? o.latency.expectedMaskedValue(o.latency.oneHot(choice)) : undefined;
  const mode: DMaskingMode = { kind: 'fixed', choice };
  const supernetAccuracy = await scorePath(net, (x, ctx) => net.forward(x, mode, ctx).logits, { thetaBatches: it, passes: d(o.bnRecalibrationBatches, 4), theta: o.data.theta });
  return { ...base, latencyMs, probability, supernetAccuracy };
}

/** The space a `dmaskingStage` input names: a given space, a preset, or one built around an arch. */
export function dmaskingSpace(input: Pick<DMaskingInput, 'space' | 'arch' | 'around'>): SearchSpace {
  if (input.space !== undefined) return typeof input.space === 'string' ? getSearchSpacePreset(input.space) : parseSearchSpace(input.space);
  if (input.arch) return spaceAroundArch(input.arch, input.around);
  throw new FbnetError('USAGE', 'dmasking: give a search space (space) or an arch to search around (arch)');
}

/**
 * FBNetV2 DMaskingNAS as a stage: over a V2 space, or over widths, expansions and resolutions
 * around a given arch (e.g. V1's), with `ctx.data.train` split 80/20 into weight and α data;
 * checkpointed in `ctx.run` as `${ctx.prefix}dmasking`. Unsubscribing stops it after the step in
 * progress with a checkpoint of the exact position; the same stage on the same run resumes from
 * it and gives the result an uninterrupted run gives.
 */
export const dmaskingStage = defineStage<DMaskingInput, DMaskingResult, DMaskingEvent, StageData>('dmasking', async (input, ctx, io) => {
  const space = dmaskingSpace(input);
  const dnas = dnasContext('dmasking', ctx, 'dmasking');
  const resource = input.options.resource ?? 'flops';
  let latency: LatencyModel | undefined;
  if (input.table) {
    const model = LatencyModel.of(space, input.table);
    if (resource === 'latency') void model.entries; // refuses a table that lacks entries, saying how many
    if (resource === 'latency' || model.coversSpace()) latency = model;
  }
  if (resource === 'latency' && !latency) throw new FbnetError('USAGE', 'dmasking: resource "latency" needs a latency table of the space (table)');
  try {
    const r = await dmaskingSearch({ ...input.options, space, latency, ...dnas }, io);
    if (!r) return undefined as unknown as DMaskingResult;
    return { ...r, arch: parseArchDef({ ...r.derived.arch, name: `fbnet-v2-${ctx.seed}` }), space };
  } finally {
    latency?.dispose();
  }
});
