/**
 * Is a recipe's gain on the full data beyond seed noise? One arch trained with one recipe under
 * another training seed (initialisation, data order, augmentation), on the split `fbnet search v3
 * --preset full` uses (train less 5 % held out, split seed 0) and the 10,000 test images. Run it
 * for two recipes at the same seed to pair them; seed 0 is the search's own final training.
 *
 * Run: npx tsx --conditions=source benchmarks/v3-recipe-seed.ts --arch runs/<run>/arch.json \
 *        --recipe runs/<run>/recipe.json --seed 1 --data-dir /usr/share/datasets/fashion-mnist --out FILE [--label TEXT]
 * Env: V3_BACKEND (wasm), V3_THREADS (2).
 */
import { readFileSync } from 'node:fs';
import { parseArchDef } from '@fbnet/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, loadFashionMnist, splitTrainVal } from '@fbnet/data';
import { SEARCH_V3_PRESETS } from '@fbnet/jointnas';
import { writeJsonAtomic } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { parseRecipe, Trainer } from '@fbnet/train';
import { initBackend, machine } from './v3-common.ts';

const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const archPath = flag('--arch'), recipePath = flag('--recipe'), dataDir = flag('--data-dir'), out = flag('--out');
const seed = Number(flag('--seed') ?? 1);
if (!archPath || !recipePath || !dataDir || !out || !Number.isInteger(seed)) throw new Error('usage: v3-recipe-seed.ts --arch ARCH.json --recipe RECIPE.json --seed N --data-dir DIR --out FILE [--label TEXT]');
const backend = await initBackend(process.env.V3_BACKEND ?? 'wasm', Number(process.env.V3_THREADS ?? 2));
const arch = parseArchDef(JSON.parse(readFileSync(archPath, 'utf8')));
const recipe = parseRecipe(JSON.parse(readFileSync(recipePath, 'utf8')));
const full = loadFashionMnist({ split: 'train', dataDir });
const { train, val } = splitTrainVal(full, { valFraction: SEARCH_V3_PRESETS.full.final.valFraction, seed: 0 });
const test = loadFashionMnist({ split: 'test', dataDir });
const t0 = Date.now();
const trainer = new Trainer({ arch, train, val, test, recipe, seed, normalization: { mean: [FASHION_MNIST_MEAN], std: [FASHION_MNIST_STD] } });
const sub = trainer.events$.subscribe((e) => {
  if (e.type === 'train/epoch-ended') console.error(`[${((Date.now() - t0) / 1000).toFixed(0)} s] epoch ${e.epoch}: val ${((e.valAccuracy ?? 0) * 100).toFixed(2)}% ${e.imagesPerSec.toFixed(0)} img/s`);
});
const r = await trainer.run();
sub.unsubscribe();
trainer.dispose();
const c = archCost(arch);
writeJsonAtomic(out, {
  benchmark: 'v3-recipe-seed',
  label: flag('--label') ?? recipePath,
  date: new Date().toISOString(),
  machine: machine(),
  backend: backend.id,
  arch: { from: archPath, params: c.params, flops: c.flops },
  recipe: { from: recipePath, ...recipe },
  data: { train: train.count, val: val.count, test: test.count, splitSeed: 0 },
  seed,
  testAccuracy: r.testAccuracy,
  valAccuracy: r.valAccuracy,
  seconds: (Date.now() - t0) / 1000,
});
console.log(JSON.stringify({ seed, testAccuracy: r.testAccuracy, valAccuracy: r.valAccuracy }));
