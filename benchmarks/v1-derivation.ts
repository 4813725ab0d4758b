/**
 * Which arch should a V1 search hand over? Trains every arch a finished `search v1` run sampled
 * from P_θ (and its argmax) with the run's final recipe, seed and splits, so derivation rules
 * (argmax θ, most probable sample, best supernet score, the search's own objective on the
 * supernet) can be compared on what the archs really reach.
 *
 *   npx tsx benchmarks/v1-derivation.ts <search-v1 run dir>... [--baselines FILE] [--out FILE]
 *
 * Resumable (an arch already in the output file is not trained again). Latencies are the run's
 * latency table's predictions (one table for all archs, so the rules are compared on one scale);
 * `--baselines` adds the baseline nets with the same table's predictions, for margins on that scale.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { archFromChoice, getSearchSpacePreset, searchLayers } from '@fbnet/core';
import { archLatency, loadLut } from '@fbnet/latency-lut';
import { SEARCH_V1_PRESETS } from '@fbnet/pipeline';
import { RunDir, writeJsonAtomic } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { parseRecipe, Trainer } from '@fbnet/train';
import { initBackend } from '../packages/cli/src/backend.ts';
import { loadV1Data } from '../packages/cli/src/pipelines/v1-data.ts';

interface TrainedArch {
  ops: string[];
  probability: number;
  supernetAccuracy: number;
  predictedMs: number;
  params: number;
  testAccuracy: number;
  valAccuracy: number;
  argmax: boolean;
}
interface RunStudy {
  run: string;
  seed: number;
  archs: TrainedArch[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { out: { type: 'string', default: 'benchmarks/results/v1-derivation-quick.json' }, baselines: { type: 'string' } } });
const out = values.out!;
const study: { kind: string; note: string; runs: RunStudy[]; baselines?: { name: string; ops: string[]; testAccuracy: number; latencyMs: number; predictedMs: number }[] } = existsSync(out)
  ? JSON.parse(readFileSync(out, 'utf8'))
  : { kind: 'fbnet-v1-derivation', note: 'every arch each run sampled from P_θ (and argmax θ) trained with the run\'s final recipe, seed and splits; latency = the run\'s table prediction', runs: [] };
await initBackend('wasm', { autotune: false });

for (const dir of positionals) {
  const run = RunDir.open(dir);
  const seed = run.config.seed;
  const opts = run.config.options as { preset: string };
  const preset = SEARCH_V1_PRESETS[opts.preset];
  const space = getSearchSpacePreset(preset.space);
  const layers = searchLayers(space);
  const lut = loadLut(run.file('lut.json'));
  if (values.baselines && !study.baselines) {
    const b = JSON.parse(readFileSync(values.baselines, 'utf8')) as { nets: { name: string; ops: string[]; testAccuracy: number; latencyMs: number }[] };
    study.baselines = b.nets.map((n) => ({ ...n, predictedMs: archLatency(lut, archFromChoice(space, { ops: n.ops.map((o, l) => layers[l].candidates.indexOf(o)) })).totalMs }));
    writeJsonAtomic(out, study);
  }
  type Summary = { choice: { ops: number[] }; ops: string[]; probability: number; supernetAccuracy: number };
  const search = run.readJson<{ derived: Summary; sampled: Summary[] }>('search.json');
  if (!search) throw new Error(`${dir}: no search.json (run the search to the end first)`);
  let entry = study.runs.find((r) => r.run === run.path);
  if (!entry) study.runs.push((entry = { run: run.path, seed, archs: [] }));
  const archs = [search.derived, ...search.sampled.filter((s) => s.ops.join() !== search.derived.ops.join())];
  const { train, val, test, normalization } = loadV1Data(preset, undefined, seed);
  const recipe = parseRecipe(preset.final);
  for (const s of archs) {
    if (entry.archs.some((a) => a.ops.join() === s.ops.join())) continue;
    const ops = s.choice.ops.map((k, l) => (layers[l].candidates[k] === s.ops[l] ? k : layers[l].candidates.indexOf(s.ops[l])));
    const arch = archFromChoice(space, { ops });
    const t0 = Date.now();
    const trainer = new Trainer({ arch, train, val, test, recipe, seed, normalization });
    const r = await trainer.run();
    trainer.dispose();
    const a: TrainedArch = {
      ops: s.ops,
      probability: s.probability,
      supernetAccuracy: s.supernetAccuracy,
      predictedMs: archLatency(lut, arch).totalMs,
      params: archCost(arch).params,
      testAccuracy: r.testAccuracy ?? NaN,
      valAccuracy: r.valAccuracy ?? NaN,
      argmax: s === search.derived,
    };
    entry.archs.push(a);
    writeJsonAtomic(out, study);
    console.error(`seed ${seed} [${entry.archs.length}/${archs.length}] ${s.ops.join(' ')}: ${(a.testAccuracy * 100).toFixed(2)}% test, supernet ${(a.supernetAccuracy * 100).toFixed(1)}%, ${a.predictedMs.toFixed(3)} ms, p ${a.probability.toFixed(3)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  }
}
