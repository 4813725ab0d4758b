/**
 * The predictor's recipe encoding, A/B: with and without the lr-by-optimizer features
 * (`encodeRecipe`: the lr's position u and u² in the chosen optimizer's slot).
 *
 * Four sets of trained candidates, each trained twice (seeds 0 and 1) so each has its noise
 * ceiling (the seed-to-seed Kendall τ):
 * - the 96 QMC candidates of benchmarks/v3-predictor.ts (4-epoch budget);
 * - random search's 96 candidates of benchmarks/v3-compare.ts for seeds 1, 2, 3 (2-epoch budget).
 * All are trained on 3,000/1,000 images, FLOPs ≤ 1 M, and cached under tmp/v3-bench (those two
 * benchmarks fill the cache; missing candidates are trained here). On each set the default
 * predictor (5 × [32]/16/[16], normal-score targets, proxy-pretrained on 2,000 archs) is scored
 * by 4-fold cross-validation (fitted on 72, pooled held-out Kendall τ against seed 0), once with
 * each encoding; "without" drops the trailing lr-by-optimizer features.
 *
 * Run: npx tsx --conditions=source benchmarks/v3-encoding.ts
 * Writes benchmarks/results/v3-encoding.json.
 */
import { lastValueFrom, toArray } from 'rxjs';
import { AccuracyPredictor } from '@fbnet/acc-predictor';
import { encodePoint, encodingSizes, jointArch, jointDimensions, makeCandidateJob, pointFromUnit, Sobol, type CandidateEvent, type JointPoint } from '@fbnet/autotrain';
import { kendallTauB, Rng } from '@fbnet/core';
import { writeJsonAtomic } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { cachedQueue, initBackend, machine, proxySet, space } from './v3-common.ts';

const backend = await initBackend(process.env.V3_BACKEND ?? 'wasm', Number(process.env.V3_THREADS ?? 1));
const t0 = Date.now();
const DATA = { source: 'fashion-mnist' as const, trainImages: 3000, valImages: 1000, seed: 0 };
const dims = jointDimensions(space).length;
const feasible = (p: JointPoint) => archCost(jointArch(space, p)).flops <= 1e6;
const K = 4;
const LR_BY_OPTIMIZER = 2 * 4; // sgd, rmsprop, adam, adamw: u and u² each
const sizes = encodingSizes(space);

/** The candidate sets, as each benchmark draws them. */
const sets: { name: string; cache: string; budget: number; points: JointPoint[] }[] = [];
{
  const sobol = new Sobol(dims, { shiftSeed: 11, index: 1 });
  const points: JointPoint[] = [];
  while (points.length < 96) {
    const p = pointFromUnit(space, sobol.next());
    if (feasible(p)) points.push(p);
  }
  sets.push({ name: 'v3-predictor QMC, 4 epochs', cache: 'predictor-3000-1000-b4', budget: 4, points });
}
for (const S of [1, 2, 3]) {
  const rng = new Rng(21 + S);
  const points: JointPoint[] = [];
  while (points.length < 96) {
    const p = pointFromUnit(space, Array.from({ length: dims }, () => rng.next()));
    if (feasible(p)) points.push(p);
  }
  sets.push({ name: `v3-compare random seed ${S}, 2 epochs`, cache: `compare-random-s${S}`, budget: 2, points });
}

async function accuracies(cache: string, budget: number, points: JointPoint[], seed: number): Promise<number[]> {
  const jobs = points.map((p) => makeCandidateJob(space, p, { budget, seed, data: DATA }));
  const ev: CandidateEvent[] = await lastValueFrom(cachedQueue(cache).submit(jobs).pipe(toArray()));
  const acc = new Map(ev.flatMap((e) => (e.type === 'queue/job-completed' ? [[e.jobId, e.result.accuracy] as const] : [])));
  return jobs.map((j) => acc.get(j.id) ?? NaN);
}

const predictor = new AccuracyPredictor({ archDim: sizes.arch, recipeDim: sizes.recipe, seed: 0 });
const narrow = new AccuracyPredictor({ archDim: sizes.arch, recipeDim: sizes.recipe - LR_BY_OPTIMIZER, seed: 0 });
{
  const { archs, targets } = proxySet();
  await predictor.pretrainProxy(archs, targets, { epochs: 60 });
  await narrow.pretrainProxy(archs, targets, { epochs: 60 });
}

interface Row { set: string; n: number; noiseCeiling: number; without: { kendallTau: number; ratio: number }; withLrByOptimizer: { kendallTau: number; ratio: number } }
const rows: Row[] = [];
for (const set of sets) {
  const [acc0, acc1] = [await accuracies(set.cache, set.budget, set.points, 0), await accuracies(set.cache, set.budget, set.points, 1)];
  const ceiling = kendallTauB(acc0, acc1);
  const cv = async (p: AccuracyPredictor, width: number) => {
    const samples = set.points.map((pt, i) => {
      const e = encodePoint(space, pt);
      return { arch: e.arch, recipe: e.recipe.slice(0, width), accuracy: acc0[i] };
    });
    const idx: number[] = [], pred: number[] = [];
    for (let k = 0; k < K; k++) {
      const te = samples.map((_, i) => i).filter((i) => i % K === k);
      await p.fit(samples.filter((_, i) => i % K !== k));
      idx.push(...te);
      pred.push(...p.predict(te.map((i) => samples[i].arch), te.map((i) => samples[i].recipe)));
    }
    return kendallTauB(pred, idx.map((i) => acc0[i]));
  };
  const withFeatures = await cv(predictor, sizes.recipe);
  const without = await cv(narrow, sizes.recipe - LR_BY_OPTIMIZER);
  const row: Row = { set: set.name, n: set.points.length, noiseCeiling: ceiling, without: { kendallTau: without, ratio: without / ceiling }, withLrByOptimizer: { kendallTau: withFeatures, ratio: withFeatures / ceiling } };
  rows.push(row);
  console.error(`${set.name}: ceiling ${ceiling.toFixed(3)}; without ${without.toFixed(3)} (${(without / ceiling).toFixed(2)}x), with ${withFeatures.toFixed(3)} (${(withFeatures / ceiling).toFixed(2)}x)`);
}
predictor.dispose();
narrow.dispose();
const mean = (f: (r: Row) => number) => rows.reduce((s, r) => s + f(r), 0) / rows.length;
const result = {
  benchmark: 'v3-encoding',
  date: new Date().toISOString(),
  machine: machine(),
  backend: backend.id,
  task: { space: space.name, data: DATA, folds: K, constraint: { maxFlops: 1e6 }, predictor: '5 x [32]/16/[16], normal-score targets (default)', encodingWidths: { arch: sizes.arch, recipe: sizes.recipe, lrByOptimizer: LR_BY_OPTIMIZER } },
  sets: rows,
  meanRatio: { without: mean((r) => r.without.ratio), withLrByOptimizer: mean((r) => r.withLrByOptimizer.ratio) },
  seconds: (Date.now() - t0) / 1000,
};
writeJsonAtomic('benchmarks/results/v3-encoding.json', result);
console.log(JSON.stringify({ sets: rows.map((r) => [r.set, r.noiseCeiling.toFixed(3), r.without.ratio.toFixed(2), r.withLrByOptimizer.ratio.toFixed(2)]), meanRatio: result.meanRatio }));
