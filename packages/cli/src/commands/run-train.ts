import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FbnetError } from '@fbnet/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, loadFashionMnist, splitTrainVal } from '@fbnet/data';
import { newRunId, RunDir } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { exportModel, parseRecipe, Trainer, type TrainRecipeInput } from '@fbnet/train';
import { initBackend } from '../backend.ts';
import { usageError, type Command } from '../command.ts';
import { readArchDef, readJsonFile } from '../files.ts';
import { makeOutput, progressBar } from '../output.ts';

export const trainCommand: Command = {
  name: 'train',
  summary: 'train an arch def from scratch on Fashion-MNIST, evaluate, export a TF.js Layers model',
  usage:
    'fbnet train <arch.json> [--epochs N] [--batch N] [--lr X] [--recipe recipe.json] [--data-dir DIR] [--out DIR | --resume DIR] [--backend cpu] [--seed N] [--json]',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        epochs: { type: 'string' },
        batch: { type: 'string' },
        lr: { type: 'string' },
        recipe: { type: 'string' },
        'data-dir': { type: 'string' },
        out: { type: 'string' },
        resume: { type: 'string' },
        backend: { type: 'string', default: 'cpu' },
        seed: { type: 'string', default: '0' },
      },
    });
    const out = makeOutput(!!values.json);
    let run: RunDir;
    let archPath: string;
    let opts: Record<string, unknown>;
    if (values.resume) {
      run = RunDir.open(values.resume);
      if (run.config.command !== 'train') throw new FbnetError('USAGE', `${values.resume} is a "${run.config.command}" run, not a train run`);
      opts = run.config.options;
      archPath = run.file('arch.json');
    } else {
      if (positionals.length !== 1) throw usageError(this.usage);
      archPath = positionals[0];
      const recipeIn: TrainRecipeInput = values.recipe ? (readJsonFile(values.recipe, 'recipe') as TrainRecipeInput) : { epochs: 10 };
      if (values.epochs) recipeIn.epochs = Number(values.epochs);
      if (values.batch) recipeIn.batchSize = Number(values.batch);
      if (values.lr) recipeIn.lr = Number(values.lr);
      opts = { recipe: parseRecipe(recipeIn), dataDir: values['data-dir'] ?? null, backend: values.backend };
      run = RunDir.create(values.out ?? join('runs', newRunId('train')), { command: 'train', seed: Number(values.seed), options: opts });
      run.writeJson('arch.json', readArchDef(archPath));
    }
    const arch = readArchDef(run.file('arch.json'));
    const recipe = parseRecipe(opts.recipe);
    const backend = await initBackend(String(opts.backend ?? 'cpu'));
    const dataDir = (opts.dataDir as string | null) ?? undefined;
    const full = loadFashionMnist({ split: 'train', dataDir });
    const test = loadFashionMnist({ split: 'test', dataDir });
    const { train, val } = splitTrainVal(full, { valFraction: 0.1, seed: run.config.seed });
    out.info(`training ${archPath} on ${train.count} images (val ${val.count}, test ${test.count}) with ${backend.id}; run ${run.path}`);

    const trainer = new Trainer({ arch, train, val, test, recipe, seed: run.config.seed, normalization: { mean: [FASHION_MNIST_MEAN], std: [FASHION_MNIST_STD] }, run });
    const sub = trainer.events$.subscribe((e) => {
      run.appendEvent(e);
      if (e.type === 'stage/progress') out.progress(progressBar(e.phase, e.done, e.total, e.etaSec));
      if (e.type === 'train/epoch-ended') {
        out.info(`epoch ${e.epoch}: loss ${e.trainLoss.toFixed(4)} train acc ${(e.trainAccuracy * 100).toFixed(2)}%${e.valAccuracy !== undefined ? ` val acc ${(e.valAccuracy * 100).toFixed(2)}%` : ''} ${e.imagesPerSec.toFixed(1)} img/s`);
      }
    });
    const stop = () => trainer.cancel();
    process.once('SIGINT', stop);
    try {
      const r = await trainer.run();
      out.endProgress();
      const model = await exportModel(trainer.net, run.file('model'));
      const cost = archCost(arch);
      const result = {
        testAccuracy: r.testAccuracy,
        valAccuracy: r.valAccuracy,
        params: cost.params,
        flops: cost.flops,
        epochs: r.epochs,
        seconds: r.seconds,
        backend: backend.id,
        runDir: run.path,
        archPath: run.file('arch.json'),
        modelPath: model.modelJson,
      };
      run.writeJson('result.json', result);
      out.info(`test accuracy ${((r.testAccuracy ?? 0) * 100).toFixed(2)}%; model ${model.modelJson}`);
      out.result(result);
      return 0;
    } finally {
      process.off('SIGINT', stop);
      sub.unsubscribe();
      trainer.dispose();
    }
  },
};
