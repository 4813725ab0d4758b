/**
 * The predictor against its noise ceiling on the bundled task.
 *
 * N QMC candidates of fbnet-v3-fmnist (FLOPs ≤ 1 M, the quick preset's constraint) are trained
 * early-stopped at BUDGET epochs on DATA, twice (seeds 0 and 1). The noise ceiling is the
 * Kendall τ between the two seeds' accuracies: no predictor of early-stopped accuracy can rank
 * new candidates better than the candidates rank themselves under another seed. The predictor
 * (proxy-pretrained, 5-member ensemble) is then judged on seed-0 accuracies:
 * - K-fold cross-validation over all N (pooled held-out τ), with normal-score targets (the
 *   default) and with standardized targets; the ceiling on the same candidates;
 * - a learning curve: fitted on the first n (QMC order), tested on the last HELD.
 * "Trainable" candidates are those at ≥ 0.6 accuracy under both seeds (the search decides among
 * them; the rest are recipes that do not train in BUDGET epochs).
 *
 * Run: npx tsx --conditions=source benchmarks/v3-predictor.ts [N=96] [OUT]
 * Writes benchmarks/results/v3-predictor.json and the acc-predictor real-data test fixture; with
 * OUT, writes OUT only (the fixture stays as it is).
 */
import { lastValueFrom, toArray } from 'rxjs';
import { AccuracyPredictor, type PredictorFitOptions } from '@fbnet/acc-predictor';
import { accuracyAtBudget, encodePoint, encodingSizes, jointArch, jointDimensions, makeCandidateJob, pointFromUnit, Sobol, type CandidateEvent, type CandidateResult, type DataSpec } from '@fbnet/autotrain';
import { kendallTauB } from '@fbnet/core';
import { writeJsonAtomic } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { cachedQueue, initBackend, machine, proxySet, space } from './v3-common.ts';

const N = Number(process.argv[2] ?? 96);
const HELD = 24;
const K = 4;
const BUDGET = 4;
const DATA: DataSpec = { source: 'fashion-mnist', trainImages: 3000, valImages: 1000, seed: 0 };
const backend = await initBackend(process.env.V3_BACKEND ?? 'wasm', Number(process.env.V3_THREADS ?? 2));
const t0 = Date.now();
const dims = jointDimensions(space).length;
const sobol = new Sobol(dims, { shiftSeed: 11, index: 1 });
const points = [];
while (points.length < N) {
  const p = pointFromUnit(space, sobol.next());
  if (archCost(jointArch(space, p)).flops <= 1e6) points.push(p);
}
const queue = cachedQueue(`predictor-${DATA.trainImages}-${DATA.valImages}-b${BUDGET}`);
const results: CandidateResult[][] = [];
for (const seed of [0, 1]) {
  const jobs = points.map((p) => makeCandidateJob(space, p, { budget: BUDGET, seed, data: DATA }));
  const ev: CandidateEvent[] = await lastValueFrom(queue.submit(jobs).pipe(toArray()));
  const byId = new Map(ev.flatMap((e) => (e.type === 'queue/job-completed' ? [[e.jobId, e.result] as const] : [])));
  results.push(jobs.map((j) => byId.get(j.id)!));
  console.error(`seed ${seed}: ${N} candidates trained (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
}
const trainSec = (Date.now() - t0) / 1000;
const acc0 = results[0].map((r) => r.accuracy), acc1 = results[1].map((r) => r.accuracy);
const trainable = acc0.map((a, i) => a >= 0.6 && acc1[i] >= 0.6);
const sub = <T>(v: T[], mask: boolean[]) => v.filter((_, i) => mask[i]);
const ceilingByBudget = Array.from({ length: BUDGET }, (_, b) => {
  const a = results[0].map((r) => accuracyAtBudget(r.curve, b + 1)), c = results[1].map((r) => accuracyAtBudget(r.curve, b + 1));
  return { budget: b + 1, kendallTau: kendallTauB(a, c), meanAbsDiff: a.reduce((s, x, i) => s + Math.abs(x - c[i]), 0) / N };
});
const ceiling = { all: kendallTauB(acc0, acc1), trainable: kendallTauB(sub(acc0, trainable), sub(acc1, trainable)), trainableN: trainable.filter(Boolean).length, byBudget: ceilingByBudget };

const samples = points.map((p, i) => ({ ...encodePoint(space, p), accuracy: acc0[i] }));
const sizes = encodingSizes(space);
const predictor = new AccuracyPredictor({ archDim: sizes.arch, recipeDim: sizes.recipe, seed: 0 });
const { archs, targets } = proxySet();
const proxyPretrain = await predictor.pretrainProxy(archs, targets, { epochs: 60 });
const predictAll = (idx: number[]) => predictor.predict(idx.map((i) => samples[i].arch), idx.map((i) => samples[i].recipe));
const tauOn = (idx: number[], pred: number[]) => {
  const m = idx.map((i) => trainable[i]);
  return { n: idx.length, kendallTau: kendallTauB(pred, idx.map((i) => acc0[i])), trainable: kendallTauB(sub(pred, m), sub(idx.map((i) => acc0[i]), m)), ceiling: kendallTauB(idx.map((i) => acc0[i]), idx.map((i) => acc1[i])) };
};
const crossValidation: Record<string, ReturnType<typeof tauOn>> = {};
const learningCurve: Record<string, (ReturnType<typeof tauOn> & { fittedOn: number })[]> = {};
for (const t of ['normal-scores', 'standardized'] as const) {
  const fitO: PredictorFitOptions = { targets: t };
  const idxAll: number[] = [], predAll: number[] = [];
  for (let k = 0; k < K; k++) {
    const trn = samples.map((_, i) => i).filter((i) => i % K !== k), te = samples.map((_, i) => i).filter((i) => i % K === k);
    await predictor.fit(trn.map((i) => samples[i]), fitO);
    idxAll.push(...te);
    predAll.push(...predictAll(te));
  }
  crossValidation[t] = tauOn(idxAll, predAll);
  const held = samples.map((_, i) => i).slice(N - HELD);
  learningCurve[t] = [];
  for (const n of [24, 48, 72].filter((x) => x <= N - HELD)) {
    await predictor.fit(samples.slice(0, n), fitO);
    learningCurve[t].push({ fittedOn: n, ...tauOn(held, predictAll(held)) });
  }
  console.error(`${t}: CV τ ${crossValidation[t].kendallTau.toFixed(3)} (trainable ${crossValidation[t].trainable.toFixed(3)}) vs ceiling ${crossValidation[t].ceiling.toFixed(3)}`);
}
predictor.dispose();
const result = {
  benchmark: 'v3-predictor',
  date: new Date().toISOString(),
  machine: machine(),
  backend: backend.id,
  task: { space: space.name, data: DATA, budgetEpochs: BUDGET, candidates: N, seeds: [0, 1], folds: K, heldOut: HELD, constraint: { maxFlops: 1e6 } },
  accuracy: { min: Math.min(...acc0), max: Math.max(...acc0), mean: acc0.reduce((a, b) => a + b, 0) / N, trainable: ceiling.trainableN },
  noiseCeiling: ceiling,
  proxyPretrain,
  crossValidation,
  learningCurve,
  ratioToCeiling: Object.fromEntries(Object.entries(crossValidation).map(([k, v]) => [k, v.kendallTau / v.ceiling])),
  seconds: { training: trainSec, total: (Date.now() - t0) / 1000 },
};
const out = process.argv[3];
writeJsonAtomic(out ?? 'benchmarks/results/v3-predictor.json', result);
// The trained candidates as encodings + accuracy: the acc-predictor's real-data test fixture.
if (!out) writeJsonAtomic('packages/acc-predictor/src/fmnist-candidates.fixture.json', {
  note: `written by benchmarks/v3-predictor.ts: ${space.name} candidates (QMC order, FLOPs <= 1M) trained early-stopped (seed 0); encodings as @fbnet/autotrain encodePoint gives them`,
  space: space.name, data: DATA, budgetEpochs: BUDGET,
  samples: samples.map((s) => ({ arch: s.arch, recipe: s.recipe, accuracy: s.accuracy })),
});
console.log(JSON.stringify({ noiseCeiling: { all: ceiling.all, trainable: ceiling.trainable }, crossValidation, learningCurve, ratioToCeiling: result.ratioToCeiling }, null, 1));
