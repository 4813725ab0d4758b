/**
 * Predictor quality on the bundled task: train N QMC candidates of fbnet-v3-fmnist (early-stopped
 * at BUDGET epochs on 1000/300 images), fit the proxy-pretrained predictor on the first part,
 * report Kendall τ and RMSE on the held-out rest, and 3-fold cross-validation over all of them. Writes benchmarks/results/v3-predictor.json.
 * Run: npx tsx benchmarks/v3-predictor.ts [N=48] [heldOut=16]
 */
import { lastValueFrom, toArray } from 'rxjs';
import { AccuracyPredictor, proxyTargets } from '@fbnet/acc-predictor';
import { archPart, encodePoint, encodingSizes, jointArch, jointDimensions, makeCandidateJob, pointFromUnit, pointKey, Sobol, type CandidateEvent } from '@fbnet/autotrain';
import { kendallTauB } from '@fbnet/core';
import { writeJsonAtomic } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { BUDGET, cachedQueue, data, initBackend, machine, space } from './v3-common.ts';

const N = Number(process.argv[2] ?? 48);
const HELD = Number(process.argv[3] ?? 16);
const backend = await initBackend();
const t0 = Date.now();
const dims = jointDimensions(space).length;
const points = new Sobol(dims, { shiftSeed: 11, index: 1 }).take(N).map((u) => pointFromUnit(space, u));
const jobs = points.map((p) => makeCandidateJob(space, p, { budget: BUDGET, seed: 0, data }));
const queue = cachedQueue('predictor');
let done = 0;
const events: CandidateEvent[] = await lastValueFrom(queue.submit(jobs).pipe(toArray()));
void done;
const byId = new Map(events.flatMap((e) => (e.type === 'queue/job-completed' ? [[e.jobId, e.result] as const] : [])));
const samples = points.map((p, i) => ({ ...encodePoint(space, p), accuracy: byId.get(jobs[i].id)!.accuracy, point: p }));
const trainSec = (Date.now() - t0) / 1000;

const train = samples.slice(0, N - HELD), held = samples.slice(N - HELD);
const sizes = encodingSizes(space);
const p = new AccuracyPredictor({ archDim: sizes.arch, recipeDim: sizes.recipe, seed: 0 });
const proxy = new Sobol(dims, { shiftSeed: 12, index: 1 });
const archs: number[][] = [], targets: number[][] = [];
const seen = new Set<string>();
while (archs.length < 2000) {
  const x = pointFromUnit(space, proxy.next());
  const k = pointKey(archPart(space, x));
  if (seen.has(k)) continue;
  seen.add(k);
  archs.push(encodePoint(space, x).arch);
  targets.push(proxyTargets(jointArch(space, x)));
}
const pre = await p.pretrainProxy(archs, targets, { epochs: 60 });
// k-fold cross-validation over all candidates (fit() restarts from the pretrained encoder each time).
const K = 3;
const cvPairs: [number, number][] = [];
const folds: { kendallTau: number; rmse: number; n: number }[] = [];
for (let k = 0; k < K; k++) {
  const test = samples.filter((_, i) => i % K === k), trn = samples.filter((_, i) => i % K !== k);
  await p.fit(trn);
  const fm = p.evaluate(test);
  folds.push(fm);
  const pr = p.predict(test.map((x) => x.arch), test.map((x) => x.recipe));
  test.forEach((x, i) => cvPairs.push([pr[i], x.accuracy]));
}
const cv = {
  folds,
  pooled: { n: cvPairs.length, kendallTau: kendallTauB(cvPairs.map((x) => x[0]), cvPairs.map((x) => x[1])), rmse: Math.sqrt(cvPairs.reduce((a, [q, y]) => a + (q - y) ** 2, 0) / cvPairs.length) },
};
const fit = await p.fit(train);
const m = p.evaluate(held);
const flopsTau = kendallTauB(held.map((s) => archCost(jointArch(space, s.point)).flops), held.map((s) => s.accuracy));
const lrTau = kendallTauB(held.map((s) => -Math.abs(Math.log(Number(s.point['recipe.lr'])) - Math.log(0.1))), held.map((s) => s.accuracy));
const accs = samples.map((s) => s.accuracy);
const result = {
  benchmark: 'v3-predictor',
  date: new Date().toISOString(),
  machine: machine(),
  backend: backend.id,
  task: { space: space.name, data, budgetEpochs: BUDGET, candidates: N, train: N - HELD, heldOut: HELD },
  accuracy: { min: Math.min(...accs), max: Math.max(...accs), mean: accs.reduce((a, b) => a + b, 0) / N, diverged: samples.filter((s) => s.accuracy <= 0.1 + 1e-9).length },
  proxyPretrain: pre,
  fit,
  heldOut: m,
  crossValidation: cv,
  baselines: { kendallTauFlops: flopsTau, kendallTauLrNear0p1: lrTau },
  seconds: { training: trainSec, total: (Date.now() - t0) / 1000 },
  heldOutPairs: held.map((s, i) => ({ measured: s.accuracy, predicted: p.predict([s.arch], [s.recipe])[0], i })),
};
writeJsonAtomic('benchmarks/results/v3-predictor.json', result);
// The trained candidates as encodings + accuracy: the acc-predictor's real-data test fixture.
writeJsonAtomic('packages/acc-predictor/src/fmnist-candidates.fixture.json', {
  note: 'written by benchmarks/v3-predictor.ts: fbnet-v3-fmnist candidates (QMC order) trained early-stopped; encodings as @fbnet/autotrain encodePoint gives them',
  space: space.name, data, budgetEpochs: BUDGET,
  samples: samples.map((s) => ({ arch: s.arch, recipe: s.recipe, accuracy: s.accuracy })),
});
console.log(JSON.stringify({ heldOut: m, cv: cv.pooled, folds, baselines: result.baselines, accuracy: result.accuracy, seconds: result.seconds }, null, 1));
p.dispose();
