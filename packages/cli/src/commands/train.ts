import { defineCommand } from '../command.ts';
import { flag, JSON_FLAG, parseCommandLine, usage, type CommandLine, type FlagValues } from '../flags.ts';
import { BACKEND_OR_AUTO_FLAG } from './backends.ts';
import { DATA_FLAGS } from '../data-flags.ts';

/**
 * `--resume` keeps what the training computes: these flags are refused with it. `--epochs` may
 * extend the run (recorded in its config); `--backend` and `--seed` may only repeat the run's own.
 */
export const TRAIN_FIXED_ON_RESUME = ['batch', 'lr', 'recipe', 'data-dir', 'data', 'data-format', 'out'] as const;

const FLAGS = {
  ...JSON_FLAG,
  epochs: flag.positiveInt(),
  batch: flag.positiveInt(),
  lr: flag.positiveNumber(),
  recipe: flag.path(),
  'data-dir': flag.path(),
  ...DATA_FLAGS,
  out: flag.path(),
  resume: flag.path(),
  backend: BACKEND_OR_AUTO_FLAG,
  seed: flag.seed(),
};

function check(f: FlagValues<typeof FLAGS>, args: string[]): void {
  if (f.data && f['data-dir']) throw usage('--data and --data-dir both name the data; give one (--data-dir is for Fashion-MNIST files)');
  if (f['data-format'] && !f.data) throw usage('--data-format applies to --data; give --data <path>');
  if (f.resume) {
    if (args.length) throw usage(`--resume trains the run's own arch.json; drop "${args[0]}"`);
    const fixed = TRAIN_FIXED_ON_RESUME.find((k) => f[k] !== undefined);
    if (fixed) throw usage(`--resume continues a run with the options it was started with; drop --${fixed}`);
  } else if (!args.length) {
    throw usage('missing <arch.json>');
  }
}

export const TRAIN_GRAMMAR = { flags: FLAGS, args: ['arch.json?'], check };
export type TrainLine = CommandLine<typeof FLAGS>;

export const trainCommand = defineCommand({
  name: 'train',
  summary: 'train an arch def from scratch (Fashion-MNIST or --data), evaluate, export a TF.js Layers model',
  usage:
    'fbnet train <arch.json> [--epochs N] [--batch N] [--lr X] [--recipe recipe.json] ' +
    '[--data-dir DIR | --data PATH [--data-format F]] [--out DIR] ' +
    '[--backend wasm|cpu|webgpu|node-gpu|auto] [--seed N] [--json]\n  fbnet train --resume DIR [--epochs N (to extend)] [--json]',
  parse: (argv) => parseCommandLine(argv, TRAIN_GRAMMAR),
  load: async () => (await import('./run-train.ts')).runTrain,
});
