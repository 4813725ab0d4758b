/**
 * V3 (JointNAS) vs random search for the same number of trained candidates at equal latency.
 * Latency: a linear latency model (FLOPs, params, blocks, SE blocks, pixels) fitted on nets
 * measured on this backend; both searches must stay under the same predicted latency.
 * Both train N candidates of fbnet-v3-fmnist early-stopped at BUDGET epochs (1000/300 images);
 * random search keeps its best; V3 runs the coarse stage (QMC + predictor) on N − v, the
 * predictor-scored genetic search, and trains its v best proposals; its pick is the best
 * measured of its N. The two winners are then trained the same way
 * (their own recipes, epochs capped at FINAL_EPOCHS, 1500 images) and tested on the bundled
 * test split; latency is measured on this backend. `--v1 result.json` adds a V1 result row.
 * Run: npx tsx benchmarks/v3-compare.ts [N=12] [--v1 path] [--seed S]
 * `--seed S` seeds both searches (random draws, QMC, evolution); candidate training and data stay
 * seeded 0 so a candidate scores the same in either search.
 * Writes benchmarks/results/v3-compare.json (v3-compare-seed<S>.json with --seed).
 */
import { readFileSync } from 'node:fs';
import { lastValueFrom, toArray } from 'rxjs';
import { archPart, CoarseSearch, jointArch, jointGenome, jointDimensions, jointRecipe, makeCandidateJob, pointFromUnit, resizeDataset, type CandidateEvent, type JointPoint } from '@fbnet/autotrain';
import { Rng } from '@fbnet/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, loadFashionMnist, selectClassBalanced, takeSamples } from '@fbnet/data';
import { ConstraintChecker, evolve, predictorFitness, type ArchCosts } from '@fbnet/evolutionary-search';
import { measureNet, resolveTiming, ridgeFit } from '@fbnet/latency-lut';
import type { ArchDef } from '@fbnet/core';
import { writeJsonAtomic } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { Trainer } from '@fbnet/train';
import { encodePoint } from '@fbnet/autotrain';
import { kendallTauB } from '@fbnet/core';
import { BUDGET, cachedQueue, data, initBackend, machine, space } from './v3-common.ts';

const args = process.argv.slice(2);
const v1Path = args.includes('--v1') ? args[args.indexOf('--v1') + 1] : undefined;
const N = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--v1' && args[i - 1] !== '--seed') ?? 12);
const SEED = args.includes('--seed') ? Number(args[args.indexOf('--seed') + 1]) : undefined;
const S = SEED ?? 0;
const FINAL_EPOCHS = 4;
const backend = await initBackend();
const t0 = Date.now();
const dims = jointDimensions(space).length;

// A latency model for this backend: measured nets → linear fit on cost features.
const feats = (a: ArchDef) => {
  const c = archCost(a);
  const blocks = a.blocks.flat();
  const depth = blocks.reduce((s, b) => s + (b[3] as number), 0);
  const se = blocks.filter((b) => String(b[0]).includes('_se')).reduce((s, b) => s + (b[3] as number), 0);
  return [1, c.flops / 1e6, c.params / 1e5, depth, se, (a.input_size / 28) ** 2];
};
const lrng = new Rng(5);
const calib: { x: number[]; ms: number }[] = [];
for (let i = 0; i < 30; i++) {
  const a = jointArch(space, pointFromUnit(space, Array.from({ length: dims }, () => lrng.next())));
  calib.push({ x: feats(a), ms: (await measureNet(a, resolveTiming({ timeMs: 150, minSamples: 10 }), { seed: 0 })).medianMs });
}
const fitSet = calib.slice(0, 22), checkSet = calib.slice(22);
const w = ridgeFit(fitSet.map((c) => c.x), fitSet.map((c) => c.ms), [1e-6, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3], [0, 0, 0, 0, 0, 0]);
const model = (a: ArchDef) => feats(a).reduce((s, x, j) => s + x * w[j], 0);
const mape = (set: typeof calib) => (100 * set.reduce((s, c) => s + Math.abs(c.x.reduce((t, x, j) => t + x * w[j], 0) - c.ms) / c.ms, 0)) / set.length;
const sortedMs = calib.map((c) => c.ms).sort((a, b) => a - b);
const constraints = { maxLatencyMs: Number(sortedMs[Math.floor(0.4 * sortedMs.length)].toFixed(3)) };
const latencyModel = { weights: w, features: ['1', 'MFLOPs', 'params/1e5', 'blocks', 'SE blocks', '(res/28)^2'], mapeFit: mape(fitSet), mapeHeldOut: mape(checkSet), measured: calib.length };
/** The constraint checker with latency from the fitted model instead of a table. */
class ModelChecker extends ConstraintChecker<JointPoint> {
  override archCosts(a: ArchDef): ArchCosts {
    return { ...super.archCosts(a), latencyMs: model(a) };
  }
}
const genome = jointGenome(space);
const checker = new ModelChecker(genome, constraints);

// Random search: N uniform feasible points.
const rng = new Rng(21 + S);
const randomPts: JointPoint[] = [];
while (randomPts.length < N) {
  const p = pointFromUnit(space, Array.from({ length: dims }, () => rng.next()));
  if (checker.ok(p)) randomPts.push(p);
}
const rJobs = randomPts.map((p) => makeCandidateJob(space, p, { budget: BUDGET, seed: 0, data }));
const rEvents: CandidateEvent[] = await lastValueFrom(cachedQueue('compare-random').submit(rJobs).pipe(toArray()));
const rAcc = new Map(rEvents.flatMap((e) => (e.type === 'queue/job-completed' ? [[e.jobId, e.result.accuracy] as const] : [])));
const rBestIdx = rJobs.map((j) => rAcc.get(j.id)!).reduce((bi, a, i, all) => (a > all[bi] ? i : bi), 0);
const randomSec = (Date.now() - t0) / 1000;

// V3: coarse stage on the same number of trained candidates, then the fine stage.
const tv = Date.now();
// Same number of trained candidates as random search: an initial QMC set, 2 iterations, v verified proposals.
const per = Math.max(1, Math.floor(N / 4));
const verifyN = per;
const first = N - 3 * per;
const coarse = new CoarseSearch({
  space, data, seed: S, queue: cachedQueue('compare-v3'),
  proxy: { samples: 1500, epochs: 50 },
  earlyStop: { candidates: first, budget: BUDGET },
  iterations: 2, perIteration: per, poolSize: 300, exploreFraction: 0.2,
  accept: (p) => checker.ok(p),
});
const cr = (await coarse.run())!;
const evo = (await evolve({ genome, fitness: predictorFitness(genome, coarse.predictor), checker, initial: [...cr.samples].sort((a, b) => b.accuracy - a.accuracy).map((s) => s.point), seed: S, populationSize: 16, childrenPerGeneration: 48, maxGenerations: 40, patience: 6 }))!;
const knownKeys = new Set(cr.samples.map((x) => JSON.stringify(x.point)));
const archSeen = new Set<string>();
const proposals = evo.population
  .filter((c) => !knownKeys.has(JSON.stringify(c.point)))
  .filter((c) => {
    const k = JSON.stringify(archPart(space, c.point));
    if (archSeen.has(k)) return false;
    archSeen.add(k);
    return true;
  })
  .slice(0, verifyN);
const vJobs = proposals.map((c) => makeCandidateJob(space, c.point, { budget: BUDGET, seed: 0, data }));
const vEvents: CandidateEvent[] = await lastValueFrom(cachedQueue('compare-v3').submit(vJobs).pipe(toArray()));
const vAcc = new Map(vEvents.flatMap((e) => (e.type === 'queue/job-completed' ? [[e.jobId, e.result.accuracy] as const] : [])));
const v3Trained = [...cr.samples.map((x) => ({ point: x.point, accuracy: x.accuracy, source: 'coarse' })), ...proposals.map((c, i) => ({ point: c.point, accuracy: vAcc.get(vJobs[i].id)!, source: 'verified', predicted: c.score }))];
const v3Pick = v3Trained.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
// The predictor on candidates it never saw: random search's (unbiased draws of the space).
const enc = randomPts.map((p) => encodePoint(space, p));
const predR = coarse.predictor.predict(enc.map((e) => e.arch), enc.map((e) => e.recipe));
const measuredR = rJobs.map((j) => rAcc.get(j.id)!);
const predictorOnRandom = { n: N, kendallTau: kendallTauB(predR, measuredR), rmse: Math.sqrt(predR.reduce((s, x, i) => s + (x - measuredR[i]) ** 2, 0) / N) };
coarse.dispose();
const v3Sec = (Date.now() - tv) / 1000;

// Final training of both winners under the same budget.
const trainFull = loadFashionMnist({ split: 'train' });
const finalTrain = takeSamples(trainFull, selectClassBalanced(trainFull.labels, 10, 150, 99));
const test = loadFashionMnist({ split: 'test' });
async function finalize(label: string, p: JointPoint, searchScore: number) {
  const arch = { ...jointArch(space, p), name: label };
  const recipe = { ...jointRecipe(space, p) };
  recipe.epochs = Math.min(recipe.epochs, FINAL_EPOCHS);
  const size = arch.input_size;
  const trainer = new Trainer({ arch, train: resizeDataset(finalTrain, size), test: resizeDataset(test, size), recipe, seed: 0, normalization: { mean: [FASHION_MNIST_MEAN], std: [FASHION_MNIST_STD] } });
  const r = await trainer.run();
  trainer.dispose();
  const lat = await measureNet(arch, resolveTiming({ timeMs: 500, minSamples: 20 }), { seed: 0 });
  const c = archCost(arch);
  return { label, testAccuracy: r.testAccuracy!, searchScore, flops: c.flops, params: c.params, latencyMs: lat.medianMs, recipe, point: p };
}
const random = await finalize('random-search', randomPts[rBestIdx], measuredR[rBestIdx]);
const v3 = await finalize('v3-jointnas', v3Pick.point, v3Pick.accuracy);
const v1 = v1Path ? JSON.parse(readFileSync(v1Path, 'utf8')) : undefined;
const result = {
  benchmark: 'v3-compare',
  date: new Date().toISOString(),
  machine: machine(),
  backend: backend.id,
  latencyModel,
  setup: { seed: S, space: space.name, data, budgetEpochs: BUDGET, trainedCandidatesPerMethod: { random: N, v3: v3Trained.length }, constraints, final: { trainImages: finalTrain.count, testImages: test.count, epochsCap: FINAL_EPOCHS } },
  random: { ...random, latencyModelMs: model(jointArch(space, random.point)) },
  v3: { ...v3, pickedFrom: v3Pick.source, verified: v3Trained.filter((x) => x.source === 'verified'), coarseBest: Math.max(...cr.samples.map((x) => x.accuracy)), coarseHeldOut: cr.predictor, predictorOnRandomCandidates: predictorOnRandom, generations: evo.generations },
  ...(v1 ? { v1: { testAccuracy: v1.testAccuracy, latencyMs: v1.latencyMs, flops: v1.flops, params: v1.params, backend: v1.backend, source: v1Path, note: 'V1 trains with its own preset budget; compare with care' } } : {}),
  v3MinusRandom: { testAccuracy: v3.testAccuracy - random.testAccuracy, latencyMs: v3.latencyMs - random.latencyMs },
  seconds: { random: randomSec, v3: v3Sec, total: (Date.now() - t0) / 1000 },
};
writeJsonAtomic(SEED === undefined ? 'benchmarks/results/v3-compare.json' : `benchmarks/results/v3-compare-seed${SEED}.json`, result);
console.log(JSON.stringify({ latencyModel, constraints, random: { acc: random.testAccuracy, search: random.searchScore, lat: random.latencyMs, flops: random.flops }, v3: { acc: v3.testAccuracy, search: v3.searchScore, from: v3Pick.source, lat: v3.latencyMs, flops: v3.flops }, predictorOnRandom, coarse: cr.predictor, seconds: result.seconds }, null, 1));
