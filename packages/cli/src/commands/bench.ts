import { defineCommand } from '../command.ts';
import { flag, JSON_FLAG, parseSubcommand, usage, type CommandLine } from '../flags.ts';
import { BACKEND_LIST_FLAG, BACKEND_OR_AUTO_FLAG } from './backends.ts';

const SHARED = { ...JSON_FLAG, threads: flag.positiveInt(), batch: flag.positiveInt() };
const COMMON = { ...SHARED, backend: BACKEND_OR_AUTO_FLAG };
const KERNELS = {
  flags: {
    ...COMMON,
    arch: flag.path(),
    space: flag.text('a search space preset name or file'),
    'forward-batch': flag.positiveInt(),
    out: flag.path(),
  },
  args: [],
  check(f: { arch?: string; space?: string }) {
    if (!f.arch === !f.space) throw usage('bench kernels needs one of --arch FILE or --space NAME|FILE');
  },
};
const TRAIN = {
  flags: {
    ...COMMON,
    arch: flag.path().required(),
    steps: flag.positiveInt(),
    plan: flag.path(),
    data: flag.oneOf(['random', 'fashion-mnist']),
    'read-every': flag.positiveInt(),
  },
  args: [],
};
const INFER = {
  flags: { ...COMMON, arch: flag.path().required(), iterations: flag.positiveInt(), plan: flag.path() },
  args: [],
};
const TORCH = {
  flags: {
    ...SHARED,
    arch: flag.path().required(),
    backends: BACKEND_LIST_FLAG,
    steps: flag.positiveInt(),
    'with-plan': flag.bool(),
    repeats: flag.positiveInt(),
  },
  args: [],
};
const DMASKING = { flags: { ...COMMON, rounds: flag.positiveInt() }, args: [] };
const BASELINES = {
  flags: {
    ...COMMON,
    preset: flag.oneOf(['quick', 'smoke', 'full']),
    random: flag.positiveInt(),
    seed: flag.seed(),
    'data-dir': flag.path(),
    lut: flag.path(),
    out: flag.path(),
  },
  args: [],
};
export const BENCH_GRAMMARS = { kernels: KERNELS, train: TRAIN, infer: INFER, torch: TORCH, dmasking: DMASKING, baselines: BASELINES };

export type BenchLine =
  | ({ sub: 'kernels' } & CommandLine<typeof KERNELS.flags>)
  | ({ sub: 'train' } & CommandLine<typeof TRAIN.flags>)
  | ({ sub: 'infer' } & CommandLine<typeof INFER.flags>)
  | ({ sub: 'torch' } & CommandLine<typeof TORCH.flags>)
  | ({ sub: 'dmasking' } & CommandLine<typeof DMASKING.flags>)
  | ({ sub: 'baselines' } & CommandLine<typeof BASELINES.flags>);

export const benchCommand = defineCommand({
  name: 'bench',
  summary:
    'per-device benchmarks: kernels (writes the kernel plan), train, infer, torch (side by side with PyTorch), ' +
    'dmasking (V2 cost ratios), baselines (uniform and random nets a V1 search must beat)',
  usage:
    'fbnet bench kernels (--arch FILE | --space NAME|FILE) [--backend ID] [--batch N] [--forward-batch N] ' +
    '[--out plan.json] [--json]\n' +
    '  fbnet bench train --arch FILE [--backend ID] [--batch 64] [--steps N] [--plan FILE] ' +
    '[--data random|fashion-mnist] [--read-every N] [--json]\n' +
    '  fbnet bench infer --arch FILE [--backend ID] [--batch 1] [--iterations N] [--plan FILE] [--json]\n' +
    '  fbnet bench torch --arch FILE [--backends cpu,wasm] [--with-plan] [--repeats N] [--json]\n' +
    '  fbnet bench dmasking [--backend ID] [--batch 32] [--rounds N] [--json]\n' +
    '  fbnet bench baselines [--preset quick|full|smoke] [--random N] [--seed N] [--data-dir DIR] [--lut FILE] ' +
    '[--out FILE] [--backend ID] [--json]\n' +
    '  (every benchmark also takes --threads N; --backend auto benchmarks the available plugins and takes the fastest)',
  parse: (argv): BenchLine => parseSubcommand(argv, BENCH_GRAMMARS),
  load: async () => (await import('./run-bench.ts')).runBench,
});
