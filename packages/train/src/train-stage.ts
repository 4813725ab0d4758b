import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { defineStage, FbnetError, parseArchDef, type ArchDef, type StageRun } from '@fbnet/core';
import type { StageData } from '@fbnet/data';
import { Net, type InputNormalization, type ParamSnapshot } from '@fbnet/nn';
import { loadCheckpoint, saveCheckpoint } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { exportModel } from './export.ts';
import { readVariables } from './read-back.ts';
import { parseRecipe, type TrainRecipe, type TrainRecipeInput } from './recipe.ts';
import { archHash, trainNet, type TrainEvent } from './trainer.ts';

/** What `trainStage` trains: an arch from scratch with a recipe (`parseRecipe` input). */
export interface TrainStageInput {
  arch: ArchDef;
  recipe: TrainRecipeInput | TrainRecipe;
  /** Name of this training inside the run (checkpoint and weights file names); default `train`. */
  name?: string;
}

/** The trained weights' location and the training's figures (plain JSON). */
export interface TrainStageResult {
  /** The weights checkpoint, relative to the run (`<prefix><name>.weights.ckpt`); `exportStage` reads it. */
  weights: string;
  epochs: number;
  /** Trainable parameters. */
  params: number;
  /** Mean training loss of the last epoch. */
  trainLoss: number;
  valAccuracy?: number;
  testAccuracy?: number;
  /** Seconds of training in the session that finished it (a resumed run counts from the resume). */
  seconds: number;
}

/** Metadata of a weights file written by `trainStage`. */
export interface WeightsMeta {
  kind: 'fbnet-weights';
  version: 1;
  archHash: string;
  normalization: InputNormalization;
}

/** The network an arch def describes, defaults filled in (a parsed and an unparsed def of one net agree). */
function netKey(arch: ArchDef): string {
  return archHash(parseArchDef(arch));
}

function needRun(run: StageRun | undefined, stage: string): StageRun {
  if (!run) throw new FbnetError('USAGE', `the ${stage} stage needs a run directory (context.run) for its checkpoint and files`);
  return run;
}

/**
 * Stage `train`: train `input.arch` from scratch on `context.data.train` (validation after
 * every epoch on `val`, final accuracy on `val`/`test` when given), exactly as `Trainer` does.
 * Checkpoints `<prefix><name>` every epoch; unsubscribing stops before the next step and
 * checkpoints the exact position, and the same stage on the same run resumes from it and ends
 * bit-identical to an uninterrupted run. The trained weights (EMA weights when EMA is on) go to
 * `<prefix><name>.weights.ckpt` in the run; a finished training is not repeated (a recipe with
 * more epochs continues it from its last checkpoint).
 */
export const trainStage = defineStage<TrainStageInput, TrainStageResult, TrainEvent, StageData>('train', async (input, ctx, io) => {
  const run = needRun(ctx.run, 'train');
  const data = ctx.data;
  if (!data) throw new FbnetError('USAGE', 'the train stage needs a data set (context.data)');
  const recipe = parseRecipe(input.recipe);
  const name = `${ctx.prefix ?? ''}${input.name ?? 'train'}`;
  const weights = `${name}.weights.ckpt`;
  const hash = netKey(input.arch);
  const recipeKey = JSON.stringify(recipe);
  const done = run.readJson<TrainStageResult & { archHash: string; recipe: string }>(`${name}.result.json`);
  if (done && done.archHash === hash && done.recipe === recipeKey && existsSync(run.file(done.weights))) {
    io.info(`train: ${name} already finished in this run (${done.weights})`);
    const { archHash: _h, recipe: _r, ...result } = done;
    return result;
  }
  const net = new Net(input.arch, { seed: ctx.seed, normalization: data.normalization, dropout: recipe.dropout });
  try {
    const r = await trainNet(
      net,
      { arch: input.arch, train: data.train, val: data.val, test: data.test, recipe, seed: ctx.seed, normalization: data.normalization, run, checkpointName: name },
      { signal: io.signal, emit: (e) => io.emit(e) },
    );
    if (!r.completed) {
      if (io.signal.aborted) return undefined as never; // cancelled: the checkpoint holds the position; the result is dropped
      throw new FbnetError('CHECKPOINT', `training ${name} stopped after ${r.epochs} of ${recipe.epochs} epochs`);
    }
    const meta: WeightsMeta = { kind: 'fbnet-weights', version: 1, archHash: hash, normalization: data.normalization };
    await readVariables();
    const snap = net.store.snapshot();
    saveCheckpoint(run.file(weights), { meta, tensors: Object.fromEntries(Object.entries(snap).map(([k, v]) => [k, { shape: v.shape, data: v.data }])) });
    const result: TrainStageResult = {
      weights,
      epochs: r.epochs,
      params: r.params,
      trainLoss: r.trainLoss,
      ...(r.valAccuracy !== undefined ? { valAccuracy: r.valAccuracy } : {}),
      ...(r.testAccuracy !== undefined ? { testAccuracy: r.testAccuracy } : {}),
      seconds: r.seconds,
    };
    run.writeJson(`${name}.result.json`, { ...result, archHash: hash, recipe: recipeKey });
    return result;
  } finally {
    net.dispose();
  }
});

/** Load a `trainStage` weights file into a fresh net of `arch` (checked to be the arch it was trained for). */
export function loadTrainedNet(arch: ArchDef, path: string, seed = 0): Net {
  if (!existsSync(path)) throw new FbnetError('USAGE', `no weights file at ${path}`);
  const ckpt = loadCheckpoint<WeightsMeta>(path);
  if (ckpt.meta?.kind !== 'fbnet-weights') throw new FbnetError('FILE_INVALID', `${path} is not a weights file of the train stage`);
  if (ckpt.meta.archHash !== netKey(arch)) throw new FbnetError('USAGE', `${path} holds weights of another architecture`);
  const net = new Net(arch, { seed, normalization: ckpt.meta.normalization });
  try {
    const snap: ParamSnapshot = {};
    for (const [k, v] of Object.entries(ckpt.tensors)) snap[k] = { shape: v.shape, data: v.data, trainable: true };
    net.store.restore(snap);
    return net;
  } catch (e) {
    net.dispose();
    throw e;
  }
}

/** What `exportStage` exports: an arch and the `trainStage` weights for it (path relative to the run). */
export interface ExportStageInput {
  arch: ArchDef;
  weights: string;
}

export interface ExportStageResult {
  /** The TF.js Layers `model.json`, relative to the run (`<prefix>model/model.json`); it takes raw pixels and returns class probabilities. */
  modelPath: string;
  /** The arch def written beside it, relative to the run. */
  archPath: string;
  params: number;
  /** Multiply-adds of one image (shape propagation's count). */
  flops: number;
  /** Size of weights.bin. */
  bytes: number;
}

/**
 * Stage `export`: load the trained weights into the net and write it as a stock TF.js Layers
 * model (`model.json` + `weights.bin` + `arch.json`) into `<prefix>model/` of the run. One
 * step: each file is written atomically, and a cancelled export is simply rerun.
 */
export const exportStage = defineStage<ExportStageInput, ExportStageResult>('export', async (input, ctx, io) => {
  const run = needRun(ctx.run, 'export');
  const net = loadTrainedNet(input.arch, run.file(input.weights), ctx.seed);
  try {
    if (io.signal.aborted) return undefined as never;
    const model = await exportModel(net, run.file(`${ctx.prefix ?? ''}model`));
    const cost = archCost(input.arch);
    return {
      modelPath: relative(run.path, model.modelJson),
      archPath: relative(run.path, join(model.dir, 'arch.json')),
      params: cost.params,
      flops: cost.flops,
      bytes: model.bytes,
    };
  } finally {
    net.dispose();
  }
});
