/**
 * Does the FBNetV1 search beat a fixed baseline of the same latency?
 *
 *   npx tsx benchmarks/v1-vs-baseline.ts <search-v1 run dir> [--data-dir DIR]
 *
 * Baselines are the hand-design kind of net: the same block in every searchable layer. From
 * the nine uniform nets of the run's space, the one whose latency-table prediction is closest
 * to the derived arch's is trained with the run's final recipe and seed, evaluated on the same
 * test set, and measured end to end on the same backend. Writes
 * benchmarks/results/v1-vs-baseline-<host>.json.
 */
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { archFromChoice, getSearchSpacePreset, searchLayers } from '@fbnet/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, loadFashionMnist, splitTrainVal } from '@fbnet/data';
import { archLatency, loadLut, measureNet, resolveTiming } from '@fbnet/latency-lut';
import { RunDir, writeJsonAtomic } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { parseRecipe, Trainer } from '@fbnet/train';
import { initBackend } from '../packages/cli/src/backend.ts';
import { SEARCH_V1_PRESETS } from '@fbnet/pipeline';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'data-dir': { type: 'string' } } });
const run = RunDir.open(positionals[0]);
const opts = run.config.options as { preset: string; backend: string; dataDir: string | null };
const preset = SEARCH_V1_PRESETS[opts.preset];
const space = getSearchSpacePreset(preset.space);
const backend = await initBackend(opts.backend);
const lut = loadLut(run.file('lut.json'));
const result = run.readJson<{ testAccuracy: number; latencyMs: number; params: number; flops: number; arch: string[] }>('result.json');
if (!result) throw new Error(`${run.path} has no result.json: finish the search first`);
const derived = run.readJson<object>('arch.json')!;
const derivedPred = archLatency(lut, derived).totalMs;

const layers = searchLayers(space);
const uniform = layers[0].candidates.map((id, k) => {
  const arch = archFromChoice(space, { ops: layers.map(() => k) });
  return { id, arch, predictedMs: archLatency(lut, arch).totalMs };
});
uniform.sort((a, b) => Math.abs(a.predictedMs - derivedPred) - Math.abs(b.predictedMs - derivedPred));
const base = uniform[0];
console.error(`derived: ${result.arch.join(' ')} predicted ${derivedPred.toFixed(3)} ms; baseline: all ${base.id}, predicted ${base.predictedMs.toFixed(3)} ms`);

const dataDir = values['data-dir'] ?? opts.dataDir ?? undefined;
const full = loadFashionMnist({ split: 'train', dataDir });
const test = loadFashionMnist({ split: 'test', dataDir });
const { train, val } = splitTrainVal(full, { valFraction: preset.valFraction, seed: run.config.seed });
const t = new Trainer({ arch: base.arch, train, val, test, recipe: parseRecipe(preset.final), seed: run.config.seed, normalization: { mean: [FASHION_MNIST_MEAN], std: [FASHION_MNIST_STD] } });
t.events$.subscribe((e) => e.type === 'train/epoch-ended' && console.error(`baseline epoch ${e.epoch}: val ${((e.valAccuracy ?? 0) * 100).toFixed(2)}%`));
const r = await t.run();
t.dispose();
const measured = await measureNet(base.arch, resolveTiming({ timeMs: 1000, minSamples: 30 }));
const cost = archCost(base.arch);
const out = {
  run: run.path,
  backend: backend.id,
  derived: { arch: result.arch, testAccuracy: result.testAccuracy, latencyMs: result.latencyMs, predictedMs: derivedPred, params: result.params, flops: result.flops },
  baseline: { arch: `all ${base.id}`, testAccuracy: r.testAccuracy, latencyMs: measured.medianMs, predictedMs: base.predictedMs, params: cost.params, flops: cost.flops },
  searchWins: (result.testAccuracy ?? 0) > (r.testAccuracy ?? 0),
};
mkdirSync('benchmarks/results', { recursive: true });
const path = join('benchmarks/results', `v1-vs-baseline-${hostname()}.json`);
writeJsonAtomic(path, out);
console.log(JSON.stringify(out));
