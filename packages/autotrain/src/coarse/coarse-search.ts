import { tap, type Subscription } from 'rxjs';
import { AccuracyPredictor, checkpointToSerialized, sanitizeMetrics, type PredictorConfig, type PredictorFitOptions, type PredictorMetrics, type PredictorSample, type SerializedPredictor } from '@fbnet/acc-predictor';
import { defineStage, FbnetError, kendallTauB, type KernelPlan, type SearchSpace, type StageContext, type StageIo } from '@fbnet/core';
import { ConstraintChecker, type Constraints } from '@fbnet/evolutionary-search';
import type { LatencyTable } from '@fbnet/latency-lut';
import type { TrainRecipeInput } from '@fbnet/train';
import type { CandidateEvent, CandidateJob, CandidateResult, DataSpec, EvaluationQueue } from '../candidate/job.ts';
import { candidatesFailedError, FailureLog } from '../candidate/failures.ts';
import { accuracyAtBudget, chooseEarlyStopBudget, type EarlyStopDecision } from '../early-stop.ts';
import { BullmqQueue } from '../queue/bullmq-queue.ts';
import { InProcessQueue } from '../queue/in-process.ts';
import { ProcessPoolQueue } from '../queue/process-pool.ts';
import { FileResultStore, MemoryResultStore, type ResultStore } from '../queue/result-store.ts';
import { Sobol } from '../sobol/sobol.ts';
import { jointArch, pointKey, type JointPoint, type JointSpace } from '../space/joint-space.ts';
import { archCoarseSpace, jointCoarseSpace, type CoarseSpace } from './coarse-space.ts';
import type { CoarseEvent, CoarseSample } from './events.ts';

/**
 * Where candidates train, as data: in this process (default), in `workers` child processes on this machine (each
 * initialises `backend`, default the stage's, with `threads`), or a BullMQ queue on Redis served by `fbnet worker`s.
 */
export type QueueSpec =
  | { kind: 'in-process' }
  | { kind: 'processes'; workers?: number; backend?: string; threads?: number }
  | { kind: 'redis'; connection: string; queueName?: string };

/** The coarse machinery's settings (sizes: `SearchV3Preset`). */
export interface CoarseSettings {
  /** The candidates' training/validation data. */
  data: DataSpec;
  /** Proxy-head pretraining: architectures sampled (labels from shape propagation) and epochs. */
  proxy?: { samples?: number; epochs?: number };
  predictor?: Omit<PredictorConfig, 'archDim' | 'recipeDim'>;
  fit?: PredictorFitOptions;
  /** The early-stopping rule: `candidates` trained fully; or a fixed `budget` (no rule). */
  earlyStop: { candidates: number; threshold?: number; minBudget?: number; maxBudget?: number; budget?: number };
  /** Coarse iterations after the early-stopping set, and candidates trained in each. */
  iterations: number;
  perIteration: number;
  /** QMC points scored by the predictor per iteration (default 20 × perIteration). */
  poolSize?: number;
  /** Share of each iteration's candidates taken in QMC order rather than by predicted score (exploration). */
  exploreFraction?: number;
  /**
   * The noise ceiling: retrain this many of the early-stopping set (default all of it; 0 = off)
   * at the chosen budget with another seed. Their seed-to-seed Kendall τ is the best rank
   * correlation any predictor of early-stopped accuracy can reach; the predictor is judged by it.
   */
  noiseCeiling?: number;
  /** Where candidates train: a queue spec (plain data) or a queue object (library callers; not closed here). Default in process. */
  queue?: QueueSpec | EvaluationQueue;
}

/**
 * The coarse stage's input: the space (exactly one of `space`, a joint architecture + recipe
 * space, or `archSpace`, a core layer-wise `SearchSpace` with the `recipe` every candidate trains
 * with), the settings, and optional resource constraints on candidates.
 */
export interface CoarseSearchInput extends CoarseSettings {
  /** The joint architecture + recipe space (FBNetV3). */
  space?: JointSpace;
  /**
   * A layer-wise space instead (`archCoarseSpace`): V1 candidate ops per layer (V2 channels,
   * expansions, resolutions). The result's points are flat (`ops.<i>`, …); `pointToChoice` gives
   * their `ArchChoice`s.
   */
  archSpace?: SearchSpace;
  /** With `archSpace`: the recipe of every candidate; its `epochs` is the full schedule of the early-stopping set. */
  recipe?: TrainRecipeInput;
  /** Candidates must meet these (QMC points that do not are skipped); `maxLatencyMs` needs `latencyTable`. */
  constraints?: Constraints;
  latencyTable?: LatencyTable;
}

/** How well a candidate's early-stopped accuracy predicts itself under another seed. */
export interface SeedToSeed {
  n: number;
  budget: number;
  kendallTau: number;
  /** Mean |accuracy(seed) − accuracy(seed′)|. */
  meanAbsDiff: number;
  pairs: [number, number][];
}

export interface CoarseResult {
  budget: number;
  decision: EarlyStopDecision | null;
  samples: CoarseSample[];
  /** Predictor on candidates it had not seen (each iteration's picks, predicted before they were trained). */
  predictor: PredictorMetrics;
  heldOut: { iteration: number; metrics: PredictorMetrics }[];
  /** The seed-to-seed noise ceiling (null when off or the budget was fixed with no early-stopping set). */
  seedToSeed: SeedToSeed | null;
}

/** The coarse stage's result: the candidates (`samples`) and the fitted predictor as plain JSON. */
export interface CoarseStageResult extends CoarseResult {
  acquisition: SerializedPredictor;
}

interface CoarseState {
  version: 1;
  phase: 'proxy' | 'early-stop' | 'iterations' | 'done';
  iteration: number;
  sobolIndex: number;
  budget: number | null;
  decision: EarlyStopDecision | null;
  samples: CoarseSample[];
  heldOut: { iteration: number; metrics: PredictorMetrics; pairs: [number, number][] }[];
  seedToSeed?: SeedToSeed | null;
}

/** A queue from its spec (`owned`: the stage closes it); `active`: the stage's backend (`ctx.backend`), the processes' default. */
export function queueFrom(q: CoarseSettings['queue'], active?: { id: string; plan?: unknown }): { queue: EvaluationQueue; owned: boolean } {
  if (q && 'submit' in q) return { queue: q, owned: false };
  if (!q || q.kind === 'in-process') return { queue: new InProcessQueue(), owned: true };
  if (q.kind === 'processes') {
    const backend = q.backend ?? active?.id;
    if (!backend) throw new FbnetError('USAGE', 'queue { kind: "processes" }: backend (a plugin id) is required when the stage\'s backend is not known');
    const plan = !q.backend || q.backend === active?.id ? (active?.plan as KernelPlan | undefined) : undefined;
    return { queue: new ProcessPoolQueue({ backend, ...(q.workers !== undefined ? { workers: q.workers } : {}), ...(q.threads !== undefined ? { threads: q.threads } : {}), ...(plan ? { plan } : {}) }), owned: true };
  }
  if (q.kind === 'redis') return { queue: new BullmqQueue({ connection: q.connection, ...(q.queueName ? { queueName: q.queueName } : {}) }), owned: true };
  throw new FbnetError('USAGE', `unknown queue kind "${(q as { kind: string }).kind}" (in-process, processes, redis)`);
}

const aborted = (e: unknown, signal: AbortSignal) => signal.aborted && e instanceof FbnetError && e.code === 'CHECKPOINT';

/**
 * The coarse machinery over any `CoarseSpace` (FBNetV3 JointNAS stage 1): pretrain the
 * predictor's encoder on FLOPs/params, pick the early-stopping budget from n fully trained QMC
 * candidates, then iterate — score a QMC pool with the predictor, train the best (early-stopped)
 * through the evaluation queue, refit the predictor on everything so far. Checkpointed after
 * every phase and iteration (`<prefix>coarse-state.json`, `<prefix>predictor`,
 * `<prefix>candidates.jsonl`); finished candidates are never trained twice. Returns null once
 * `io.signal` is aborted (within one candidate-training step or predictor epoch).
 */
export async function runCoarse(space: CoarseSpace, o: CoarseSettings & { accept?: (p: JointPoint) => boolean }, ctx: StageContext, io: StageIo<CoarseEvent>): Promise<CoarseStageResult | null> {
  const run = ctx.run;
  const prefix = ctx.prefix ?? '';
  const seed = ctx.seed;
  const signal = io.signal;
  const sizes = space.encodingSizes;
  // A checkpoint from a version that encoded points differently is rebuilt (proxy pretraining is
  // deterministic and the samples are stored as points), not fed inputs of the wrong width.
  const loaded = run ? AccuracyPredictor.load(run, `${prefix}predictor`) : undefined;
  const mismatch = loaded?.inputMismatch(sizes);
  const stale = mismatch && `its checkpoint: ${mismatch} (saved by another version)`;
  if (stale) loaded!.dispose();
  const predictor = (!stale && loaded) || new AccuracyPredictor({ seed, ...o.predictor, archDim: sizes.arch, recipeDim: sizes.recipe });
  const store: ResultStore = run ? new FileResultStore(run.file(`${prefix}candidates.jsonl`)) : new MemoryResultStore();
  const failures = new FailureLog();
  const { queue, owned } = queueFrom(o.queue, ctx.backend && ctx.backend.id !== 'active' ? ctx.backend : undefined);
  const STATE = `${prefix}coarse-state.json`;

  const save = (s: CoarseState) => {
    if (!run) return;
    predictor.save(run, `${prefix}predictor`);
    run.writeJson(STATE, s);
    io.emit({ type: 'autotrain/checkpoint-saved', phase: s.phase, iteration: s.iteration });
  };
  const sample = (p: JointPoint, budget: number, r: CandidateResult, iteration: number, predicted?: number): CoarseSample => ({
    id: r.id,
    point: p,
    accuracy: accuracyAtBudget(r.curve, budget),
    curve: r.curve,
    iteration,
    ...(predicted !== undefined ? { predicted } : {}),
    diverged: r.diverged,
    seconds: r.seconds,
    worker: r.worker,
  });
  const toPredictor = (s: CoarseSample): PredictorSample => {
    const e = space.encode(s.point);
    return { arch: e.arch, recipe: e.recipe, accuracy: s.accuracy };
  };
  /** Train jobs through the queue (skipping those already in the store); results in job order, null when stopped. */
  const evaluate = async (jobs: CandidateJob[], context: string): Promise<(CandidateResult | null)[] | null> => {
    const todo = jobs.filter((j) => !store.get(j.id));
    if (todo.length && !signal.aborted) {
      let done = jobs.length - todo.length;
      const stream = queue.submit(todo).pipe(
        tap((e: CandidateEvent) => {
          io.emit(e);
          failures.record(e);
          if (e.type === 'queue/job-completed') {
            store.put(e.result);
            done++;
            io.progress('training candidates', done, jobs.length);
          }
        }),
      );
      await new Promise<void>((resolve, reject) => {
        // The queue may emit (and the subscriber cancel) synchronously inside subscribe(): listen first.
        let sub: Subscription | undefined;
        const stop = () => {
          sub?.unsubscribe();
          resolve();
        };
        signal.addEventListener('abort', stop, { once: true });
        const done = () => signal.removeEventListener('abort', stop);
        sub = stream.subscribe({ complete: () => (done(), resolve()), error: (e) => (done(), reject(e)) });
        if (signal.aborted) sub.unsubscribe();
      });
    }
    if (signal.aborted) return null;
    const res = jobs.map((j) => store.get(j.id) ?? null);
    // Every candidate of a batch failed: that is the run's error (bad data, broken backend), not a thin batch.
    if (jobs.length && res.every((r) => !r)) throw candidatesFailedError(failures.of(jobs.map((j) => j.id)), jobs.length, context);
    return res;
  };

  try {
    const accept = o.accept ?? (() => true);
    const saved = run?.readJson<CoarseState>(STATE);
    const state: CoarseState = saved ?? { version: 1, phase: 'proxy', iteration: 0, sobolIndex: 1, budget: null, decision: null, samples: [], heldOut: [] };
    io.emit({ type: 'autotrain/started', space: space.name, dimensions: space.dimensions, iterations: o.iterations, perIteration: o.perIteration, resumedAt: saved ? `${saved.phase}@${saved.iteration}` : null });
    // Index 0 of a digitally shifted Sobol sequence is just the shift; start at 1 like SciPy's users do.
    const sobol = new Sobol(space.dimensions, { shiftSeed: seed, index: state.sobolIndex });
    const nextPoints = (n: number, exclude: Set<string>): JointPoint[] => {
      const out: JointPoint[] = [];
      for (let guard = 0; out.length < n && guard < n * 200; guard++) {
        const p = space.fromUnit(sobol.next());
        const k = pointKey(p);
        if (exclude.has(k) || !accept(p)) continue;
        exclude.add(k);
        out.push(p);
      }
      state.sobolIndex = sobol.index;
      return out;
    };
    const seen = new Set(state.samples.map((s) => pointKey(s.point)));
    const job = (p: JointPoint, budget?: number) => space.job(p, { budget, seed, data: o.data });

    // 1. Proxy pretraining of the encoder (FLOPs/params from shape propagation; no training runs).
    if (state.phase === 'proxy' || stale) {
      const n = space.archVaries ? (o.proxy?.samples ?? 2000) : 0;
      const epochs = o.proxy?.epochs ?? 60;
      if (n > 0) {
        const qmc = new Sobol(space.dimensions, { shiftSeed: seed + 1, index: 1 });
        const archs: number[][] = [];
        const targets: number[][] = [];
        const seenArch = new Set<string>();
        for (let i = 0; i < n * 3 && archs.length < n; i++) {
          const p = space.fromUnit(qmc.next());
          const k = space.archKey(p);
          if (seenArch.has(k)) continue;
          seenArch.add(k);
          archs.push(space.encode(p).arch);
          targets.push(space.proxyTargets(p));
        }
        const r = await predictor.pretrainProxy(archs, targets, { epochs, signal });
        io.emit({ type: 'predictor/proxy-pretrained', samples: archs.length, epochs, loss: r.loss, kendallTau: r.kendallTau });
      }
      if (stale && state.samples.length >= 2) await predictor.fit(state.samples.map(toPredictor), { ...o.fit, signal });
      if (stale) io.emit({ type: 'predictor/rebuilt', reason: stale, samples: state.samples.length });
      if (state.phase === 'proxy') state.phase = 'early-stop';
      save(state);
    }
    if (signal.aborted) return null;

    // 2. Early-stopping rule: n candidates trained on their full schedules; pick the short budget.
    if (state.phase === 'early-stop') {
      const pts = nextPoints(o.earlyStop.candidates, seen);
      const full = o.earlyStop.budget === undefined;
      const jobs = pts.map((p) => job(p, full ? undefined : o.earlyStop.budget));
      const res = await evaluate(jobs, 'of the early-stopping set');
      if (!res) return null;
      const failed = failures.of(jobs.filter((_, i) => !res[i]).map((j) => j.id));
      if (failed.length) throw candidatesFailedError(failed, jobs.length, 'of the early-stopping set');
      let budget = o.earlyStop.budget ?? 1;
      if (full) {
        const ok = res.filter((r): r is CandidateResult => !!r && !r.diverged);
        const diverged = res.length - ok.length;
        if (ok.length < 3 && diverged) {
          throw new FbnetError('NUMERIC', `early-stopping rule needs at least 3 fully trained candidates, got ${ok.length}: ${diverged} of ${res.length} diverged (non-finite training loss)`);
        }
        const decision = chooseEarlyStopBudget(ok.map((r) => r.curve), { threshold: o.earlyStop.threshold, minBudget: o.earlyStop.minBudget, maxBudget: o.earlyStop.maxBudget });
        io.emit({ type: 'autotrain/early-stop-chosen', ...decision, candidates: ok.length });
        state.decision = decision;
        budget = decision.budget;
      }
      state.budget = budget;
      res.forEach((r, i) => {
        if (!r) throw new FbnetError('USAGE', `early-stopping candidate ${pts[i] && job(pts[i]).id} failed to train`);
        const s = sample(pts[i], budget, r, 0);
        state.samples.push(s);
        io.emit({ type: 'autotrain/candidate-evaluated', ...s });
      });
      const ceiling = full ? await noiseCeiling(pts, budget, state.samples.slice(-pts.length)) : null;
      if (signal.aborted) return null;
      state.seedToSeed = ceiling;
      const fit = await predictor.fit(state.samples.map(toPredictor), { ...o.fit, signal });
      io.emit({ type: 'predictor/fitted', iteration: 0, samples: state.samples.length, trainRmse: fit.trainRmse });
      state.phase = 'iterations';
      save(state);
    }
    const budget = state.budget!;

    // 3. Coarse iterations: QMC pool → predicted scores → train the best → refit.
    while (state.phase === 'iterations' && state.iteration < o.iterations) {
      if (signal.aborted) return null;
      const it = state.iteration + 1;
      const pool = nextPoints(o.poolSize ?? 20 * o.perIteration, new Set(seen));
      const enc = pool.map((p) => space.encode(p));
      const pred = predictor.predict(enc.map((e) => e.arch), enc.map((e) => e.recipe));
      const nExplore = Math.round(o.perIteration * (o.exploreFraction ?? 0.25));
      const order = pred.map((_, i) => i).sort((a, b) => pred[b] - pred[a] || a - b);
      const picked = order.slice(0, o.perIteration - nExplore);
      const rest = pool.map((_, i) => i).filter((i) => !picked.includes(i));
      picked.push(...rest.slice(0, nExplore));
      const pts = picked.map((i) => pool[i]);
      for (const p of pts) seen.add(pointKey(p));
      const res = await evaluate(pts.map((p) => job(p, budget)), `of coarse iteration ${it}`);
      if (!res) return null;
      const fresh: CoarseSample[] = [];
      res.forEach((r, k) => {
        if (!r) return;
        const s = sample(pts[k], budget, r, it, pred[picked[k]]);
        fresh.push(s);
        state.samples.push(s);
        io.emit({ type: 'autotrain/candidate-evaluated', ...s });
      });
      const heldOut = sanitizeMetrics(predictor.evaluate(fresh.map(toPredictor)));
      state.heldOut.push({ iteration: it, metrics: heldOut, pairs: fresh.map((s) => [s.predicted!, s.accuracy]) });
      const fit = await predictor.fit(state.samples.map(toPredictor), { ...o.fit, signal });
      io.emit({ type: 'predictor/fitted', iteration: it, samples: state.samples.length, trainRmse: fit.trainRmse, heldOut });
      const best = state.samples.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
      io.emit({ type: 'autotrain/iteration-ended', iteration: it, trained: fresh.length, bestAccuracy: best.accuracy, bestId: best.id });
      state.iteration = it;
      save(state);
    }
    state.phase = 'done';
    save(state);
    const pairs = state.heldOut.flatMap((h) => h.pairs);
    const metrics: PredictorMetrics = pairs.length
      ? { n: pairs.length, kendallTau: pairs.length > 1 ? kendallTauB(pairs.map((p) => p[0]), pairs.map((p) => p[1])) : NaN, rmse: Math.sqrt(pairs.reduce((s, [p, a]) => s + (p - a) ** 2, 0) / pairs.length) }
      : { n: 0, kendallTau: NaN, rmse: NaN };
    const best = state.samples.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
    io.emit({ type: 'autotrain/completed', budget, samples: state.samples.length, bestAccuracy: best.accuracy, predictor: sanitizeMetrics(metrics) });
    return {
      budget,
      decision: state.decision,
      samples: state.samples,
      // Plain JSON: τ is undefined (NaN) when the held-out accuracies all tie; reported as 0, as in the events.
      predictor: sanitizeMetrics(metrics),
      heldOut: state.heldOut.map(({ iteration, metrics }) => ({ iteration, metrics })),
      seedToSeed: state.seedToSeed ?? null,
      acquisition: checkpointToSerialized(predictor.state()),
    };
  } catch (e) {
    if (aborted(e, signal)) return null;
    throw e;
  } finally {
    predictor.dispose();
    if (owned) await queue.close?.();
  }

  /** Retrain the first `noiseCeiling` early-stopping candidates at `budget` with another seed; τ between the two seeds' accuracies. */
  async function noiseCeiling(pts: JointPoint[], budget: number, first: CoarseSample[]): Promise<SeedToSeed | null> {
    const n = Math.min(o.noiseCeiling ?? pts.length, pts.length);
    if (n < 2) return null;
    // Another seed (initialisation, data order, augmentation), the same data split and budget.
    const jobs = pts.slice(0, n).map((p) => space.job(p, { budget, seed: seed + 7919, data: o.data }));
    const res = await evaluate(jobs, 'of the noise-ceiling set');
    if (!res) return null;
    const pairs: [number, number][] = [];
    res.forEach((r, i) => {
      if (r && !r.diverged && !first[i].diverged) pairs.push([first[i].accuracy, accuracyAtBudget(r.curve, budget)]);
    });
    const tau = pairs.length > 1 ? kendallTauB(pairs.map((q) => q[0]), pairs.map((q) => q[1])) : NaN;
    const out: SeedToSeed = { n: pairs.length, budget, kendallTau: Number.isFinite(tau) ? tau : 0, meanAbsDiff: pairs.reduce((a, [x, y]) => a + Math.abs(x - y), 0) / Math.max(pairs.length, 1), pairs };
    io.emit({ type: 'autotrain/noise-ceiling-measured', n: out.n, budget, kendallTau: out.kendallTau, meanAbsDiff: out.meanAbsDiff });
    return out;
  }
}

/**
 * FBNetV3's coarse stage over the joint architecture + recipe space: QMC sampling, candidate
 * training (in process or on Redis/BullMQ workers), the early-stopping rule by rank
 * correlation, predictor-guided iterations. Result: the trained candidates and the fitted
 * predictor (plain JSON). Unsubscribing stops it within one candidate-training step (or
 * predictor epoch); the run's checkpoints resume it to the same result.
 */
export const coarseSearchStage = defineStage<CoarseSearchInput, CoarseStageResult, CoarseEvent>('autotrain', async (input, ctx, io) => {
  const { space: joint, archSpace, recipe, constraints, latencyTable, ...settings } = input;
  if ((joint === undefined) === (archSpace === undefined)) throw new FbnetError('USAGE', 'coarse search: give either a joint space (space) or a layer-wise one (archSpace)');
  if (archSpace !== undefined && recipe === undefined) throw new FbnetError('USAGE', 'coarse search: a layer-wise space (archSpace) needs the recipe its candidates train with');
  if (constraints?.maxLatencyMs !== undefined && !latencyTable) throw new FbnetError('USAGE', 'coarse search: a latency constraint needs a latency table');
  const space = joint !== undefined ? jointCoarseSpace(joint) : archCoarseSpace(archSpace!, recipe!);
  const checker = constraints ? new ConstraintChecker((p: JointPoint) => (joint !== undefined ? jointArch(joint, p) : space.arch(p)), constraints, latencyTable) : undefined;
  const r = await runCoarse(space, { ...settings, ...(checker ? { accept: (p: JointPoint) => checker.ok(p) } : {}) }, ctx, io);
  return r as CoarseStageResult;
});
