import { defineCommand } from '../command.ts';
import { flag, JSON_FLAG, parseCommandLine, usage, type CommandLine, type FlagValues } from '../flags.ts';
import { BACKEND_OR_AUTO_FLAG } from './backends.ts';
import { DATA_FLAGS } from '../data-flags.ts';

export const SEARCH_VERSIONS = ['v1', 'v2', 'v3'] as const;
export type SearchVersion = (typeof SEARCH_VERSIONS)[number];

/**
 * Preset names per search, listed here so `--preset` is checked before the stages load
 * (cli-errors.test.ts keeps them equal to the stages' preset tables).
 */
export const SEARCH_PRESET_NAMES: Record<SearchVersion, readonly string[]> = {
  v1: ['quick', 'smoke', 'full'],
  v2: ['quick', 'smoke', 'full'],
  v3: ['quick', 'smoke', 'full'],
};

/** Flags that override the v1 preset (recorded in the run, so --resume continues with them). */
export const V1_OVERRIDE_FLAGS = ['alpha', 'beta', 'supernet-epochs', 'epochs', 'tau0', 'tau-end', 'max-params', 'max-flops', 'max-latency-ms'] as const;

/**
 * What `--resume` does with each flag (docs/errors.md, "Resuming"): these fix what the run
 * computes, so they are refused; `--backend`, `--seed` and `--lut` are accepted only when they
 * repeat the run's own value (checked against the run); `--threads`, `--queue`, `--workers` and
 * `--force-lut` may change and are recorded in the run's config.
 */
export const SEARCH_FIXED_ON_RESUME = ['preset', ...V1_OVERRIDE_FLAGS, 'baselines', 'data-dir', 'data', 'data-format', 'data-size', 'out'] as const;

const FLAGS = {
  ...JSON_FLAG,
  preset: flag.text('a preset name'),
  out: flag.path(),
  resume: flag.path(),
  'data-dir': flag.path(),
  ...DATA_FLAGS,
  'data-size': flag.positiveInt(),
  lut: flag.path(),
  'force-lut': flag.bool(),
  backend: BACKEND_OR_AUTO_FLAG,
  seed: flag.seed(),
  threads: flag.positiveInt(),
  queue: flag.redisUrl(),
  workers: flag.positiveInt(),
  alpha: flag.positiveNumber(),
  beta: flag.positiveNumber(),
  'supernet-epochs': flag.positiveInt(),
  epochs: flag.positiveInt(),
  tau0: flag.positiveNumber(),
  'tau-end': flag.positiveNumber(),
  'max-params': flag.positiveInt(),
  'max-flops': flag.positiveInt(),
  'max-latency-ms': flag.positiveNumber(),
  baselines: flag.path(),
};

function check(f: FlagValues<typeof FLAGS>, args: string[]): void {
  const version = args[0] as SearchVersion;
  if (!SEARCH_VERSIONS.includes(version)) {
    throw usage(`unknown search "${args[0]}"; known: ${SEARCH_VERSIONS.join(', ')}`);
  }
  if (f.queue && f.workers !== undefined) {
    throw usage('--workers and --queue both say where candidates train; give one (--workers N: child processes on this machine; --queue: fbnet workers on Redis)');
  }
  if (f.queue && version !== 'v3') throw usage('--queue applies to search v3 (candidate training)');
  if (f.workers !== undefined && version !== 'v3') throw usage('--workers applies to search v3 (candidate training)');
  const v1Only = V1_OVERRIDE_FLAGS.find((k) => f[k] !== undefined);
  if (v1Only && version !== 'v1') throw usage(`--${v1Only} applies to search v1`);
  if (f.baselines && version !== 'v1') throw usage('--baselines applies to search v1 (fbnet bench baselines makes the file)');
  if (f.data && f['data-dir']) throw usage('--data and --data-dir both name the data; give one (--data-dir is for Fashion-MNIST files)');
  if (f.data && f.baselines) throw usage('--baselines are measured on Fashion-MNIST; they do not apply to --data');
  if (f['data-format'] && !f.data) throw usage('--data-format applies to --data; give --data <path>');
  if (f['data-size'] && !f.data) throw usage('--data-size applies to --data; give --data <path>');
  if (f.resume) {
    const fixed = SEARCH_FIXED_ON_RESUME.find((k) => f[k] !== undefined);
    if (fixed) throw usage(`--resume continues a run with the options it was started with; drop --${fixed}`);
    return;
  }
  const presets = SEARCH_PRESET_NAMES[version];
  if (f.preset !== undefined && !presets.includes(f.preset)) {
    throw usage(`unknown preset "${f.preset}" for search ${version}; known: ${presets.join(', ')}`);
  }
}

export const SEARCH_GRAMMAR = { flags: FLAGS, args: ['v1|v2|v3'], check };
export type SearchLine = CommandLine<typeof FLAGS>;

export const searchCommand = defineCommand({
  name: 'search',
  summary:
    'architecture search — v1: FBNet DNAS; v2: DMaskingNAS (channels, resolution); ' +
    'v3: JointNAS (arch + training recipe)',
  usage:
    'fbnet search v1|v2|v3 [--preset quick|full|smoke] [--out DIR | --resume DIR] ' +
    '[--alpha X --beta X --tau0 X --tau-end X --supernet-epochs N --epochs N --max-params N --max-flops N --max-latency-ms X --baselines FILE (v1)] ' +
    '[--data-dir DIR | --data PATH [--data-format F] [--data-size N]] [--lut lut.json [--force-lut]] ' +
    '[--backend cpu|wasm|webgpu|node-gpu|auto] [--threads N] [--seed N] [--workers N | --queue redis://host:port (v3)] [--json]',
  parse: (argv) => parseCommandLine(argv, SEARCH_GRAMMAR),
  load: async () => (await import('./run-search.ts')).runSearch,
});
