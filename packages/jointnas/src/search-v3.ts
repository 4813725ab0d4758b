import { isAbsolute, relative, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { Subscription } from 'rxjs';
import { AccuracyPredictor, asAccuracy, serializePredictor, type SerializedPredictor } from '@fbnet/acc-predictor';
import {
  archPart,
  candidatesFailedError,
  coarseSearchStage,
  FailureLog,
  encodingSizes,
  FileResultStore,
  getJointSpacePreset,
  jointArch,
  jointRecipe,
  jobFor,
  loadUserData,
  makeCandidateJob,
  pointKey,
  queueFrom,
  resizeDataset,
  withDefaultRecipe,
  type CandidateEvent,
  type CandidateJob,
  type CoarseEvent as CoarseEventOf,
  type CandidateResult,
  type CoarseResult,
  type DataSpec,
  type EvaluationQueue,
  type JointPoint,
  type QueueSpec,
} from '@fbnet/autotrain';
import { FbnetError, parseArchDef, runStage, type BackendPlugin, type KernelPlan, type EventBase, type StageContext, type StageRun } from '@fbnet/core';
import { classCounts, FASHION_MNIST_MEAN, FASHION_MNIST_STD, loadFashionMnist, numClasses, selectClassBalanced, splitTrainVal, takeSamples, type DataFormat, type ImageDataset } from '@fbnet/data';
import { ConstraintChecker, evolutionStage, type Constraints, type EvolutionResult } from '@fbnet/evolutionary-search';
import { archLatency, loadLut, measureNet, nodeFingerprint, resolveTiming, type LatencyTable } from '@fbnet/latency-lut';
import { archCost } from '@fbnet/shape-propagation';
import { exportModel, Trainer, type TrainRecipe } from '@fbnet/train';
import { adaptJointSpaceToData, scaleConstraintsToSpace } from './data-space.ts';
import { exportResizingModel } from './export-resized.ts';
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
  /**
   * Where candidates train (default: in process): a queue object (shared by the coarse stage and the
   * verification; not closed here), or a spec (`{ kind: 'processes', workers }`, `{ kind: 'redis', … }`)
   * each of them creates its queue from with autotrain's `queueFrom` (processes: on this `backend` and
   * `plan` unless the spec names a backend) and closes when done.
   */
  queue?: QueueSpec | EvaluationQueue;
  /** Aborting it cancels the running stage (within one step); the run directory keeps everything done so far. */
  signal?: AbortSignal;
}

export interface SearchV3Options {
  preset: SearchV3Preset;
  presetName: string;
  /** Directory of the full Fashion-MNIST files (default: the bundled subset). Not with `data`. */
  dataDir?: string;
  /**
   * The user's data set (`--data`: image folder, IDX, CIFAR-10 binary; docs/data.md) instead of
   * Fashion-MNIST: the joint space is carried over to it (`adaptJointSpaceToData`), candidates load
   * it from this spec (workers too: `path` must name it on their machines), and the final training,
   * the export and the test accuracy use its splits. `size` resizes every image to size×size.
   */
  data?: SearchV3Data;
  /** A latency table (path or object) for latency constraints and predictions. */
  lut?: string | LatencyTable;
  forceLut?: boolean;
  /** Overrides the preset's constraints. */
  constraints?: Constraints;
  /** The search seed (default: the run's `config.seed`). */
  seed?: number;
  /** Prefix of every file and checkpoint name in the run (several searches in one run). */
  prefix?: string;
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
  /** The searched joint space (a preset, or a preset carried over to the user's data). */
  space: string;
  /** The data the search ran on: `fashion-mnist`, or the path of the user's data set. */
  dataSource: string;
  /** The exported model's input side (the data's image size; larger than the arch's `input_size` when it resizes inside). */
  modelInputSize: number;
  /**
   * The predictor on held-out candidates, and the noise ceiling it is judged against: the Kendall τ
   * of the early-stopping set's accuracies under two training seeds (null when not measured).
   */
  predictor: { kendallTau: number; rmse: number; n: number; seedToSeedTau: number | null; seedToSeedN: number };
  recipe: TrainRecipe;
  point: JointPoint;
  /** The predictor's score of the chosen candidate (early-stopped validation accuracy). */
  predictedAccuracy: number;
  /** Its measured early-stopped validation accuracy (with confirmation: the mean of its two scores). */
  searchAccuracy: number;
  /** Whether it is a verified fine-stage proposal or a coarse candidate. */
  chosenFrom: 'coarse' | 'verified';
  /** Fine stage: verified proposals that measured at least the coarse best (`fine.json`'s `predictorKept`). */
  predictorKept?: { proposals: number; kept: number };
  /**
   * Confirmation (preset `confirm`): how many of the best candidates were trained again, and the
   * rank by single score of the one chosen by its mean (1: the single best stood).
   */
  confirmed?: { candidates: number; pickRank: number };
  /**
   * The horizon step (preset `horizon`): contenders trained for the final training's `epochs` on the
   * candidates' data, the chosen one's accuracy there and its rank by early-stopped score (1: the
   * confirmation's pick stood), and the default recipe's accuracy on the chosen arch. `recipeFrom`:
   * whether the trained recipe is the searched one or the space's default.
   */
  horizon?: { contenders: number; epochs: number; accuracy: number; pickRank: number; defaultAccuracy?: number; recipeFrom: 'search' | 'default' };
  earlyStopBudget: number;
  candidatesTrained: number;
  constraints: Constraints;
  /** Per phase and in all, summed over every process that worked on the run (resumes included; `seconds.json` in the run). */
  seconds: { coarse: number; fine: number; train: number; total: number };
}

/** The user's data set of a V3 search. */
export interface SearchV3Data {
  path: string;
  format?: DataFormat;
  size?: number;
}

/** Seed offset of confirmation retrainings (candidates train with the run's seed, the noise ceiling with +7919). */
const CONFIRM_SEED_OFFSET = 104_729;

/** The horizon step's contenders (`horizon.json`): trained for the final training's epochs on the candidates' data. */
interface HorizonFile {
  /** Epochs each contender trained (the final training's). */
  epochs: number;
  /** Best confirmed candidates first, then the chosen arch with the space's default recipe. `earlyStop`: their search score; `accuracy`: at the horizon (absent if the training failed). */
  contenders: { point: JointPoint; source: 'coarse' | 'verified' | 'default'; earlyStop?: number; accuracy?: number; id: string }[];
  /** Index of the contender trained further (the best `accuracy`). */
  pick: number;
}

interface FineFile {
  best: EvolutionResult<JointPoint>['best'];
  /** The predictor's top proposals, trained like coarse candidates (same budget). */
  verified: { point: JointPoint; predicted: number; accuracy: number; id: string }[];
  /**
   * With the preset's `confirm`: the best measured candidates (coarse and verified, best first),
   * trained again with another seed; `mean` of the two scores (the first alone if the retraining failed).
   */
  confirmed?: { point: JointPoint; source: 'coarse' | 'verified'; predicted?: number; first: number; again?: number; mean: number }[];
  /**
   * The candidate trained further: the best mean among `confirmed`, or (without confirmation) the best
   * measured among coarse samples and verified proposals. `accuracy` is the score it was chosen by.
   */
  chosen: { point: JointPoint; accuracy: number; predicted?: number; source: 'coarse' | 'verified' };
  /**
   * How the predictor's proposals fared against the coarse stage's measured best: `kept` of
   * `proposals` verified proposals measured at least as well (the predictor's choice kept).
   */
  predictorKept?: { proposals: number; kept: number; bestCoarse: number };
  top: EvolutionResult<JointPoint>['population'];
  generations: number;
  evaluated: number;
  constraints: Constraints;
}

/** At most `n` images, class-balanced and seeded; uneven user data: no class gives more than the smallest has (as the pipeline's data limits). */
function limit(ds: ImageDataset, n: number | undefined, seed: number): ImageDataset {
  if (n === undefined || n >= ds.count) return ds;
  const k = numClasses(ds);
  const counts = classCounts(ds.labels, k);
  if (counts.some((c) => c === 0)) return ds;
  return takeSamples(ds, selectClassBalanced(ds.labels, k, Math.min(Math.min(...counts), Math.floor(n / k)), seed));
}

/**
 * FBNetV3 JointNAS end to end in a run directory: coarse stage (proxy-pretrained predictor,
 * early-stopping rule, predictor-guided QMC candidates trained through the evaluation queue)
 * → fine stage (constrained adaptive genetic search on the predictor) → final training of the
 * found architecture with the found recipe → TF.js export → measured latency. Each phase is
 * skipped when its output exists and resumes from its checkpoints otherwise.
 */
export async function searchV3(run: StageRun & { config?: { seed: number } }, ctx: SearchV3Context, o: SearchV3Options): Promise<SearchV3Result> {
  const clock = new PhaseClock(run, `${o.prefix ?? ''}seconds.json`);
  try {
    return await searchV3Phases(run, ctx, o, clock);
  } finally {
    clock.stop();
  }
}

type Phase = 'coarse' | 'fine' | 'train' | 'other';

/**
 * Seconds per phase, summed over every process that worked on the run and saved in the run at
 * each phase change and on exit (interrupted too): a resumed run's result counts all of them.
 */
class PhaseClock {
  private readonly acc: Partial<Record<Phase, number>>;
  private current?: { phase: Phase; since: number };
  constructor(
    private readonly run: StageRun,
    private readonly file: string,
  ) {
    this.acc = run.readJson<Partial<Record<Phase, number>>>(file) ?? {};
    this.start('other');
  }
  start(phase: Phase): void {
    this.stop();
    this.current = { phase, since: Date.now() };
  }
  stop(): void {
    if (!this.current) return;
    const { phase, since } = this.current;
    this.acc[phase] = (this.acc[phase] ?? 0) + (Date.now() - since) / 1000;
    this.current = undefined;
    this.run.writeJson(this.file, this.acc);
  }
  seconds(phase: Phase): number {
    return (this.acc[phase] ?? 0) + (this.current?.phase === phase ? (Date.now() - this.current.since) / 1000 : 0);
  }
}

async function searchV3Phases(run: StageRun & { config?: { seed: number } }, ctx: SearchV3Context, o: SearchV3Options, clock: PhaseClock): Promise<SearchV3Result> {
  const p = o.preset;
  const seed = o.seed ?? run.config?.seed;
  if (seed === undefined) throw new FbnetError('USAGE', 'search v3: no seed (options.seed or the run config)');
  if (o.data && o.dataDir) throw new FbnetError('USAGE', 'search v3: data and dataDir both name the data; give one (dataDir is for Fashion-MNIST files)');
  // The user's data as the final training splits it; candidates cut their images from its training split.
  const user = o.data
    ? loadUserData({ path: isAbsolute(o.data.path) ? o.data.path : resolve(o.data.path), format: o.data.format ?? 'auto', size: o.data.size, valFraction: p.final.valFraction, seed })
    : undefined;
  const presetSpace = getJointSpacePreset(p.space);
  const space = user ? adaptJointSpaceToData(presetSpace, user) : presetSpace;
  const candidateData: DataSpec = user
    ? { source: 'path', path: user.path, format: user.format, ...(o.data!.size ? { size: o.data!.size } : {}), valFraction: p.final.valFraction, ...p.candidateData, seed }
    : { source: 'fashion-mnist', ...(o.dataDir ? { dataDir: o.dataDir } : {}), ...p.candidateData, seed };
  // The preset's budgets are sized for its own space; on the user's data they scale with what its archs cost there.
  const constraints = o.constraints ?? (user ? scaleConstraintsToSpace(p.constraints, presetSpace, space) : p.constraints);
  if (user) ctx.info(`data ${user.path}: ${user.format}, ${user.classNames.length} classes, ${user.height}x${user.width}x${user.channels}; space ${space.name}; constraints ${JSON.stringify(constraints)}`);
  if (tf.getBackend() !== ctx.backend.tfBackend) await ctx.backend.init();
  const aborted = () => ctx.signal?.aborted === true;
  const interrupted = (phase: string) => new FbnetError('CHECKPOINT', `search v3 interrupted during ${phase}; resume the run at ${run.path}`);
  const pre = o.prefix ?? '';
  const stageCtx: StageContext = { seed, backend: { id: ctx.backend.id, plugin: ctx.backend, plan: ctx.plan }, run, ...(pre ? { prefix: pre } : {}) };
  /** Run one stage to its result: its events into the run log (the result itself goes into a run file), cancelled by the signal. */
  const stage = async <R>(events$: Parameters<typeof runStage<R, EventBase>>[0], phase: string, onEvent: (e: EventBase) => void = () => undefined): Promise<R> => {
    try {
      return await runStage<R, EventBase>(events$, {
        signal: ctx.signal,
        onEvent: (e) => {
          if (e.type === 'stage/result') return;
          ctx.log(e);
          onEvent(e);
        },
      });
    } catch (e) {
      if (aborted()) throw interrupted(phase);
      throw e;
    }
  };

  let lut: LatencyTable | undefined;
  if (o.lut) {
    lut = typeof o.lut === 'string' ? loadLut(o.lut, { device: nodeFingerprint(ctx.backend, ctx.plan), force: o.forceLut }) : o.lut;
    if (!run.readJson(`${pre}lut.json`)) run.writeJson(`${pre}lut.json`, lut);
  }
  if (constraints.maxLatencyMs !== undefined && !lut) throw new FbnetError('USAGE', 'a latency constraint needs a latency table (lut)');
  const checker = new ConstraintChecker((x: JointPoint) => jointArch(space, x), constraints, lut);

  // 1. Coarse stage.
  clock.start('coarse');
  let coarse = run.readJson<CoarseResult>(`${pre}coarse.json`);
  let acquisition: SerializedPredictor | undefined;
  if (!coarse) {
    ctx.info(`coarse stage: ${space.name}, early-stopping rule on ${p.earlyStop.candidates} candidates, ${p.iterations} iterations × ${p.perIteration} candidates (${ctx.queue?.kind ?? 'in-process'} queue)`);
    const r = await stage<CoarseResult & { acquisition: SerializedPredictor }>(
      coarseSearchStage(
        {
          space,
          data: candidateData,
          queue: ctx.queue ?? { kind: 'in-process' },
          proxy: p.proxy,
          fit: p.fit,
          earlyStop: p.earlyStop,
          iterations: p.iterations,
          perIteration: p.perIteration,
          poolSize: p.poolSize,
          exploreFraction: p.exploreFraction,
          constraints,
          ...(lut ? { latencyTable: lut } : {}),
        },
        stageCtx,
      ),
      'the coarse stage',
      (e) => {
        const c = e as CoarseEventOf;
        if (c.type === 'predictor/proxy-pretrained') ctx.info(`proxy head pretrained on ${c.samples} archs: Kendall τ(FLOPs) ${c.kendallTau.toFixed(3)}`);
        if (c.type === 'predictor/rebuilt') ctx.info(`predictor rebuilt: ${c.reason}; pretrained again and refitted on ${c.samples} stored candidates`);
        if (c.type === 'autotrain/early-stop-chosen') ctx.info(`early stopping: budget ${c.budget} epochs (τ ${c.taus.map((t) => t.tau.toFixed(2)).join(' → ')}${c.reached ? '' : `, threshold ${c.threshold} not reached`})`);
        if (c.type === 'autotrain/candidate-evaluated') ctx.info(`candidate ${c.id}: ${(c.accuracy * 100).toFixed(2)}%${c.predicted !== undefined ? ` (predicted ${(asAccuracy(c.predicted) * 100).toFixed(2)}%)` : ''} in ${c.seconds.toFixed(1)} s on ${c.worker}`);
        if (c.type === 'predictor/fitted' && c.heldOut) ctx.info(`predictor refit on ${c.samples} samples; on this iteration's candidates before training: τ ${c.heldOut.kendallTau.toFixed(3)}, RMSE ${(c.heldOut.rmse * 100).toFixed(2)} pts`);
      },
    );
    const { acquisition: _a, ...result } = r;
    coarse = result;
    acquisition = r.acquisition;
    run.writeJson(`${pre}coarse.json`, coarse);
  }

  const store = new FileResultStore(run.file(`${pre}candidates.jsonl`));
  /** Trains the jobs not in the store yet (stored as they finish: an interrupted run resumes); some may fail, not all. */
  const trainJobs = async (jobs: CandidateJob[], what: string, message: string, phase = 'the fine stage') => {
    const todo = jobs.filter((j) => !store.get(j.id));
    if (!todo.length) return;
    ctx.info(message);
    const failures = new FailureLog();
    // The context's queue, or one from its spec (closed below): processes train on this backend and plan.
    const { queue, owned } = queueFrom(ctx.queue, { id: ctx.backend.id, plan: ctx.plan });
    try {
      await new Promise<void>((resolve, reject) => {
        // The queue may emit (and the caller abort) synchronously inside subscribe(): listen first.
        let sub: Subscription | undefined;
        const stop = () => {
          sub?.unsubscribe();
          resolve();
        };
        ctx.signal?.addEventListener('abort', stop, { once: true });
        const done = () => ctx.signal?.removeEventListener('abort', stop);
        sub = queue.submit(todo).subscribe({
          next: (e: CandidateEvent) => {
            ctx.log(e);
            failures.record(e);
            if (e.type === 'queue/job-completed' && !aborted()) store.put(e.result);
          },
          error: (e) => (done(), reject(e)),
          complete: () => (done(), resolve()),
        });
        if (aborted()) sub.unsubscribe();
      });
    } finally {
      if (owned) await queue.close?.();
    }
    if (aborted()) throw interrupted(phase);
    // Some may fail (the best coarse candidate still stands); all of them failing is the run's error.
    const failed = failures.of(todo.map((j) => j.id));
    if (!aborted() && failed.length === todo.length) throw candidatesFailedError(failed, todo.length, what);
  };
  // 2. Fine stage: the predictor from the coarse stage scores an adaptive genetic search.
  clock.start('fine');
  let fine = run.readJson<FineFile>(`${pre}fine.json`);
  if (!fine) {
    if (!acquisition) {
      const loaded = AccuracyPredictor.load(run, `${pre}predictor`);
      if (!loaded) throw new FbnetError('CHECKPOINT', `${run.path} has coarse results but no predictor checkpoint`);
      const mismatch = loaded.inputMismatch(encodingSizes(space));
      if (mismatch) {
        loaded.dispose();
        throw new FbnetError('CHECKPOINT', `${run.path}: the coarse stage's predictor: ${mismatch}; remove ${pre}coarse.json from the run and resume: the coarse stage rebuilds the predictor from its stored candidates (none is trained again)`);
      }
      acquisition = serializePredictor(loaded);
      loaded.dispose();
    }
    {
      const initial = [...coarse.samples].sort((a, b) => b.accuracy - a.accuracy).map((s) => s.point);
      ctx.info(`fine stage: genetic search from the ${Math.min(initial.length, p.evolution.populationSize)} best candidates under ${JSON.stringify(constraints)}`);
      const r = await stage<EvolutionResult<JointPoint>>(
        evolutionStage({ space: { kind: 'joint', space }, fitness: { kind: 'predictor', predictor: acquisition, risk: p.risk ?? 0 }, constraints, ...(lut ? { latencyTable: lut } : {}), initial, options: p.evolution }, stageCtx),
        'the fine stage',
        (e) => {
          if (e.type === 'evolution/generation') {
            const g = e as EventBase & { generation: number; improved: boolean; bestScore: number; mutationRate: number };
            if (g.improved || g.generation % 5 === 0) ctx.info(`generation ${g.generation}: best predicted ${(asAccuracy(g.bestScore) * 100).toFixed(2)}%, mutation rate ${g.mutationRate.toFixed(3)}`);
          }
        },
      );
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
      const jobs = proposals.map((c) => makeCandidateJob(space, c.point, { budget: coarse!.budget, seed, data: candidateData }));
      await trainJobs(jobs, 'verifying proposals', `verifying the ${jobs.length} best proposals (${coarse.budget} epochs each)`);
      const verified = jobs.flatMap((j, i) => {
        const res: CandidateResult | undefined = store.get(j.id);
        return res ? [{ point: proposals[i].point, predicted: proposals[i].score, accuracy: res.accuracy, id: j.id }] : [];
      });
      for (const v of verified) ctx.info(`proposal ${v.id}: measured ${(v.accuracy * 100).toFixed(2)}% (predicted ${(asAccuracy(v.predicted) * 100).toFixed(2)}%)`);
      const bestCoarse = coarse.samples.filter((x) => checker.ok(x.point)).reduce<typeof coarse.samples[number] | undefined>((a, b) => (!a || b.accuracy > a.accuracy ? b : a), undefined);
      const bestVerified = verified.reduce<(typeof verified)[number] | undefined>((a, b) => (!a || b.accuracy > a.accuracy ? b : a), undefined);
      // Confirmation (SMAC's intensification): one early-stopped score is noisy (its seed-to-seed spread
      // is the noise ceiling's), so the best single score is partly the luckiest. The `confirm` best
      // measured candidates are trained again with another seed; the pick is the best mean of two.
      const measured: { point: JointPoint; accuracy: number; predicted?: number; source: 'coarse' | 'verified' }[] = [
        ...coarse.samples.filter((x) => checker.ok(x.point)).map((x) => ({ point: x.point, accuracy: x.accuracy, source: 'coarse' as const })),
        ...verified.filter((v) => checker.ok(v.point)).map((v) => ({ point: v.point, accuracy: v.accuracy, predicted: v.predicted, source: 'verified' as const })),
      ].sort((a, b) => b.accuracy - a.accuracy);
      // No point is in both lists: proposals already exclude every coarse point (`known`).
      const top = measured.slice(0, p.confirm ?? 0);
      let confirmed: FineFile['confirmed'];
      if (top.length > 1) {
        const again = top.map((c) => makeCandidateJob(space, c.point, { budget: coarse!.budget, seed: seed + CONFIRM_SEED_OFFSET, data: candidateData }));
        await trainJobs(again, 'confirming the best candidates', `confirming the ${top.length} best candidates with another seed (${coarse.budget} epochs each)`);
        confirmed = top.map((c, i) => {
          const second = store.get(again[i].id)?.accuracy;
          return { point: c.point, source: c.source, ...(c.predicted !== undefined ? { predicted: c.predicted } : {}), first: c.accuracy, ...(second !== undefined ? { again: second } : {}), mean: second !== undefined ? (c.accuracy + second) / 2 : c.accuracy };
        });
        ctx.info(`confirmed: ${confirmed.map((c) => `${(c.first * 100).toFixed(1)}${c.again !== undefined ? `/${(c.again * 100).toFixed(1)}` : ''}% (${c.source})`).join(', ')}`);
      }
      const pickConfirmed = confirmed?.reduce((a, b) => (b.mean > a.mean ? b : a));
      const chosen: FineFile['chosen'] = pickConfirmed
        ? { point: pickConfirmed.point, accuracy: pickConfirmed.mean, ...(pickConfirmed.predicted !== undefined ? { predicted: pickConfirmed.predicted } : {}), source: pickConfirmed.source }
        : bestVerified && (!bestCoarse || bestVerified.accuracy >= bestCoarse.accuracy)
          ? { point: bestVerified.point, accuracy: bestVerified.accuracy, predicted: bestVerified.predicted, source: 'verified' }
          : bestCoarse
            ? { point: bestCoarse.point, accuracy: bestCoarse.accuracy, source: 'coarse' }
            : { point: r.best.point, accuracy: NaN, predicted: r.best.score, source: 'verified' };
      const predictorKept = { proposals: verified.length, kept: verified.filter((v) => !bestCoarse || v.accuracy >= bestCoarse.accuracy).length, bestCoarse: bestCoarse?.accuracy ?? NaN };
      ctx.info(`fine stage: ${predictorKept.kept} of ${predictorKept.proposals} verified proposals measured at least the coarse best (${(predictorKept.bestCoarse * 100).toFixed(2)}%); chosen from ${chosen.source}`);
      fine = { best: r.best, verified, ...(confirmed ? { confirmed } : {}), chosen, predictorKept, top: r.population.slice(0, 5), generations: r.generations, evaluated: r.evaluated, constraints };
      run.writeJson(`${pre}fine.json`, fine);
    }
  }
  if (aborted()) throw interrupted('the fine stage');
  /** The final training's recipe for a point: the space's schedule × `final.epochsScale`, the final EMA decay. */
  const finalRecipe = (x: JointPoint): TrainRecipe => {
    const r = jointRecipe(space, x);
    return { ...r, epochs: Math.max(1, Math.round(r.epochs * p.final.epochsScale)), ...(r.ema && p.final.emaDecay !== undefined ? { ema: p.final.emaDecay } : {}) };
  };

  // 2b. Horizon (preset `horizon`): the best confirmed candidates, and the chosen arch with the space's
  // default recipe, trained for the final training's number of epochs on the candidates' data. The
  // candidates' scores come from a few epochs; a recipe that wins there (a low lr, an adaptive
  // optimizer) can lose over 7x as many, so the pick is made at the horizon the model will train for.
  let horizon = run.readJson<HorizonFile>(`${pre}horizon.json`);
  if (!horizon && p.horizon && p.horizon.candidates > 0) {
    const ranked = fine.confirmed ? [...fine.confirmed].sort((a, b) => b.mean - a.mean).map((c) => ({ point: c.point, source: c.source, earlyStop: c.mean })) : [{ point: fine.chosen.point, source: fine.chosen.source, earlyStop: fine.chosen.accuracy }];
    const contenders: HorizonFile['contenders'] = [];
    const jobs: CandidateJob[] = [];
    const add = (c: { point: JointPoint; source: HorizonFile['contenders'][number]['source']; earlyStop?: number }) => {
      const recipe = finalRecipe(c.point);
      const job = jobFor(space.name, `${pointKey(c.point)}|horizon|e${recipe.epochs}|ema${recipe.ema}`, jointArch(space, c.point), recipe, { seed, data: candidateData });
      // The same point twice (the default recipe may be a searched candidate's) is one contender.
      if (jobs.some((j) => j.id === job.id)) return;
      contenders.push({ ...c, id: job.id });
      jobs.push(job);
    };
    for (const c of ranked.slice(0, p.horizon.candidates)) add(c);
    const byDefault = p.horizon.defaultRecipe === false ? undefined : withDefaultRecipe(space, fine.chosen.point);
    if (byDefault) add({ point: byDefault, source: 'default' });
    const epochs = finalRecipe(fine.chosen.point).epochs;
    await trainJobs(jobs, 'the horizon step', `horizon: ${contenders.length} contenders (${contenders.map((c) => c.source).join(', ')}) trained ${epochs} epochs each, the final training's length`, 'the horizon step');
    for (const c of contenders) {
      const r = store.get(c.id);
      if (r) c.accuracy = r.accuracy;
    }
    const measured = contenders.filter((c) => c.accuracy !== undefined);
    const best = measured.reduce((a, b) => (b.accuracy! > a.accuracy! ? b : a));
    horizon = { epochs, contenders, pick: contenders.indexOf(best) };
    ctx.info(`horizon: ${contenders.map((c) => `${c.accuracy !== undefined ? (c.accuracy * 100).toFixed(2) + '%' : 'failed'} (${c.source}${c.earlyStop !== undefined ? `, early-stopped ${(c.earlyStop * 100).toFixed(1)}%` : ''})`).join(', ')}; chosen: the ${best.source === 'default' ? 'default recipe' : `${best.source} candidate`}`);
    run.writeJson(`${pre}horizon.json`, horizon);
  }
  const pick = horizon?.contenders[horizon.pick];
  const defaultContender = horizon?.contenders.find((c) => c.source === 'default');
  const point = pick?.point ?? fine.chosen.point;
  const arch = parseArchDef({ ...jointArch(space, point), name: `fbnet-v3-${seed}` });
  const recipe = finalRecipe(point);
  run.writeJson(`${pre}arch.json`, arch);
  run.writeJson(`${pre}recipe.json`, recipe);

  // 3. Final training of the found architecture with the found recipe, then export.
  clock.start('train');
  let final = run.readJson<{ testAccuracy: number; valAccuracy?: number; modelPath: string; modelInputSize?: number }>(`${pre}final.json`);
  if (!final) {
    // Fashion-MNIST: train less a held-out part, and test; user data: the splits its loader gave (the pipeline's limits).
    const split = user
      ? { train: limit(user.train, p.final.maxTrainImages, seed), val: user.val }
      : splitTrainVal(limit(loadFashionMnist({ split: 'train', dataDir: o.dataDir }), p.final.maxTrainImages, seed), { valFraction: p.final.valFraction, seed });
    const testFull = user ? limit(user.test, p.final.maxTestImages, seed) : limit(loadFashionMnist({ split: 'test', dataDir: o.dataDir }), p.final.maxTestImages, seed);
    const normalization = user ? { mean: [...user.normalization.mean], std: [...user.normalization.std] } : { mean: [FASHION_MNIST_MEAN], std: [FASHION_MNIST_STD] };
    const size = arch.input_size;
    const [train, val, test] = [split.train, split.val, testFull].map((d) => resizeDataset(d, size));
    ctx.info(`final training: ${recipe.optimizer} lr ${recipe.lr.toPrecision(3)}, ${recipe.epochs} epochs on ${train.count} images at ${size}x${size}`);
    const trainer = new Trainer({ arch, train, val, test, recipe, seed, normalization, run, checkpointName: `${pre}final` });
    // The stage's error reaches us through the awaited run(); unhandled here it would be rethrown as uncaught.
    const sub = trainer.events$.subscribe({
      error: () => undefined,
      // The event carries the epoch's figures; the CLI prints it (an info line here printed it twice).
      next: (e) => ctx.log(e),
    });
    const onAbort = () => trainer.cancel();
    ctx.signal?.addEventListener('abort', onAbort);
    try {
      const r = await trainer.run();
      if (r.epochs < recipe.epochs) throw interrupted('the final training');
      const inputSize = user ? user.height : size;
      if (inputSize === size) {
        const model = await exportModel(trainer.net, run.file(`${pre}model`));
        final = { testAccuracy: r.testAccuracy ?? NaN, valAccuracy: r.valAccuracy, modelPath: relative(run.path, model.modelJson), ...(user ? { modelInputSize: inputSize } : {}) };
      } else {
        // The model takes the data's images and area-resizes them inside: its test accuracy is the one reported
        // (the trainer's was on images resized and rounded to bytes beforehand).
        const model = await exportResizingModel(trainer.net, run.file(`${pre}model`), inputSize, testFull);
        ctx.info(`exported for ${inputSize}x${inputSize} inputs (area-resized inside to ${size}x${size}): test accuracy ${((model.testAccuracy ?? NaN) * 100).toFixed(2)}%`);
        final = { testAccuracy: model.testAccuracy ?? NaN, valAccuracy: r.valAccuracy, modelPath: relative(run.path, model.modelJson), modelInputSize: inputSize };
      }
      run.writeJson(`${pre}final.json`, final);
    } finally {
      ctx.signal?.removeEventListener('abort', onAbort);
      sub.unsubscribe();
      trainer.dispose();
    }
  }
  clock.start('other');

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
    archPath: run.file(`${pre}arch.json`),
    modelPath: resolve(run.path, final.modelPath),
    runDir: run.path,
    space: space.name,
    dataSource: user ? user.path : o.dataDir ? `fashion-mnist (${o.dataDir})` : 'fashion-mnist',
    modelInputSize: final.modelInputSize ?? arch.input_size,
    predictor: { kendallTau: coarse.predictor.kendallTau, rmse: coarse.predictor.rmse, n: coarse.predictor.n, seedToSeedTau: coarse.seedToSeed?.kendallTau ?? null, seedToSeedN: coarse.seedToSeed?.n ?? 0 },
    recipe,
    point,
    predictedAccuracy: asAccuracy((pick ? fine.confirmed?.find((c) => pointKey(c.point) === pointKey(pick.point))?.predicted : fine.chosen.predicted) ?? fine.best.score),
    searchAccuracy: pick?.earlyStop ?? fine.chosen.accuracy,
    chosenFrom: pick && pick.source !== 'default' ? pick.source : fine.chosen.source,
    ...(fine.predictorKept ? { predictorKept: { proposals: fine.predictorKept.proposals, kept: fine.predictorKept.kept } } : {}),
    earlyStopBudget: coarse.budget,
    ...(fine.confirmed ? { confirmed: { candidates: fine.confirmed.length, pickRank: 1 + fine.confirmed.findIndex((c) => pointKey(c.point) === pointKey(fine!.chosen.point)) } } : {}),
    ...(horizon && pick
      ? {
          horizon: {
            contenders: horizon.contenders.length,
            epochs: horizon.epochs,
            accuracy: pick.accuracy!,
            pickRank: 1 + horizon.pick,
            ...(defaultContender?.accuracy !== undefined ? { defaultAccuracy: defaultContender.accuracy } : {}),
            recipeFrom: pick.source === 'default' ? ('default' as const) : ('search' as const),
          },
        }
      : {}),
    candidatesTrained: coarse.samples.length + fine.verified.length + (fine.confirmed?.filter((c) => c.again !== undefined).length ?? 0) + (horizon?.contenders.filter((c) => c.accuracy !== undefined).length ?? 0),
    constraints,
    seconds: { coarse: clock.seconds('coarse'), fine: clock.seconds('fine'), train: clock.seconds('train'), total: (['coarse', 'fine', 'train', 'other'] as const).reduce((t, ph) => t + clock.seconds(ph), 0) },
  };
  run.writeJson(`${pre}result.json`, result);
  ctx.info(`done in ${result.seconds.total.toFixed(0)} s: test accuracy ${(result.testAccuracy * 100).toFixed(2)}%, ${result.params} params, ${(result.flops / 1e6).toFixed(3)} MFLOPs, ${result.latencyMs.toFixed(3)} ms on ${result.backend}`);
  return result;
}
