/**
 * V3 (JointNAS) vs random search for the same number of trained candidates at equal latency.
 *
 * Constraint: FLOPs ≤ 1.0 M (the quick preset's) by default; with `--by latency` a linear latency
 * model (FLOPs, params, blocks, SE blocks, pixels) fitted on nets measured on this backend, both
 * searches under the same predicted latency (the 40th percentile of the measured nets).
 *
 * Both train N candidates of fbnet-v3-fmnist early-stopped at BUDGET epochs (CANDIDATE_DATA).
 * Random search keeps its best. V3 runs the coarse stage (a QMC set, then predictor-guided
 * iterations), the predictor-scored genetic search (pessimistic score mean − κ·ensemble spread,
 * `--risk κ`), and trains its best distinct proposals; its pick is the best measured of its N.
 *
 * Measured alongside (not counted in either budget):
 * - the noise ceiling: random search's candidates trained again with another seed; their
 *   seed-to-seed Kendall τ is the best any predictor of early-stopped accuracy can reach on
 *   unbiased draws of the space;
 * - the coarse predictor on random search's candidates (unbiased draws it never saw): Kendall τ.
 *
 * The two winners are then trained FINAL_SEEDS times each (their own recipes, on the space's fixed
 * schedule — each recipe's own epochs in the legacy space `V3_SPACE=fbnet-v3-fmnist-epochs` — on
 * FINAL_IMAGES class-balanced training images) and tested on the 2,000 bundled test images; the
 * result gives each method's mean, and the seed-to-seed spread of the final accuracy. The winners'
 * batch-1 latency is measured afterwards, for all result files at once, interleaved on an idle
 * machine: benchmarks/v3-compare-latency.ts (so seeds may run in parallel).
 *
 * Run: npx tsx --conditions=source benchmarks/v3-compare.ts [--n 48] [--budget 2] [--seed S] [--risk 1] [--generations 40] [--confirm K] [--by flops|latency] [--v1 path]
 * `--seed S` seeds both searches (random draws, QMC, evolution). The data cut is seeded 0.
 * Training seeds: random search's candidates 0 (1 for the noise ceiling), V3's coarse candidates S,
 * its verified proposals 0, confirmations 101. Trained candidates are cached under tmp/, so a
 * re-run (another rule, more seeds) trains only what is new.
 * Writes benchmarks/results/v3-compare.json (v3-compare-seed<S>.json with --seed; -n<N> appended when N is not 48, -g<G> when G is not 40, -c<K> with --confirm).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { lastValueFrom, toArray } from 'rxjs';
import { archPart, CoarseSearch, encodePoint, jointArch, jointDimensions, jointGenome, jointRecipe, makeCandidateJob, pointFromUnit, pointKey, resizeDataset, type CandidateEvent, type CandidateJob, type JointPoint } from '@fbnet/autotrain';
import { kendallTauB, Rng, type ArchDef } from '@fbnet/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, loadFashionMnist, selectClassBalanced, takeSamples } from '@fbnet/data';
import { ConstraintChecker, evolve, predictorFitness, type ArchCosts } from '@fbnet/evolutionary-search';
import { measureNet, resolveTiming, ridgeFit } from '@fbnet/latency-lut';
import { writeJsonAtomic } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { Trainer } from '@fbnet/train';
import { cachedQueue, initBackend, machine, space } from './v3-common.ts';

const args = process.argv.slice(2);
const flag = (name: string) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const v1Path = flag('--v1');
const N = Number(flag('--n') ?? 48);
const SEED = flag('--seed') !== undefined ? Number(flag('--seed')) : undefined;
const RISK = Number(flag('--risk') ?? 1);
const S = SEED ?? 0;
const BUDGET = Number(flag('--budget') ?? 2);
/** Fine stage: generations of the predictor-scored evolution (few: proposals stay a few mutations from trained candidates). */
const GENERATIONS = Number(flag('--generations') ?? 40);
/**
 * Confirmation (SMAC's intensification): each method spends K of its N trainings re-training its K
 * best with another seed and picks the best mean of two. One early-stopped score has a noise of
 * ~3 points here (seed-to-seed mean |Δ| 3.6), so the best of 48 single scores is mostly the
 * luckiest. Random search then draws N − K points; V3 verifies K proposals fewer.
 */
const CONFIRM = Number(flag('--confirm') ?? 0);
const CONFIRM_SEED = 101;
const CANDIDATE_DATA = { source: 'fashion-mnist' as const, trainImages: 3000, valImages: 1000, seed: 0 };
const FINAL_IMAGES = 6000;
const FINAL_SEEDS = [0, 1];
const backend = await initBackend(process.env.V3_BACKEND ?? 'wasm', Number(process.env.V3_THREADS ?? 2));
const t0 = Date.now();
const dims = jointDimensions(space).length;
const log = (s: string) => console.error(`[${((Date.now() - t0) / 1000).toFixed(0)} s] ${s}`);

// A latency model for this backend: measured nets → linear fit on cost features.
const feats = (a: ArchDef) => {
  const c = archCost(a);
  const blocks = a.blocks.flat();
  const depth = blocks.reduce((s, b) => s + (b[3] as number), 0);
  const se = blocks.filter((b) => String(b[0]).includes('_se')).reduce((s, b) => s + (b[3] as number), 0);
  return [1, c.flops / 1e6, c.params / 1e5, depth, se, (a.input_size / 28) ** 2];
};
// The constraint: FLOPs (the quick preset's, deterministic) by default; `--by latency`: a latency model
// measured once per backend and cached (tmp/v3-bench/latency-model-<backend>.json), so that every
// seed searches under the same limit; delete the file to re-measure (on an idle machine).
const BY = flag('--by') ?? 'flops';
let constraints: { maxFlops?: number; maxLatencyMs?: number } = { maxFlops: 1.0e6 };
let latencyModel: Record<string, unknown> | undefined;
let model = (_a: ArchDef) => NaN;
if (BY === 'latency') {
  const calibFile = `tmp/v3-bench/latency-model-${backend.id}.json`;
  let calib: { x: number[]; ms: number }[];
  if (existsSync(calibFile)) calib = JSON.parse(readFileSync(calibFile, 'utf8')).calib;
  else {
    const lrng = new Rng(5);
    calib = [];
    for (let i = 0; i < 30; i++) {
      const a = jointArch(space, pointFromUnit(space, Array.from({ length: dims }, () => lrng.next())));
      calib.push({ x: feats(a), ms: (await measureNet(a, resolveTiming({ timeMs: 300, minSamples: 20 }), { seed: 0 })).medianMs });
    }
    mkdirSync('tmp/v3-bench', { recursive: true });
    writeJsonAtomic(calibFile, { date: new Date().toISOString(), machine: machine(), calib });
  }
  const fitSet = calib.slice(0, 22), checkSet = calib.slice(22);
  const w = ridgeFit(fitSet.map((c) => c.x), fitSet.map((c) => c.ms), [1e-6, 1e-3, 1e-3, 1e-3, 1e-3, 1e-3], [0, 0, 0, 0, 0, 0]);
  model = (a: ArchDef) => feats(a).reduce((s, x, j) => s + x * w[j], 0);
  const mape = (set: typeof calib) => (100 * set.reduce((s, c) => s + Math.abs(c.x.reduce((t, x, j) => t + x * w[j], 0) - c.ms) / c.ms, 0)) / set.length;
  const sortedMs = calib.map((c) => c.ms).sort((a, b) => a - b);
  constraints = { maxLatencyMs: Number(sortedMs[Math.floor(0.4 * sortedMs.length)].toFixed(3)) };
  latencyModel = { weights: w, features: ['1', 'MFLOPs', 'params/1e5', 'blocks', 'SE blocks', '(res/28)^2'], mapeFit: mape(fitSet), mapeHeldOut: mape(checkSet), measured: calib.length, cache: calibFile };
  log(`latency model: MAPE ${(latencyModel.mapeFit as number).toFixed(1)}% fit, ${(latencyModel.mapeHeldOut as number).toFixed(1)}% held out; limit ${constraints.maxLatencyMs} ms`);
}
/** The constraint checker with latency from the fitted model instead of a table. */
class ModelChecker extends ConstraintChecker<JointPoint> {
  override archCosts(a: ArchDef): ArchCosts {
    return BY === 'latency' ? { ...super.archCosts(a), latencyMs: model(a) } : super.archCosts(a);
  }
}
const genome = jointGenome(space);
const checker = new ModelChecker(genome, constraints);

/** Train jobs (cached by id) and return their accuracies in job order. */
async function train(name: string, jobs: CandidateJob[]): Promise<number[]> {
  const ev: CandidateEvent[] = await lastValueFrom(cachedQueue(name).submit(jobs).pipe(toArray()));
  const acc = new Map(ev.flatMap((e) => (e.type === 'queue/job-completed' ? [[e.jobId, e.result.accuracy] as const] : [])));
  return jobs.map((j) => acc.get(j.id) ?? NaN);
}
const job = (p: JointPoint, seed = 0) => makeCandidateJob(space, p, { budget: BUDGET, seed, data: CANDIDATE_DATA });

// Random search: N uniform feasible points.
const rng = new Rng(21 + S);
const randomPts: JointPoint[] = [];
while (randomPts.length < N) {
  const p = pointFromUnit(space, Array.from({ length: dims }, () => rng.next()));
  if (checker.ok(p)) randomPts.push(p);
}
const measuredR = await train(`compare-random-s${S}`, randomPts.map((p) => job(p)));

/** The pick among trained candidates: the best score, or with CONFIRM the best mean of two seeds among the K best. */
async function pick(name: string, pts: JointPoint[], acc: number[]) {
  const order = acc.map((_, i) => i).sort((a, b) => acc[b] - acc[a]);
  if (!CONFIRM) return { idx: order[0], score: acc[order[0]] };
  const top = order.slice(0, CONFIRM);
  // A seed neither search trained with (random search trains with 0, V3's coarse stage with S, its proposals with 0).
  const again = await train(name, top.map((i) => job(pts[i], CONFIRM_SEED)));
  const mean = top.map((i, j) => (acc[i] + again[j]) / 2);
  const j = mean.reduce((bj, m, k) => (m > mean[bj] ? k : bj), 0);
  return { idx: top[j], score: mean[j], confirmed: top.map((i, k) => ({ rank: k + 1, first: acc[i], again: again[k] })), confirmSeed: CONFIRM_SEED };
}
const rPick = await pick(`compare-random-s${S}`, randomPts.slice(0, N - CONFIRM), measuredR.slice(0, N - CONFIRM));
const rBestIdx = rPick.idx;
const randomSec = (Date.now() - t0) / 1000;
log(`random search: pick ${(rPick.score * 100).toFixed(2)}% of ${N - CONFIRM}${CONFIRM ? ` (+${CONFIRM} confirmations)` : ''}`);

// V3: coarse stage, then the fine stage, on the same number of trained candidates.
const tv = Date.now();
const verifyN = Math.max(2, Math.round(N / 6));
const first = Math.max(4, Math.round(N / 3));
const iterations = 3;
const per = Math.floor((N - first - verifyN) / iterations);
const firstN = N - verifyN - iterations * per;
const coarse = new CoarseSearch({
  space, data: CANDIDATE_DATA, seed: S, queue: cachedQueue(`compare-v3-s${S}`),
  proxy: { samples: 1500, epochs: 50 },
  earlyStop: { candidates: firstN, budget: BUDGET },
  iterations, perIteration: per, poolSize: 400, exploreFraction: 0.25,
  accept: (p) => checker.ok(p),
});
const cr = (await coarse.run())!;
log(`V3 coarse: ${cr.samples.length} trained, best ${(Math.max(...cr.samples.map((x) => x.accuracy)) * 100).toFixed(2)}%`);
const evo = (await evolve({ genome, fitness: predictorFitness(genome, coarse.predictor, { risk: RISK }), checker, initial: [...cr.samples].sort((a, b) => b.accuracy - a.accuracy).map((s) => s.point), seed: S, populationSize: 16, childrenPerGeneration: 48, maxGenerations: GENERATIONS, patience: 6 }))!;
const knownKeys = new Set(cr.samples.map((x) => pointKey(x.point)));
const archSeen = new Set<string>();
const proposals = evo.population
  .filter((c) => !knownKeys.has(pointKey(c.point)))
  .filter((c) => {
    const k = pointKey(archPart(space, c.point));
    if (archSeen.has(k)) return false;
    archSeen.add(k);
    return true;
  })
  .slice(0, verifyN - CONFIRM);
const vAcc = await train(`compare-v3-s${S}`, proposals.map((c) => job(c.point)));
const spreadOf = (pts: JointPoint[]) => {
  const enc = pts.map((p) => encodePoint(space, p));
  return coarse.predictor.predictSpread(enc.map((e) => e.arch), enc.map((e) => e.recipe));
};
const propSpread = spreadOf(proposals.map((c) => c.point));
const v3Trained = [
  ...cr.samples.map((x) => ({ point: x.point, accuracy: x.accuracy, source: x.iteration === 0 ? 'qmc' : 'guided', predicted: x.predicted })),
  ...proposals.map((c, i) => ({ point: c.point, accuracy: vAcc[i], source: 'verified', predicted: propSpread.mean[i], spread: propSpread.std[i], score: c.score })),
];
const vPick = await pick(`compare-v3-s${S}`, v3Trained.map((x) => x.point), v3Trained.map((x) => x.accuracy));
const v3Pick = { ...v3Trained[vPick.idx], accuracy: vPick.score };
const v3Sec = (Date.now() - tv) / 1000;
log(`V3: pick ${(v3Pick.accuracy * 100).toFixed(2)}% from ${v3Pick.source}; proposals ${vAcc.map((a) => (a * 100).toFixed(1)).join(' ')}`);

// The predictor on candidates it never saw (random search's: unbiased draws of the space), and the
// noise ceiling on the same candidates (trained again with another seed).
const { mean: predR } = spreadOf(randomPts);
const measuredR2 = await train(`compare-random-s${S}`, randomPts.map((p) => job(p, 1)));
const predictorOnRandom = { n: N, kendallTau: kendallTauB(predR, measuredR), rmse: Math.sqrt(predR.reduce((s, x, i) => s + (x - measuredR[i]) ** 2, 0) / N) };
const noiseCeiling = { n: N, kendallTau: kendallTauB(measuredR, measuredR2), meanAbsDiff: measuredR.reduce((s, a, i) => s + Math.abs(a - measuredR2[i]), 0) / N };
log(`predictor on random candidates: tau ${predictorOnRandom.kendallTau.toFixed(3)}; seed-to-seed tau ${noiseCeiling.kendallTau.toFixed(3)}`);
coarse.dispose();

// Final training of both winners under the same budget, FINAL_SEEDS seeds each.
const trainFull = loadFashionMnist({ split: 'train' });
const finalTrain = takeSamples(trainFull, selectClassBalanced(trainFull.labels, 10, FINAL_IMAGES / 10, 99));
const test = loadFashionMnist({ split: 'test' });
async function finalize(label: string, p: JointPoint, searchScore: number) {
  const arch = { ...jointArch(space, p), name: label };
  const recipe = { ...jointRecipe(space, p) };
  const size = arch.input_size;
  const runs: { seed: number; testAccuracy: number; seconds: number }[] = [];
  for (const seed of FINAL_SEEDS) {
    const ts = Date.now();
    const trainer = new Trainer({ arch, train: resizeDataset(finalTrain, size), test: resizeDataset(test, size), recipe, seed, normalization: { mean: [FASHION_MNIST_MEAN], std: [FASHION_MNIST_STD] } });
    const r = await trainer.run();
    trainer.dispose();
    runs.push({ seed, testAccuracy: r.testAccuracy!, seconds: (Date.now() - ts) / 1000 });
    log(`${label} seed ${seed}: ${(r.testAccuracy! * 100).toFixed(2)}%`);
  }
  const c = archCost(arch);
  const mean = runs.reduce((s, r) => s + r.testAccuracy, 0) / runs.length;
  return { label, testAccuracy: mean, runs, seedSpread: Math.max(...runs.map((r) => r.testAccuracy)) - Math.min(...runs.map((r) => r.testAccuracy)), searchScore, flops: c.flops, params: c.params, latencyModelMs: model(arch), recipe, point: p };
}
const random = await finalize('random-search', randomPts[rBestIdx], rPick.score);
const v3 = await finalize('v3-jointnas', v3Pick.point, v3Pick.accuracy);
const v1 = v1Path ? JSON.parse(readFileSync(v1Path, 'utf8')) : undefined;
const result = {
  benchmark: 'v3-compare',
  date: new Date().toISOString(),
  machine: machine(),
  backend: backend.id,
  ...(latencyModel ? { latencyModel } : {}),
  setup: {
    seed: S, space: space.name, data: CANDIDATE_DATA, budgetEpochs: BUDGET, risk: RISK, generations: GENERATIONS, confirm: CONFIRM,
    trainedCandidatesPerMethod: { random: N, v3: v3Trained.length + CONFIRM },
    v3Split: { qmc: firstN, guided: iterations * per, verified: proposals.length },
    constraints,
    final: { trainImages: finalTrain.count, testImages: test.count, seeds: FINAL_SEEDS, epochs: space.recipe.epochs ? 'each recipe its own' : jointRecipe(space, randomPts[0]).epochs },
  },
  random: { ...random, candidates: measuredR.slice(0, N - CONFIRM), ...(rPick.confirmed ? { confirmed: rPick.confirmed } : {}) },
  v3: {
    ...v3, pickedFrom: v3Pick.source, ...(vPick.confirmed ? { confirmed: vPick.confirmed } : {}),
    trained: v3Trained.map(({ point: _p, ...x }) => x),
    verified: v3Trained.filter((x) => x.source === 'verified'),
    coarseHeldOut: cr.predictor,
    generations: evo.generations,
  },
  predictorOnRandomCandidates: predictorOnRandom,
  noiseCeiling,
  ...(v1 ? { v1: { testAccuracy: v1.testAccuracy, latencyMs: v1.latencyMs, flops: v1.flops, params: v1.params, backend: v1.backend, source: v1Path, note: 'V1 trains with its own preset budget; compare with care' } } : {}),
  v3MinusRandom: { testAccuracy: v3.testAccuracy - random.testAccuracy, finalSeedSpread: Math.max(v3.seedSpread, random.seedSpread) },
  seconds: { random: randomSec, v3: v3Sec, total: (Date.now() - t0) / 1000 },
};
writeJsonAtomic(`benchmarks/results/v3-compare${SEED === undefined ? '' : `-seed${SEED}`}${N === 48 ? '' : `-n${N}`}${GENERATIONS === 40 ? '' : `-g${GENERATIONS}`}${CONFIRM ? `-c${CONFIRM}` : ''}.json`, result);
console.log(JSON.stringify({ constraints, random: { acc: random.testAccuracy, runs: random.runs.map((r) => r.testAccuracy), search: random.searchScore, latModel: random.latencyModelMs }, v3: { acc: v3.testAccuracy, runs: v3.runs.map((r) => r.testAccuracy), search: v3.searchScore, from: v3Pick.source, latModel: v3.latencyModelMs }, predictorOnRandom, noiseCeiling, coarse: cr.predictor, seconds: result.seconds }, null, 1));
