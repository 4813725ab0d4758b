import { Subject, tap, type Observable, type Subscription } from 'rxjs';
import { AccuracyPredictor, proxyTargets, type PredictorConfig, type PredictorFitOptions, type PredictorMetrics, type PredictorSample } from '@fbnet/acc-predictor';
import { FbnetError } from '@fbnet/core';
import { kendallTauB } from '@fbnet/core';
import type { RunDir } from '@fbnet/runs';
import type { CandidateEvent, CandidateJob, CandidateResult, DataSpec, EvaluationQueue } from '../candidate/job.ts';
import { candidatesFailedError, FailureLog } from '../candidate/failures.ts';
import { makeCandidateJob } from '../candidate/make-job.ts';
import { accuracyAtBudget, chooseEarlyStopBudget, type EarlyStopDecision } from '../early-stop.ts';
import { FileResultStore, MemoryResultStore, type ResultStore } from '../queue/result-store.ts';
import { Sobol } from '../sobol/sobol.ts';
import { archPart, encodePoint, encodingSizes, jointArch, jointDimensions, pointFromUnit, pointKey, type JointPoint, type JointSpace } from '../space/joint-space.ts';
import type { CoarseEvent, CoarseSample } from './events.ts';

export interface CoarseSearchOptions {
  space: JointSpace;
  /** The candidates' training/validation data. */
  data: DataSpec;
  seed: number;
  queue: EvaluationQueue;
  /** Checkpoints (`coarse-state.json`, `predictor.ckpt`, `candidates.jsonl`); a run resumes where it stopped. */
  run?: RunDir;
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
  /** Candidates must pass this (e.g. resource constraints); QMC points that fail are skipped. */
  accept?: (p: JointPoint) => boolean;
  /**
   * The noise ceiling: retrain this many of the early-stopping set (default all of it; 0 = off)
   * at the chosen budget with another seed. Their seed-to-seed Kendall τ is the best rank
   * correlation any predictor of early-stopped accuracy can reach; the predictor is judged by it.
   */
  noiseCeiling?: number;
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

const STATE = 'coarse-state.json';

/**
 * FBNetV3's coarse stage (JointNAS stage 1): pretrain the predictor's encoder on FLOPs/params,
 * pick the early-stopping budget from n fully trained QMC candidates, then iterate — score a
 * QMC pool with the predictor, train the best (early-stopped) through the evaluation queue,
 * refit the predictor on everything so far. Checkpointed after every phase and iteration;
 * finished candidates are never trained twice (results keyed by job id).
 */
export class CoarseSearch {
  private readonly subject = new Subject<CoarseEvent>();
  readonly events$: Observable<CoarseEvent> = this.subject.asObservable();
  private cancelled = false;
  private active?: Subscription;
  private readonly store: ResultStore;
  private readonly failures = new FailureLog();
  predictor: AccuracyPredictor;

  constructor(private readonly o: CoarseSearchOptions) {
    const sizes = encodingSizes(o.space);
    this.predictor = (o.run && AccuracyPredictor.load(o.run)) || new AccuracyPredictor({ seed: o.seed, ...o.predictor, archDim: sizes.arch, recipeDim: sizes.recipe });
    this.store = o.run ? new FileResultStore(o.run.file('candidates.jsonl')) : new MemoryResultStore();
  }

  cancel(): void {
    this.cancelled = true;
    this.active?.unsubscribe();
  }

  private emit(e: CoarseEvent): void {
    this.subject.next(e);
  }

  async run(): Promise<CoarseResult | null> {
    try {
      const r = await this.loop();
      this.subject.complete();
      return r;
    } catch (e) {
      this.subject.error(e);
      throw e;
    }
  }

  private save(s: CoarseState): void {
    if (!this.o.run) return;
    this.predictor.save(this.o.run);
    this.o.run.writeJson(STATE, s);
    this.emit({ type: 'autotrain/checkpoint-saved', phase: s.phase, iteration: s.iteration });
  }

  private sample(p: JointPoint, budget: number, r: CandidateResult, iteration: number, predicted?: number): CoarseSample {
    return { id: r.id, point: p, accuracy: accuracyAtBudget(r.curve, budget), curve: r.curve, iteration, ...(predicted !== undefined ? { predicted } : {}), diverged: r.diverged, seconds: r.seconds, worker: r.worker };
  }

  private toPredictor(s: CoarseSample): PredictorSample {
    const e = encodePoint(this.o.space, s.point);
    return { arch: e.arch, recipe: e.recipe, accuracy: s.accuracy };
  }

  /** Train jobs through the queue (skipping those already in the store); results in job order. */
  private async evaluate(jobs: CandidateJob[], context: string): Promise<(CandidateResult | null)[]> {
    const todo = jobs.filter((j) => !this.store.get(j.id));
    if (todo.length) {
      let done = jobs.length - todo.length;
      const t0 = Date.now();
      const stream = this.o.queue.submit(todo).pipe(
        tap((e: CandidateEvent) => {
          this.emit(e);
          this.failures.record(e);
          if (e.type === 'queue/job-completed') {
            this.store.put(e.result);
            done++;
            const rate = (done - (jobs.length - todo.length)) / Math.max((Date.now() - t0) / 1000, 1e-3);
            this.emit({ type: 'stage/progress', stage: 'autotrain', phase: 'training candidates', done, total: jobs.length, etaSec: (jobs.length - done) / Math.max(rate, 1e-9) });
          }
        }),
      );
      await new Promise<void>((resolve, reject) => {
        this.active = stream.subscribe({ complete: resolve, error: reject });
        if (this.cancelled) resolve();
        this.active.add(() => resolve());
      });
    }
    if (this.cancelled) return jobs.map(() => null);
    const res = jobs.map((j) => this.store.get(j.id) ?? null);
    // Every candidate of a batch failed: that is the run's error (bad data, broken backend), not a thin batch.
    if (jobs.length && res.every((r) => !r)) throw candidatesFailedError(this.failures.of(jobs.map((j) => j.id)), jobs.length, context);
    return res;
  }

  private async loop(): Promise<CoarseResult | null> {
    const o = this.o;
    const dims = jointDimensions(o.space);
    const accept = o.accept ?? (() => true);
    const saved = o.run?.readJson<CoarseState>(STATE);
    const state: CoarseState = saved ?? { version: 1, phase: 'proxy', iteration: 0, sobolIndex: 1, budget: null, decision: null, samples: [], heldOut: [] };
    this.emit({ type: 'autotrain/started', space: o.space.name, dimensions: dims.length, iterations: o.iterations, perIteration: o.perIteration, resumedAt: saved ? `${saved.phase}@${saved.iteration}` : null });
    // Index 0 of a digitally shifted Sobol sequence is just the shift; start at 1 like SciPy's users do.
    const sobol = new Sobol(dims.length, { shiftSeed: o.seed, index: state.sobolIndex });
    const nextPoints = (n: number, exclude: Set<string>): JointPoint[] => {
      const out: JointPoint[] = [];
      for (let guard = 0; out.length < n && guard < n * 200; guard++) {
        const p = pointFromUnit(o.space, sobol.next());
        const k = pointKey(p);
        if (exclude.has(k) || !accept(p)) continue;
        exclude.add(k);
        out.push(p);
      }
      state.sobolIndex = sobol.index;
      return out;
    };
    const seen = new Set(state.samples.map((s) => pointKey(s.point)));
    const job = (p: JointPoint, budget?: number) => makeCandidateJob(o.space, p, { budget, seed: o.seed, data: o.data });

    // 1. Proxy pretraining of the encoder (FLOPs/params from shape propagation; no training runs).
    if (state.phase === 'proxy') {
      const n = o.proxy?.samples ?? 2000;
      const epochs = o.proxy?.epochs ?? 60;
      const qmc = new Sobol(dims.length, { shiftSeed: o.seed + 1, index: 1 });
      const archs: number[][] = [];
      const targets: number[][] = [];
      const seenArch = new Set<string>();
      for (let i = 0; i < n * 3 && archs.length < n; i++) {
        const p = pointFromUnit(o.space, qmc.next());
        const k = pointKey(archPart(o.space, p));
        if (seenArch.has(k)) continue;
        seenArch.add(k);
        archs.push(encodePoint(o.space, p).arch);
        targets.push(proxyTargets(jointArch(o.space, p)));
      }
      const r = await this.predictor.pretrainProxy(archs, targets, { epochs });
      this.emit({ type: 'predictor/proxy-pretrained', samples: archs.length, epochs, loss: r.loss, kendallTau: r.kendallTau });
      state.phase = 'early-stop';
      this.save(state);
    }
    if (this.cancelled) return null;

    // 2. Early-stopping rule: n candidates trained on their full schedules; pick the short budget.
    if (state.phase === 'early-stop') {
      const pts = nextPoints(o.earlyStop.candidates, seen);
      const full = o.earlyStop.budget === undefined;
      const jobs = pts.map((p) => job(p, full ? undefined : o.earlyStop.budget));
      const res = await this.evaluate(jobs, 'of the early-stopping set');
      if (this.cancelled) return null;
      const failed = this.failures.of(jobs.filter((_, i) => !res[i]).map((j) => j.id));
      if (failed.length) throw candidatesFailedError(failed, jobs.length, 'of the early-stopping set');
      let budget = o.earlyStop.budget ?? 1;
      if (full) {
        const ok = res.filter((r): r is CandidateResult => !!r && !r.diverged);
        const diverged = res.length - ok.length;
        if (ok.length < 3 && diverged) {
          throw new FbnetError('NUMERIC', `early-stopping rule needs at least 3 fully trained candidates, got ${ok.length}: ${diverged} of ${res.length} diverged (non-finite training loss)`);
        }
        const decision = chooseEarlyStopBudget(ok.map((r) => r.curve), { threshold: o.earlyStop.threshold, minBudget: o.earlyStop.minBudget, maxBudget: o.earlyStop.maxBudget });
        this.emit({ type: 'autotrain/early-stop-chosen', ...decision, candidates: ok.length });
        state.decision = decision;
        budget = decision.budget;
      }
      state.budget = budget;
      res.forEach((r, i) => {
        if (!r) throw new FbnetError('USAGE', `early-stopping candidate ${pts[i] && job(pts[i]).id} failed to train`);
        const s = this.sample(pts[i], budget, r, 0);
        state.samples.push(s);
        this.emit({ type: 'autotrain/candidate-evaluated', ...s });
      });
      state.seedToSeed = full ? await this.noiseCeiling(pts, budget, state.samples.slice(-pts.length)) : null;
      if (this.cancelled) return null;
      const fit = await this.predictor.fit(state.samples.map((s) => this.toPredictor(s)), o.fit);
      this.emit({ type: 'predictor/fitted', iteration: 0, samples: state.samples.length, trainRmse: fit.trainRmse });
      state.phase = 'iterations';
      this.save(state);
    }
    const budget = state.budget!;

    // 3. Coarse iterations: QMC pool → predicted scores → train the best → refit.
    while (state.phase === 'iterations' && state.iteration < o.iterations) {
      if (this.cancelled) return null;
      const it = state.iteration + 1;
      const pool = nextPoints(o.poolSize ?? 20 * o.perIteration, new Set(seen));
      const enc = pool.map((p) => encodePoint(o.space, p));
      const pred = this.predictor.predict(enc.map((e) => e.arch), enc.map((e) => e.recipe));
      const nExplore = Math.round(o.perIteration * (o.exploreFraction ?? 0.25));
      const order = pred.map((_, i) => i).sort((a, b) => pred[b] - pred[a] || a - b);
      const picked = order.slice(0, o.perIteration - nExplore);
      const rest = pool.map((_, i) => i).filter((i) => !picked.includes(i));
      picked.push(...rest.slice(0, nExplore));
      const pts = picked.map((i) => pool[i]);
      for (const p of pts) seen.add(pointKey(p));
      const res = await this.evaluate(pts.map((p) => job(p, budget)), `of coarse iteration ${it}`);
      if (this.cancelled) return null;
      const fresh: CoarseSample[] = [];
      res.forEach((r, k) => {
        if (!r) return;
        const s = this.sample(pts[k], budget, r, it, pred[picked[k]]);
        fresh.push(s);
        state.samples.push(s);
        this.emit({ type: 'autotrain/candidate-evaluated', ...s });
      });
      const heldOut = sanitize(this.predictor.evaluate(fresh.map((s) => this.toPredictor(s))));
      state.heldOut.push({ iteration: it, metrics: heldOut, pairs: fresh.map((s) => [s.predicted!, s.accuracy]) });
      const fit = await this.predictor.fit(state.samples.map((s) => this.toPredictor(s)), o.fit);
      this.emit({ type: 'predictor/fitted', iteration: it, samples: state.samples.length, trainRmse: fit.trainRmse, heldOut });
      const best = state.samples.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
      this.emit({ type: 'autotrain/iteration-ended', iteration: it, trained: fresh.length, bestAccuracy: best.accuracy, bestId: best.id });
      state.iteration = it;
      this.save(state);
    }
    state.phase = 'done';
    this.save(state);
    const pairs = state.heldOut.flatMap((h) => h.pairs);
    const metrics: PredictorMetrics = pairs.length
      ? { n: pairs.length, kendallTau: pairs.length > 1 ? kendallTauB(pairs.map((p) => p[0]), pairs.map((p) => p[1])) : NaN, rmse: Math.sqrt(pairs.reduce((s, [p, a]) => s + (p - a) ** 2, 0) / pairs.length) }
      : { n: 0, kendallTau: NaN, rmse: NaN };
    const best = state.samples.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
    this.emit({ type: 'autotrain/completed', budget, samples: state.samples.length, bestAccuracy: best.accuracy, predictor: sanitize(metrics) });
    return { budget, decision: state.decision, samples: state.samples, predictor: metrics, heldOut: state.heldOut.map(({ iteration, metrics }) => ({ iteration, metrics })), seedToSeed: state.seedToSeed ?? null };
  }

  /** Retrain the first `noiseCeiling` early-stopping candidates at `budget` with another seed; τ between the two seeds' accuracies. */
  private async noiseCeiling(pts: JointPoint[], budget: number, first: CoarseSample[]): Promise<SeedToSeed | null> {
    const n = Math.min(this.o.noiseCeiling ?? pts.length, pts.length);
    if (n < 2) return null;
    // Another seed (initialisation, data order, augmentation), the same data split and budget.
    const jobs = pts.slice(0, n).map((p) => makeCandidateJob(this.o.space, p, { budget, seed: this.o.seed + 7919, data: this.o.data }));
    const res = await this.evaluate(jobs, 'of the noise-ceiling set');
    if (this.cancelled) return null;
    const pairs: [number, number][] = [];
    res.forEach((r, i) => {
      if (r && !r.diverged && !first[i].diverged) pairs.push([first[i].accuracy, accuracyAtBudget(r.curve, budget)]);
    });
    const tau = pairs.length > 1 ? kendallTauB(pairs.map((q) => q[0]), pairs.map((q) => q[1])) : NaN;
    const out: SeedToSeed = { n: pairs.length, budget, kendallTau: Number.isFinite(tau) ? tau : 0, meanAbsDiff: pairs.reduce((a, [x, y]) => a + Math.abs(x - y), 0) / Math.max(pairs.length, 1), pairs };
    this.emit({ type: 'autotrain/noise-ceiling-measured', n: out.n, budget, kendallTau: out.kendallTau, meanAbsDiff: out.meanAbsDiff });
    return out;
  }

  dispose(): void {
    this.predictor.dispose();
  }
}

/** Events and run files carry JSON-safe numbers: an undefined τ (fewer than 2 samples, or all tied) is reported as 0; `n` tells why. */
function sanitize(m: PredictorMetrics): PredictorMetrics {
  return { n: m.n, kendallTau: Number.isFinite(m.kendallTau) ? m.kendallTau : 0, rmse: Number.isFinite(m.rmse) ? m.rmse : 0 };
}
