/**
 * Does the FBNetV1 search beat what you would try without it?
 *
 *   npx tsx benchmarks/v1-baselines.ts train --preset quick [--random 6] [--seed 0] [--out FILE]
 *   npx tsx benchmarks/v1-baselines.ts compare --baselines FILE <search-v1 run dir>... [--rounds 5] [--out FILE]
 *
 * `train` trains the uniform nets of the space and N random archs with the preset's final recipe
 * (resumable: rerun the same command). `compare` times every baseline and every run's exported
 * arch again in one process, interleaved round by round so drift hits all alike, and reports each
 * run's margin over the best baseline at or below its latency, and the mean over runs.
 */
import { parseArgs } from 'node:util';
import { archFromChoice, getSearchSpacePreset, searchLayers } from '@fbnet/core';
import { measureNet, resolveTiming } from '@fbnet/latency-lut';
import { RunDir, writeJsonAtomic } from '@fbnet/runs';
import { initBackend } from '../packages/cli/src/backend.ts';
import { bestAtOrBelow, frontInterpolated, paretoFront, readBaselines, runBaselines } from '../packages/cli/src/pipelines/baselines.ts';
import { SEARCH_V1_PRESETS } from '@fbnet/pipeline';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { preset: { type: 'string', default: 'quick' }, random: { type: 'string', default: '6' }, seed: { type: 'string', default: '0' }, out: { type: 'string' }, baselines: { type: 'string' }, rounds: { type: 'string', default: '5' }, backend: { type: 'string', default: 'wasm' }, 'data-dir': { type: 'string' } },
});
const [mode, ...runs] = positionals;
const backend = await initBackend(values.backend!);

if (mode === 'train') {
  const preset = values.preset!;
  const out = values.out ?? `benchmarks/results/v1-baselines-${preset}.json`;
  const t0 = Date.now();
  const r = await runBaselines({
    preset: SEARCH_V1_PRESETS[preset],
    presetName: preset,
    seed: Number(values.seed),
    random: Number(values.random),
    backend: backend.id,
    dataDir: values['data-dir'],
    out,
    onEpoch: (name, e, n, v) => console.error(`${name}: epoch ${e}/${n} val ${((v ?? 0) * 100).toFixed(2)}% (${((Date.now() - t0) / 60000).toFixed(1)} min)`),
    onNet: (n, i, total) => console.error(`[${i}/${total}] ${n.name}: ${(n.testAccuracy * 100).toFixed(2)}% test, ${n.latencyMs.toFixed(3)} ms, ${n.params} params — ${n.ops.join(' ')}`),
  });
  console.log(JSON.stringify({ out, nets: r.nets.length, front: r.front }));
} else if (mode === 'compare') {
  if (!values.baselines || !runs.length) throw new Error('compare needs --baselines FILE and at least one run dir');
  const base = readBaselines(values.baselines);
  const space = getSearchSpacePreset(base.space);
  const layers = searchLayers(space);
  const archOf = (ops: string[]) => archFromChoice(space, { ops: ops.map((id, l) => layers[l].candidates.indexOf(id)) });
  const found = runs.map((dir) => {
    const run = RunDir.open(dir);
    const r = run.readJson<{ testAccuracy: number; arch: string[]; params: number; flops: number }>('result.json');
    if (!r) throw new Error(`${dir} has no result.json`);
    return { run: dir, seed: run.config.seed, ops: r.arch, testAccuracy: r.testAccuracy, params: r.params, flops: r.flops, samples: [] as number[] };
  });
  const bases = base.nets.map((n) => ({ ...n, samples: [] as number[] }));
  const all = [...bases, ...found];
  const timing = resolveTiming({ timeMs: 400, minSamples: 15 });
  const rounds = Number(values.rounds);
  for (let i = 0; i < rounds; i++) {
    for (const a of all) a.samples.push((await measureNet(archOf(a.ops), timing, { seed: 0 })).medianMs);
    console.error(`timing round ${i + 1}/${rounds}`);
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const timed = bases.map((b) => ({ ...b, latencyMs: median(b.samples) }));
  const results = found.map((f) => {
    const latencyMs = median(f.samples);
    const best = bestAtOrBelow(timed, latencyMs);
    const line = frontInterpolated(timed, latencyMs);
    return {
      ...f,
      latencyMs,
      baseline: best ? { name: best.name, testAccuracy: best.testAccuracy, latencyMs: best.latencyMs } : null,
      marginPts: best ? (f.testAccuracy - best.testAccuracy) * 100 : null,
      marginToInterpolatedFrontPts: line === null ? null : (f.testAccuracy - line) * 100,
    };
  });
  const margins = results.map((r) => r.marginPts).filter((m): m is number => m !== null);
  const mean = (v: (number | null)[]) => {
    const ok = v.filter((m): m is number => m !== null);
    return ok.length ? ok.reduce((a, b) => a + b, 0) / ok.length : null;
  };
  const out = {
    kind: 'fbnet-v1-vs-baselines',
    date: new Date().toISOString(),
    backend: backend.id,
    preset: base.preset,
    baselinesFile: values.baselines,
    timing: { rounds, note: 'every arch timed once per round, rounds interleaved; medians over rounds' },
    baselines: timed.map(({ samples, ...b }) => ({ ...b, latencySamples: samples })),
    front: paretoFront(timed).map((b) => b.name),
    runs: results.map(({ samples, ...r }) => ({ ...r, latencySamples: samples })),
    meanMarginPts: margins.length ? margins.reduce((a, b) => a + b, 0) / margins.length : null,
    meanMarginToInterpolatedFrontPts: mean(results.map((r) => r.marginToInterpolatedFrontPts)),
    meanTestAccuracy: results.reduce((a, r) => a + r.testAccuracy, 0) / results.length,
  };
  const path = values.out ?? `benchmarks/results/v1-vs-baselines-${base.preset}.json`;
  writeJsonAtomic(path, out);
  for (const r of out.runs) console.error(`${r.run}: ${(r.testAccuracy * 100).toFixed(2)}% at ${r.latencyMs.toFixed(3)} ms vs ${r.baseline ? `${r.baseline.name} ${(r.baseline.testAccuracy * 100).toFixed(2)}% at ${r.baseline.latencyMs.toFixed(3)} ms: ${r.marginPts!.toFixed(2)} pt` : 'no baseline this fast'}`);
  console.log(JSON.stringify({ path, meanMarginPts: out.meanMarginPts, meanMarginToInterpolatedFrontPts: out.meanMarginToInterpolatedFrontPts, front: out.front }));
} else {
  throw new Error('usage: v1-baselines.ts train|compare …');
}
