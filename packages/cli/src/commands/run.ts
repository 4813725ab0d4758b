import { defineCommand } from '../command.ts';
import { flag, JSON_FLAG, parseCommandLine, usage, type CommandLine, type FlagValues } from '../flags.ts';
import { BACKEND_OR_AUTO_FLAG } from './backends.ts';
import { DATA_FLAGS } from '../data-flags.ts';

/** The presets a pipeline file may name (kept equal to @fbnet/pipeline's by cli-errors.test.ts; listed here so the grammar loads nothing heavy). */
export const PIPELINE_PRESETS = ['smoke', 'quick', 'full'] as const;

const FLAGS = {
  ...JSON_FLAG,
  out: flag.path(),
  resume: flag.path(),
  backend: BACKEND_OR_AUTO_FLAG,
  seed: flag.seed(),
  preset: flag.text('smoke, quick or full'),
  'data-dir': flag.path(),
  ...DATA_FLAGS,
  'data-size': flag.positiveInt(),
  threads: flag.positiveInt(),
};

function check(f: FlagValues<typeof FLAGS>, args: string[]): void {
  if (f.resume) {
    if (f.out) throw usage('--resume continues the run in its own directory; drop --out');
    const fixed = (['backend', 'seed', 'preset', 'data', 'data-dir', 'data-format', 'data-size'] as const).find((k) => f[k] !== undefined);
    if (fixed) throw usage(`--resume continues a run with the options it was started with; drop --${fixed}`);
    if (args.length > 1) throw usage(`one pipeline file at most; got ${args.length}`);
    return;
  }
  if (args.length !== 1) throw usage(args.length ? `one pipeline file; got ${args.length}` : 'missing <pipeline.json>');
  if (f.data && f['data-dir']) throw usage('--data and --data-dir both name the data; give one (--data-dir is for Fashion-MNIST files)');
  if ((f['data-format'] || f['data-size']) && !f.data) throw usage(`--${f['data-format'] ? 'data-format' : 'data-size'} applies to --data; give --data <path>`);
  if (f.preset !== undefined && !PIPELINE_PRESETS.includes(f.preset as never)) throw usage(`unknown preset "${f.preset}"; known: ${PIPELINE_PRESETS.join(', ')}`);
}

export const RUN_GRAMMAR = { flags: FLAGS, args: ['pipeline.json?'], check };
export type RunLine = CommandLine<typeof FLAGS>;

export const runCommand = defineCommand({
  name: 'run',
  summary: 'run a pipeline file: stages (latency-lut, gumbel-supernet, dmasking, autotrain, acc-predictor, evolutionary-search, train, export, report) type-checked, then run as one resumable run',
  usage: 'fbnet run <pipeline.json> [--preset smoke|quick|full] [--data PATH [--data-format F] [--data-size N] | --data-dir DIR] [--out DIR] [--backend ID|auto] [--seed N] [--threads N] [--json]\n  fbnet run --resume DIR [pipeline.json] [--threads N] [--json]',
  parse: (argv) => parseCommandLine(argv, RUN_GRAMMAR),
  load: async () => (await import('./run-run.ts')).runPipelineCommand,
});
