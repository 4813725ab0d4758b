/**
 * V3 (JointNAS) vs random search for the same number of trained candidates, same constraint.
 * Both train N candidates of fbnet-v3-fmnist early-stopped at BUDGET epochs (1000/300 images);
 * random search keeps its best; V3 runs the coarse stage (QMC + predictor) on the same N and
 * then the predictor-scored genetic search. The two winners are then trained the same way
 * (their own recipes, epochs capped at FINAL_EPOCHS, 1500 images) and tested on the bundled
 * test split; latency is measured on this backend. `--v1 result.json` adds a V1 result row.
 * Run: npx tsx benchmarks/v3-compare.ts [N=12] [--v1 path]
 * Writes benchmarks/results/v3-compare.json.
 */
import { readFileSync } from 'node:fs';
import { lastValueFrom, toArray } from 'rxjs';
import { CoarseSearch, jointArch, jointDimensions, jointRecipe, makeCandidateJob, pointFromUnit, resizeDataset, type CandidateEvent, type JointPoint } from '@fbnet/autotrain';
import { Rng } from '@fbnet/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, loadFashionMnist, selectClassBalanced, takeSamples } from '@fbnet/data';
import { ConstraintChecker, runEvolution } from '@fbnet/evolutionary-search';
import { measureNet, resolveTiming } from '@fbnet/latency-lut';
import { writeJsonAtomic } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { Trainer } from '@fbnet/train';
import { encodePoint } from '@fbnet/autotrain';
import { kendallTauB } from '@fbnet/latency-lut';
import { BUDGET, cachedQueue, data, initBackend, machine, space } from './v3-common.ts';

const args = process.argv.slice(2);
const v1Path = args.includes('--v1') ? args[args.indexOf('--v1') + 1] : undefined;
const N = Number(args.find((a, i) => /^\d+$/.test(a) && args[i - 1] !== '--v1') ?? 12);
const FINAL_EPOCHS = 4;
const constraints = { maxFlops: 1.0e6 };
const backend = await initBackend();
const t0 = Date.now();
const checker = new ConstraintChecker(space, constraints);
const dims = jointDimensions(space).length;

// Random search: N uniform feasible points.
const rng = new Rng(21);
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
// Same number of trained candidates as random search: an initial QMC set, then 2 iterations.
const per = Math.max(1, Math.floor(N / 3));
const first = N - 2 * per;
const coarse = new CoarseSearch({
  space, data, seed: 0, queue: cachedQueue('compare-v3'),
  proxy: { samples: 1500, epochs: 50 },
  earlyStop: { candidates: first, budget: BUDGET },
  iterations: 2, perIteration: per, poolSize: 300, exploreFraction: 0.2,
  accept: (p) => checker.ok(p),
});
const cr = (await coarse.run())!;
const evo = await runEvolution({ space, predictor: coarse.predictor, checker, initial: [...cr.samples].sort((a, b) => b.accuracy - a.accuracy).map((s) => s.point), seed: 0, populationSize: 16, childrenPerGeneration: 48, maxGenerations: 40, patience: 6 });
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
const v3 = await finalize('v3-jointnas', evo.best.point, evo.best.score);
const v1 = v1Path ? JSON.parse(readFileSync(v1Path, 'utf8')) : undefined;
const result = {
  benchmark: 'v3-compare',
  date: new Date().toISOString(),
  machine: machine(),
  backend: backend.id,
  setup: { space: space.name, data, budgetEpochs: BUDGET, trainedCandidatesPerMethod: N, constraints, final: { trainImages: finalTrain.count, testImages: test.count, epochsCap: FINAL_EPOCHS } },
  random,
  v3: { ...v3, coarseHeldOut: cr.predictor, predictorOnRandomCandidates: predictorOnRandom, generations: evo.generations },
  ...(v1 ? { v1: { testAccuracy: v1.testAccuracy, latencyMs: v1.latencyMs, flops: v1.flops, params: v1.params, backend: v1.backend, source: v1Path, note: 'V1 trains with its own preset budget; compare with care' } } : {}),
  v3MinusRandom: { testAccuracy: v3.testAccuracy - random.testAccuracy, latencyMs: v3.latencyMs - random.latencyMs },
  seconds: { random: randomSec, v3: v3Sec, total: (Date.now() - t0) / 1000 },
};
writeJsonAtomic('benchmarks/results/v3-compare.json', result);
console.log(JSON.stringify({ random: { acc: random.testAccuracy, lat: random.latencyMs, flops: random.flops }, v3: { acc: v3.testAccuracy, lat: v3.latencyMs, flops: v3.flops }, predictorOnRandom, coarse: cr.predictor, seconds: result.seconds }, null, 1));
