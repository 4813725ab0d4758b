import { join } from 'node:path';
import { FbnetError, type ArchDef } from '@fbnet/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, loadFashionMnist, splitTrainVal } from '@fbnet/data';
import { newRunId, RunDir } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { exportModel, parseRecipe, Trainer, type TrainRecipe, type TrainRecipeInput } from '@fbnet/train';
import { describeChoice, initBackend, type ActiveBackend, type BackendChoice } from '../backend.ts';
import { readArchDef, readJsonFile } from '../files.ts';
import { makeOutput, progressBar, type Output } from '../output.ts';
import {
  checkInputDir,
  checkNewRunDir,
  createRun,
  finishedResult,
  keepOnResume,
  openRunOf,
  recordResume,
  shownResult,
  storeResult,
} from '../run-files.ts';
import { follow } from '../streams.ts';
import { loadUserData, type UserDataSource } from '../user-data.ts';
import type { TrainLine } from './train.ts';

interface TrainOptions {
  recipe: TrainRecipe;
  dataDir: string | null;
  /** `--data`: the user's own data set (absent: Fashion-MNIST from dataDir or the bundled subset). */
  data?: UserDataSource | null;
  backend: string;
  /** `--backend auto`: every candidate's figures or why it could not run (`backend` is the winner). */
  backendChoice?: BackendChoice;
}

function loadData(o: TrainOptions, arch: ArchDef, archPath: string, seed: number, out: Output) {
  if (o.data) {
    const d = loadUserData(o.data, arch, archPath, seed, out);
    return { train: d.train, val: d.val, test: d.test, normalization: d.normalization };
  }
  const full = loadFashionMnist({ split: 'train', dataDir: o.dataDir ?? undefined });
  const test = loadFashionMnist({ split: 'test', dataDir: o.dataDir ?? undefined });
  const normalization = { mean: [FASHION_MNIST_MEAN], std: [FASHION_MNIST_STD] };
  return { ...splitTrainVal(full, { valFraction: 0.1, seed }), test, normalization };
}

export async function runTrain(line: TrainLine): Promise<number> {
  const f = line.flags;
  const out = makeOutput(!!f.json);
  if (f.resume) return resumeTrain(f, out);

  // Every input is read and checked before the run directory exists: a failed start leaves nothing behind.
  const archPath = line.args[0];
  const arch = readArchDef(archPath);
  const recipeIn: TrainRecipeInput = f.recipe ? (readJsonFile(f.recipe, 'recipe') as TrainRecipeInput) : { epochs: 10 };
  if (f.epochs !== undefined) recipeIn.epochs = f.epochs;
  if (f.batch !== undefined) recipeIn.batchSize = f.batch;
  if (f.lr !== undefined) recipeIn.lr = f.lr;
  const data = f.data ? { path: f.data, format: f['data-format'] ?? 'auto' } : null;
  const o: TrainOptions = { recipe: parseRecipe(recipeIn), dataDir: f['data-dir'] ?? null, data, backend: f.backend ?? 'wasm' };
  const seed = f.seed ?? 0;
  const dir = f.out ?? join('runs', newRunId('train'));
  checkNewRunDir(dir);
  if (o.dataDir) checkInputDir('data-dir', o.dataDir);
  const backend = await initBackend(o.backend);
  if (backend.choice) {
    out.info(describeChoice(backend.choice));
    Object.assign(o, { backend: backend.id, backendChoice: backend.choice });
  }
  const loaded = loadData(o, arch, archPath, seed, out);
  const run = createRun(dir, { command: 'train', seed, options: o as unknown as Record<string, unknown> });
  run.writeJson('arch.json', arch);
  return train(run, arch, o, backend, loaded, archPath, out);
}

async function resumeTrain(f: TrainLine['flags'], out: Output): Promise<number> {
  // Checks and a finished run's report only read the run: no lock until work starts.
  const peek = openRunOf(f.resume!, 'train', { lock: false });
  const o = peek.config.options as unknown as TrainOptions;
  const own = parseRecipe(o.recipe);
  keepOnResume('backend', f.backend === 'auto' && o.backendChoice ? o.backend : f.backend, o.backend);
  keepOnResume('seed', f.seed, peek.config.seed);
  if (f.epochs !== undefined && f.epochs < own.epochs) {
    const why = `--epochs ${f.epochs} is fewer than the run's ${own.epochs}`;
    throw new FbnetError('USAGE', `${why}; on --resume, --epochs can only extend the training`);
  }
  const extend = f.epochs !== undefined && f.epochs > own.epochs;
  // Finished and not extended: report the result as it is; nothing is trained or written again.
  const finished = finishedResult(peek, () => true);
  if (finished && !extend) {
    const shown = shownResult(peek, finished);
    const acc = (((finished.testAccuracy as number) ?? 0) * 100).toFixed(2);
    out.info(`${peek.path} is finished; test accuracy ${acc}%; model ${shown.modelPath}`);
    out.result(shown);
    return 0;
  }
  const run = openRunOf(f.resume!, 'train');
  const options = extend ? (recordResume(run, { recipe: { ...own, epochs: f.epochs } }) as unknown as TrainOptions) : o;
  if (extend) out.info(`extending ${run.path} from ${own.epochs} to ${f.epochs} epochs (recorded in config.json)`);
  const arch = readArchDef(run.file('arch.json'));
  const backend = await initBackend(options.backend ?? 'wasm');
  const archPath = run.file('arch.json');
  return train(run, arch, options, backend, loadData(options, arch, archPath, run.config.seed, out), archPath, out);
}

async function train(
  run: RunDir,
  arch: ArchDef,
  o: TrainOptions,
  backend: ActiveBackend,
  data: ReturnType<typeof loadData>,
  archPath: string,
  out: Output,
): Promise<number> {
  const recipe = parseRecipe(o.recipe);
  const { train: trainSet, val, test } = data;
  const sizes = `${trainSet.count} images (val ${val.count}, test ${test.count})`;
  out.info(`training ${archPath} on ${sizes} with ${backend.id}; run ${run.path}`);
  const { normalization } = data;
  const trainer = new Trainer({ arch, train: trainSet, val, test, recipe, seed: run.config.seed, normalization, run });
  const sub = follow(trainer.events$, (e) => {
    run.appendEvent(e);
    if (e.type === 'stage/progress') out.progress(progressBar(e.phase, e.done, e.total, e.etaSec));
    if (e.type === 'train/epoch-ended') {
      const val = e.valAccuracy !== undefined ? ` val acc ${(e.valAccuracy * 100).toFixed(2)}%` : '';
      const acc = `train acc ${(e.trainAccuracy * 100).toFixed(2)}%${val}`;
      out.info(`epoch ${e.epoch}: loss ${e.trainLoss.toFixed(4)} ${acc} ${e.imagesPerSec.toFixed(1)} img/s`);
    }
  });
  const stop = () => trainer.cancel();
  process.once('SIGINT', stop);
  try {
    const r = await trainer.run();
    out.endProgress();
    // Cancelled (Ctrl-C) after a checkpoint: no result.json, which would mark the run finished.
    if (r.epochs < recipe.epochs) {
      throw new FbnetError('CHECKPOINT', `training interrupted; resume with: fbnet train --resume ${run.path}`);
    }
    const model = await exportModel(trainer.net, run.file('model'));
    const cost = archCost(arch);
    const stored = storeResult(run, {
      testAccuracy: r.testAccuracy,
      valAccuracy: r.valAccuracy,
      params: cost.params,
      flops: cost.flops,
      epochs: r.epochs,
      seconds: r.seconds,
      backend: backend.id,
      archPath: run.file('arch.json'),
      modelPath: model.modelJson,
    });
    const shown = shownResult(run, stored);
    out.info(`test accuracy ${((r.testAccuracy ?? 0) * 100).toFixed(2)}%; model ${shown.modelPath}`);
    out.result(shown);
    return 0;
  } finally {
    process.off('SIGINT', stop);
    sub.unsubscribe();
    trainer.dispose();
  }
}
