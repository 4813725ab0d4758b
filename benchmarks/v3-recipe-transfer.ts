/**
 * Does the recipe matter? FBNetV3's claim, measured: V1's found architecture trained with the
 * training recipe V3 found (JointNAS, `fbnet search v3 --preset full`) against the same
 * architecture trained with V1's default recipe (the `full` preset's final recipe, at the epochs
 * V1's run used) — same data split, same seed, same backend.
 *
 * Data: the full Fashion-MNIST (`--data-dir`), train less 5 % held out for validation (seed 0, as
 * `fbnet search v1/v3 --preset full` split it), the 10,000 test images.
 *
 * Run: npx tsx --conditions=source benchmarks/v3-recipe-transfer.ts --v3 runs/<v3 full run> \
 *        --v1 benchmarks/results/v1-full-fmnist-beta0.55-e70.json --data-dir /usr/share/datasets/fashion-mnist \
 *        [--skip-default]   (reuse the V1 result's own test accuracy instead of training the default recipe again)
 *        [--out FILE]       (default benchmarks/results/v3-recipe-on-v1-arch.json)
 * Writes benchmarks/results/v3-recipe-on-v1-arch.json. When the V3 run's horizon step chose the space's
 * default recipe (`result.horizon.recipeFrom`), the file says so: its "V3 recipe" is that default
 * at the V3 space's batch and schedule.
 *
 * `--arch-from v3` asks the converse: V3's found architecture trained with V1's default recipe,
 * against the V3 run's own final training of it with the found recipe (the same split and seed).
 * Writes benchmarks/results/v1-recipe-on-v3-arch.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArchDef } from '@fbnet/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, loadFashionMnist, splitTrainVal } from '@fbnet/data';
import { SEARCH_V1_PRESETS } from '@fbnet/pipeline';
import { writeJsonAtomic } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { parseRecipe, Trainer, type TrainRecipe } from '@fbnet/train';
import { initBackend, machine } from './v3-common.ts';

const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const v3Dir = flag('--v3'), v1Path = flag('--v1'), dataDir = flag('--data-dir');
if (!v3Dir || !v1Path || !dataDir) throw new Error('usage: v3-recipe-transfer.ts --v3 RUN_DIR --v1 V1_RESULT.json --data-dir DIR [--skip-default]');
const backend = await initBackend(process.env.V3_BACKEND ?? 'wasm', Number(process.env.V3_THREADS ?? 2));
const t0 = Date.now();
const log = (s: string) => console.error(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${s}`);

const v1 = JSON.parse(readFileSync(v1Path, 'utf8'));
const archFromV3 = flag('--arch-from') === 'v3';
const arch = parseArchDef(archFromV3 ? JSON.parse(readFileSync(join(v3Dir, 'arch.json'), 'utf8')) : v1.archDef);
if (arch.input_size !== 28) throw new Error(`the arch takes ${arch.input_size}px inputs; this benchmark trains at 28`);
const v3Recipe: TrainRecipe = parseRecipe(JSON.parse(readFileSync(join(v3Dir, 'recipe.json'), 'utf8')));
const v1Epochs = Number(v1.config?.options?.overrides?.epochs ?? SEARCH_V1_PRESETS.full.final.epochs);
const v1Recipe: TrainRecipe = parseRecipe({ ...SEARCH_V1_PRESETS.full.final, epochs: v1Epochs });

const full = loadFashionMnist({ split: 'train', dataDir });
const { train, val } = splitTrainVal(full, { valFraction: SEARCH_V1_PRESETS.full.valFraction, seed: 0 });
const test = loadFashionMnist({ split: 'test', dataDir });
const normalization = { mean: [FASHION_MNIST_MEAN], std: [FASHION_MNIST_STD] };

async function trainWith(label: string, recipe: TrainRecipe) {
  const ts = Date.now();
  const trainer = new Trainer({ arch, train, val, test, recipe, seed: 0, normalization });
  const sub = trainer.events$.subscribe((e) => {
    if (e.type === 'train/epoch-ended') log(`${label} epoch ${e.epoch}: val ${((e.valAccuracy ?? 0) * 100).toFixed(2)}% ${e.imagesPerSec.toFixed(0)} img/s`);
  });
  const r = await trainer.run();
  sub.unsubscribe();
  trainer.dispose();
  log(`${label}: test ${(r.testAccuracy! * 100).toFixed(2)}%`);
  return { label, recipe, testAccuracy: r.testAccuracy!, valAccuracy: r.valAccuracy, seconds: (Date.now() - ts) / 1000 };
}

/** What both result files start with: the benchmark, when and where, the arch trained and the data. */
function header(benchmark: string, archFrom: string) {
  const c = archCost(arch);
  return {
    benchmark,
    date: new Date().toISOString(),
    machine: machine(),
    backend: backend.id,
    arch: { from: archFrom, params: c.params, flops: c.flops },
    data: { train: train.count, val: val.count, test: test.count, seed: 0 },
  };
}

if (archFromV3) {
  const v3 = JSON.parse(readFileSync(join(v3Dir, 'result.json'), 'utf8'));
  const withV1 = await trainWith('V1 default recipe on V3 arch', v1Recipe);
  const out = {
    ...header('v1-recipe-on-v3-arch', join(v3Dir, 'arch.json')),
    v1DefaultRecipe: withV1,
    v3Recipe: { label: 'V3 found recipe (the V3 run\'s final training)', recipe: v3Recipe, testAccuracy: v3.testAccuracy as number, from: join(v3Dir, 'result.json') },
    gainPoints: (withV1.testAccuracy - v3.testAccuracy) * 100,
  };
  writeJsonAtomic('benchmarks/results/v1-recipe-on-v3-arch.json', out);
  console.log(JSON.stringify({ v1Default: withV1.testAccuracy, v3Recipe: v3.testAccuracy, gainPoints: out.gainPoints }));
  process.exit(0);
}
const v3Result = JSON.parse(readFileSync(join(v3Dir, 'result.json'), 'utf8'));
const withV3 = { ...(await trainWith('V3 recipe', v3Recipe)), recipeFrom: (v3Result.horizon?.recipeFrom as string | undefined) ?? 'search' };
const withDefault = args.includes('--skip-default')
  ? { label: 'V1 default recipe (from the V1 result, not retrained)', recipe: v1Recipe, testAccuracy: v1.result.testAccuracy as number, valAccuracy: v1.result.valAccuracy as number, seconds: v1.result.seconds?.train as number, from: v1Path, commit: v1.commit }
  : await trainWith('V1 default recipe', v1Recipe);
const h = header('v3-recipe-on-v1-arch', v1Path);
const result = {
  ...h,
  arch: { ...h.arch, blocks: v1.result.arch },
  v3Run: v3Dir,
  v3Recipe: withV3,
  v1DefaultRecipe: withDefault,
  gainPoints: (withV3.testAccuracy - withDefault.testAccuracy) * 100,
};
writeJsonAtomic(flag('--out') ?? 'benchmarks/results/v3-recipe-on-v1-arch.json', result);
console.log(JSON.stringify({ v3Recipe: withV3.testAccuracy, v1Default: withDefault.testAccuracy, gainPoints: result.gainPoints }));
