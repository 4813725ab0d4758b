import { relative, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { lastValueFrom, tap, toArray } from 'rxjs';
import { AccuracyPredictor, asAccuracy } from '@fbnet/acc-predictor';
import { archPart, candidatesFailedError, CoarseSearch, FailureLog, FileResultStore, getJointSpacePreset, InProcessQueue, jointArch, jointRecipe, makeCandidateJob, pointKey, resizeDataset, type CandidateResult, type CoarseResult, type EvaluationQueue, type JointPoint } from '@fbnet/autotrain';
import { FbnetError, parseArchDef, type BackendPlugin, type KernelPlan, type EventBase } from '@fbnet/core';
import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, loadFashionMnist, numClasses, selectClassBalanced, splitTrainVal, takeSamples, type ImageDataset } from '@fbnet/data';
import { ConstraintChecker, lutLatency, runEvolution, type Constraints, type EvolutionResult } from '@fbnet/evolutionary-search';
import { archLatency, loadLut, measureNet, nodeFingerprint, resolveTiming, type LatencyTable } from '@fbnet/latency-lut';
import type { RunDir } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { exportModel, Trainer, type TrainRecipe } from '@fbnet/train';
import type { SearchV3Preset } from './presets.ts';

export interface SearchV3Context {
  /** The backend to train and measure on (initialised here if it is not the active TF.js backend). */
  backend: BackendPlugin;
  /** The device's kernel plan the backend runs with (its hash goes into latency tables). */
  plan?: KernelPlan;
  /** Every stage event (the CLI appends them to the run's events.jsonl and draws progress). */
  log(e: EventBase): void;
  /** Human-readable progress lines. */
  info(line: string): void;
  /** Where candidates train (default: in process). */
  queue?: EvaluationQueue;
  /** Abort between steps; the run directory keeps everything done so far. */
  signal?: AbortSignal;
}

export interface SearchV3Options {
  preset: SearchV3Preset;
  presetName: string;
  dataDir?: string;
  /** A latency table (path or object) for latency constraints and predictions. */
  lut?: string | LatencyTable;
  forceLut?: boolean;
  /** Overrides the preset's constraints. */
  constraints?: Constraints;
}

export interface SearchV3Result {
  testAccuracy: number;
  valAccuracy?: number;
  params: number;
  flops: number;
  /** Measured on this backend, batch 1. */
  latencyMs: number;
  /** LAT(a) from the latency table, when one was given. */
  predictedLatencyMs?: number;
  backend: string;
  archPath: string;
  modelPath: string;
  runDir: string;
  /** The predictor on held-out candidates (each coarse iteration's picks, predicted before training). */
  /**
   * The predictor on held-out candidates, and the noise ceiling it is judged against: the Kendall τ
   * of the early-stopping set's accuracies under two training seeds (null when not measured).
   */
  predictor: { kendallTau: number; rmse: number; n: number; seedToSeedTau: number | null; seedToSeedN: number };
  recipe: TrainRecipe;
  point: JointPoint;
  /** The predictor's score of the chosen candidate (early-stopped validation accuracy). */
  predictedAccuracy: number;
  /** Its measured early-stopped validation accuracy. */
  searchAccuracy: number;
  /** Whether it is a verified fine-stage proposal or the best coarse candidate. */
  chosenFrom: 'coarse' | 'verified';
  earlyStopBudget: number;
  candidatesTrained: number;
  constraints: Constraints;
  seconds: { coarse: number; fine: number; train: number; total: number };
}

interface FineFile {
  best: EvolutionResult['best'];
  /** The predictor's top proposals, trained like coarse candidates (same budget). */
  verified: { point: JointPoint; predicted: number; accuracy: number; id: string }[];
  /** The candidate trained further: the best measured among coarse samples and verified proposals. */
  chosen: { point: JointPoint; accuracy: number; predicted?: number; source: 'coarse' | 'verified' };
  top: EvolutionResult['population'];
  generations: number;
  evaluated: number;
  constraints: Constraints;
}

/** At most `n` images, class-balanced and seeded. */
function limit(ds: ImageDataset, n: number | undefined, seed: number): ImageDataset {
  if (n === undefined || n >= ds.count) return ds;
  const k = numClasses(ds);
  return takeSamples(ds, selectClassBalanced(ds.labels, k, Math.floor(n / k), seed));
}

/**
 * FBNetV3 JointNAS end to end in a run directory: coarse stage (proxy-pretrained predictor,
 * early-stopping rule, predictor-guided QMC candidates trained through the evaluation queue)
 * → fine stage (constrained adaptive genetic search on the predictor) → final training of the
 * found architecture with the found recipe → TF.js export → measured latency. Each phase is
 * skipped when its output exists and resumes from its checkpoints otherwise.
 */
export async function searchV3(run: RunDir, ctx: SearchV3Context, o: SearchV3Options): Promise<SearchV3Result> {
  const t0 = Date.now();
  const p = o.preset;
  const seed = run.config.seed;
  const space = getJointSpacePreset(p.space);
  const constraints = o.constraints ?? p.constraints;
  if (tf.getBackend() !== ctx.backend.tfBackend) await ctx.backend.init();
  const aborted = () => ctx.signal?.aborted === true;
  const interrupted = (phase: string) => new FbnetError('CHECKPOINT', `search v3 interrupted during ${phase}; resume the run at ${run.path}`);

  let lut: LatencyTable | undefined;
  if (o.lut) {
    lut = typeof o.lut === 'string' ? loadLut(o.lut, { device: nodeFingerprint(ctx.backend, ctx.plan), force: o.forceLut }) : o.lut;
    if (!run.readJson('lut.json')) run.writeJson('lut.json', lut);
  }
  if (constraints.maxLatencyMs !== undefined && !lut) throw new FbnetError('USAGE', 'a latency constraint needs a latency table (lut)');
  const checker = new ConstraintChecker(space, constraints, lut ? lutLatency(lut) : undefined);

  // 1. Coarse stage.
  const tc = Date.now();
  let coarse = run.readJson<CoarseResult>('coarse.json');
  if (!coarse) {
    ctx.info(`coarse stage: ${space.name}, early-stopping rule on ${p.earlyStop.candidates} candidates, ${p.iterations} iterations × ${p.perIteration} candidates (${ctx.queue?.kind ?? 'in-process'} queue)`);
    const search = new CoarseSearch({
      space,
      data: { source: 'fashion-mnist', ...(o.dataDir ? { dataDir: o.dataDir } : {}), ...p.candidateData, seed },
      seed,
      queue: ctx.queue ?? new InProcessQueue(),
      run,
      proxy: p.proxy,
      fit: p.fit,
      earlyStop: p.earlyStop,
      iterations: p.iterations,
      perIteration: p.perIteration,
      poolSize: p.poolSize,
      exploreFraction: p.exploreFraction,
      accept: (x) => checker.ok(x),
    });
    // The stage's error reaches us through the awaited run(); unhandled here it would be rethrown as uncaught.
    const sub = search.events$.subscribe({
      error: () => undefined,
      next: (e) => {
        ctx.log(e);
        if (e.type === 'predictor/proxy-pretrained') ctx.info(`proxy head pretrained on ${e.samples} archs: Kendall τ(FLOPs) ${e.kendallTau.toFixed(3)}`);
        if (e.type === 'autotrain/early-stop-chosen') ctx.info(`early stopping: budget ${e.budget} epochs (τ ${e.taus.map((t) => t.tau.toFixed(2)).join(' → ')}${e.reached ? '' : `, threshold ${e.threshold} not reached`})`);
        if (e.type === 'autotrain/candidate-evaluated') ctx.info(`candidate ${e.id}: ${(e.accuracy * 100).toFixed(2)}%${e.predicted !== undefined ? ` (predicted ${(asAccuracy(e.predicted) * 100).toFixed(2)}%)` : ''} in ${e.seconds.toFixed(1)} s on ${e.worker}`);
        if (e.type === 'predictor/fitted' && e.heldOut) ctx.info(`predictor refit on ${e.samples} samples; on this iteration's candidates before training: τ ${e.heldOut.kendallTau.toFixed(3)}, RMSE ${(e.heldOut.rmse * 100).toFixed(2)} pts`);
      },
    });
    const onAbort = () => search.cancel();
    ctx.signal?.addEventListener('abort', onAbort);
    try {
      const r = await search.run();
      if (!r) throw interrupted('the coarse stage');
      coarse = r;
      run.writeJson('coarse.json', coarse);
    } finally {
      ctx.signal?.removeEventListener('abort', onAbort);
      sub.unsubscribe();
      search.dispose();
    }
  }
  const coarseSec = (Date.now() - tc) / 1000;

  // 2. Fine stage: the predictor from the coarse stage scores an adaptive genetic search.
  const tf_ = Date.now();
  let fine = run.readJson<FineFile>('fine.json');
  if (!fine) {
    const predictor = AccuracyPredictor.load(run);
    if (!predictor) throw new FbnetError('CHECKPOINT', `${run.path} has coarse results but no predictor checkpoint`);
    try {
      const initial = [...coarse.samples].sort((a, b) => b.accuracy - a.accuracy).map((s) => s.point);
      ctx.info(`fine stage: genetic search from the ${Math.min(initial.length, p.evolution.populationSize)} best candidates under ${JSON.stringify(constraints)}`);
      const r = await runEvolution({ space, predictor, checker, initial, seed, ...p.evolution }, (e) => {
        ctx.log(e);
        if (e.type === 'evolution/generation' && (e.improved || e.generation % 5 === 0)) ctx.info(`generation ${e.generation}: best predicted ${(asAccuracy(e.bestScore) * 100).toFixed(2)}%, mutation rate ${e.mutationRate.toFixed(3)}`);
      });
      // Verification: the top proposals are trained like coarse candidates (FBNetV3 trains its final
      // candidates; with few coarse samples the predictor's extrapolations need checking).
      const known = new Set(coarse.samples.map((x) => pointKey(x.point)));
      // Distinct architectures: the top of an evolved population is crowded with recipe tweaks of one net.
      const archSeen = new Set<string>();
      const proposals = r.population
        .filter((c) => !known.has(pointKey(c.point)))
        .filter((c) => {
          const k = pointKey(archPart(space, c.point));
          if (archSeen.has(k)) return false;
          archSeen.add(k);
          return true;
        })
        .slice(0, p.verify);
      const data = { source: 'fashion-mnist' as const, ...(o.dataDir ? { dataDir: o.dataDir } : {}), ...p.candidateData, seed };
      const jobs = proposals.map((c) => makeCandidateJob(space, c.point, { budget: coarse!.budget, seed, data }));
      const store = new FileResultStore(run.file('candidates.jsonl'));
      const todo = jobs.filter((j) => !store.get(j.id));
      if (todo.length) {
        ctx.info(`verifying the ${jobs.length} best proposals (${coarse.budget} epochs each)`);
        const failures = new FailureLog();
        await lastValueFrom((ctx.queue ?? new InProcessQueue()).submit(todo).pipe(tap((e) => ctx.log(e)), toArray())).then((evs) => {
          for (const e of evs) {
            failures.record(e);
            if (e.type === 'queue/job-completed') store.put(e.result);
          }
        });
        // Some proposals may fail (the best coarse candidate still stands); all of them failing is the run's error.
        const failed = failures.of(todo.map((j) => j.id));
        if (!aborted() && failed.length === todo.length) throw candidatesFailedError(failed, todo.length, 'verifying proposals');
      }
      const verified = jobs.flatMap((j, i) => {
        const res: CandidateResult | undefined = store.get(j.id);
        return res ? [{ point: proposals[i].point, predicted: proposals[i].score, accuracy: res.accuracy, id: j.id }] : [];
      });
      for (const v of verified) ctx.info(`proposal ${v.id}: measured ${(v.accuracy * 100).toFixed(2)}% (predicted ${(asAccuracy(v.predicted) * 100).toFixed(2)}%)`);
      const bestCoarse = coarse.samples.filter((x) => checker.ok(x.point)).reduce<typeof coarse.samples[number] | undefined>((a, b) => (!a || b.accuracy > a.accuracy ? b : a), undefined);
      const bestVerified = verified.reduce<(typeof verified)[number] | undefined>((a, b) => (!a || b.accuracy > a.accuracy ? b : a), undefined);
      const chosen: FineFile['chosen'] =
        bestVerified && (!bestCoarse || bestVerified.accuracy >= bestCoarse.accuracy)
          ? { point: bestVerified.point, accuracy: bestVerified.accuracy, predicted: bestVerified.predicted, source: 'verified' }
          : bestCoarse
            ? { point: bestCoarse.point, accuracy: bestCoarse.accuracy, source: 'coarse' }
            : { point: r.best.point, accuracy: NaN, predicted: r.best.score, source: 'verified' };
      fine = { best: r.best, verified, chosen, top: r.population.slice(0, 5), generations: r.generations, evaluated: r.evaluated, constraints };
      run.writeJson('fine.json', fine);
    } finally {
      predictor.dispose();
    }
  }
  if (aborted()) throw interrupted('the fine stage');
  const fineSec = (Date.now() - tf_) / 1000;
  const point = fine.chosen.point;
  const arch = parseArchDef({ ...jointArch(space, point), name: `fbnet-v3-${seed}` });
  const found = jointRecipe(space, point);
  const recipe: TrainRecipe = { ...found, epochs: Math.max(1, Math.round(found.epochs * p.final.epochsScale)) };
  run.writeJson('arch.json', arch);
  run.writeJson('recipe.json', recipe);

  // 3. Final training of the found architecture with the found recipe, then export.
  const tt = Date.now();
  let final = run.readJson<{ testAccuracy: number; valAccuracy?: number; modelPath: string }>('final.json');
  if (!final) {
    const full = limit(loadFashionMnist({ split: 'train', dataDir: o.dataDir }), p.final.maxTrainImages, seed);
    const testFull = limit(loadFashionMnist({ split: 'test', dataDir: o.dataDir }), p.final.maxTestImages, seed);
    const split = splitTrainVal(full, { valFraction: p.final.valFraction, seed });
    const size = arch.input_size;
    const [train, val, test] = [split.train, split.val, testFull].map((d) => resizeDataset(d, size));
    ctx.info(`final training: ${recipe.optimizer} lr ${recipe.lr.toPrecision(3)}, ${recipe.epochs} epochs on ${train.count} images at ${size}x${size}`);
    const trainer = new Trainer({ arch, train, val, test, recipe, seed, normalization: { mean: [FASHION_MNIST_MEAN], std: [FASHION_MNIST_STD] }, run, checkpointName: 'final' });
    // The stage's error reaches us through the awaited run(); unhandled here it would be rethrown as uncaught.
    const sub = trainer.events$.subscribe({
      error: () => undefined,
      next: (e) => {
        ctx.log(e);
        if (e.type === 'train/epoch-ended') ctx.info(`train epoch ${e.epoch}: loss ${e.trainLoss.toFixed(4)} val ${((e.valAccuracy ?? 0) * 100).toFixed(2)}% ${e.imagesPerSec.toFixed(0)} img/s`);
      },
    });
    const onAbort = () => trainer.cancel();
    ctx.signal?.addEventListener('abort', onAbort);
    try {
      const r = await trainer.run();
      if (r.epochs < recipe.epochs) throw interrupted('the final training');
      const model = await exportModel(trainer.net, run.file('model'));
      final = { testAccuracy: r.testAccuracy ?? NaN, valAccuracy: r.valAccuracy, modelPath: relative(run.path, model.modelJson) };
      run.writeJson('final.json', final);
    } finally {
      ctx.signal?.removeEventListener('abort', onAbort);
      sub.unsubscribe();
      trainer.dispose();
    }
  }
  const trainSec = (Date.now() - tt) / 1000;

  // 4. Measured latency of the exported architecture on this backend.
  const measured = await measureNet(arch, resolveTiming(p.latencyTiming), { seed });
  const cost = archCost(arch);
  const result: SearchV3Result = {
    testAccuracy: final.testAccuracy,
    valAccuracy: final.valAccuracy,
    params: cost.params,
    flops: cost.flops,
    latencyMs: measured.medianMs,
    ...(lut ? { predictedLatencyMs: archLatency(lut, arch).totalMs } : {}),
    backend: ctx.backend.id,
    archPath: run.file('arch.json'),
    modelPath: resolve(run.path, final.modelPath),
    runDir: run.path,
    predictor: { kendallTau: coarse.predictor.kendallTau, rmse: coarse.predictor.rmse, n: coarse.predictor.n, seedToSeedTau: coarse.seedToSeed?.kendallTau ?? null, seedToSeedN: coarse.seedToSeed?.n ?? 0 },
    recipe,
    point,
    predictedAccuracy: asAccuracy(fine.chosen.predicted ?? fine.best.score),
    searchAccuracy: fine.chosen.accuracy,
    chosenFrom: fine.chosen.source,
    earlyStopBudget: coarse.budget,
    candidatesTrained: coarse.samples.length + fine.verified.length,
    constraints,
    seconds: { coarse: coarseSec, fine: fineSec, train: trainSec, total: (Date.now() - t0) / 1000 },
  };
  run.writeJson('result.json', result);
  ctx.info(`done in ${result.seconds.total.toFixed(0)} s: test accuracy ${(result.testAccuracy * 100).toFixed(2)}%, ${result.params} params, ${(result.flops / 1e6).toFixed(3)} MFLOPs, ${result.latencyMs.toFixed(3)} ms on ${result.backend}`);
  return result;
}
