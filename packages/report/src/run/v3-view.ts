import type { PredictorMetrics } from '@fbnet/acc-predictor';
import type { CoarseEventMap, CoarseSample } from '@fbnet/autotrain';
import type { EvolutionEventMap, ScoredCandidate } from '@fbnet/evolutionary-search';
import { eventsOf, isNum, isObj, lastEventOf, memo, runJson, type RunData } from './run-data.ts';
import type { Fits, None } from './views.ts';

/*
 * Typed view over a `search v3` log: @fbnet/autotrain's `CoarseEventMap` (coarse stage,
 * predictor fits, early-stopping rule, candidate queue), @fbnet/evolutionary-search's
 * `EvolutionEventMap` (fine stage), with the run files @fbnet/jointnas writes (coarse.json,
 * fine.json, recipe.json) as fallbacks for a log that lacks an event. Fields are optional: a
 * report reads logs of older, newer or interrupted runs.
 */

export type JointPointView = Record<string, string | number | boolean>;

export interface MetricsView {
  n?: number;
  kendallTau?: number;
  rmse?: number;
}

export interface CandidateView {
  id: string;
  point?: JointPointView;
  /** Validation accuracy at the early-stopping budget. */
  accuracy?: number;
  curve?: number[];
  /** 0: the early-stopping set; k ≥ 1: coarse iteration k. */
  iteration?: number;
  predicted?: number;
  diverged?: boolean;
  seconds?: number;
  worker?: string;
}

export interface EarlyStopView {
  budget?: number;
  reached?: boolean;
  threshold?: number;
  taus?: { budget: number; tau: number }[];
  candidates?: number;
}

export interface PredictorFitView {
  iteration?: number;
  samples?: number;
  trainRmse?: number;
  heldOut?: MetricsView;
}

export interface IterationView {
  iteration?: number;
  trained?: number;
  bestAccuracy?: number;
  bestId?: string;
}

export interface GenerationView {
  generation: number;
  bestScore?: number;
  meanScore?: number;
  mutationRate?: number;
  children?: number;
  rejected?: number;
  improved?: boolean;
}

export interface ScoredView {
  point?: JointPointView;
  score?: number;
  cost?: { flops?: number; params?: number; latencyMs?: number; ok?: boolean; violations?: string[] };
}

export interface ConstraintsView {
  maxFlops?: number;
  maxParams?: number;
  maxLatencyMs?: number;
}

// Compile-time guard: what the V3 stages emit must fit these views (a renamed field fails typecheck here).
// (Fits/None: see views.ts.)
export type _V3ViewsFit = [
  None<Fits<CandidateView, CoarseSample>>,
  None<Fits<CandidateView, CoarseEventMap['autotrain/candidate-evaluated']>>,
  None<Fits<EarlyStopView, CoarseEventMap['autotrain/early-stop-chosen']>>,
  None<Fits<PredictorFitView, CoarseEventMap['predictor/fitted']>>,
  None<Fits<IterationView, CoarseEventMap['autotrain/iteration-ended']>>,
  None<Fits<MetricsView, PredictorMetrics>>,
  None<Fits<{ samples?: number; epochs?: number; loss?: number; kendallTau?: number }, CoarseEventMap['predictor/proxy-pretrained']>>,
  None<Fits<{ space?: string; dimensions?: number; iterations?: number; perIteration?: number }, CoarseEventMap['autotrain/started']>>,
  None<Fits<{ budget?: number; samples?: number; bestAccuracy?: number; predictor?: MetricsView }, CoarseEventMap['autotrain/completed']>>,
  None<Fits<GenerationView, EvolutionEventMap['evolution/generation']>>,
  None<Fits<{ population?: number; constraints?: ConstraintsView; mutationRate?: number }, EvolutionEventMap['evolution/started']>>,
  None<Fits<ScoredView, ScoredCandidate>>,
  None<Fits<{ best?: ScoredView; population?: ScoredView[]; generations?: number; evaluated?: number; constraints?: ConstraintsView }, EvolutionEventMap['evolution/completed']>>,
];

export interface V3View {
  started?: { space?: string; dimensions?: number; iterations?: number; perIteration?: number; resumedAt?: string | null };
  proxy?: { samples?: number; epochs?: number; loss?: number; kendallTau?: number };
  /** Every trained candidate, once per id (latest wins), in order of evaluation. */
  candidates: CandidateView[];
  earlyStop?: EarlyStopView;
  fits: PredictorFitView[];
  iterations: IterationView[];
  /** The predictor on held-out candidates (each iteration's picks, predicted before training). */
  predictor?: MetricsView;
  coarseDone: boolean;
  evolutionStarted?: { population?: number; constraints?: ConstraintsView; mutationRate?: number };
  generations: GenerationView[];
  /** The fine stage's winner and its final population (best first). */
  best?: ScoredView;
  population: ScoredView[];
  fineDone: boolean;
  constraints?: ConstraintsView;
  /** The found recipe as trained (recipe.json, else result.json's). */
  recipe?: Record<string, unknown>;
  /** Candidates that failed for good on the queue. */
  failedJobs: { jobId?: string; error?: string }[];
}


interface CoarseFile {
  budget?: number;
  decision?: EarlyStopView | null;
  samples?: unknown[];
  predictor?: MetricsView;
  heldOut?: { iteration?: number; metrics?: MetricsView }[];
}
interface FineFile {
  best?: ScoredView;
  top?: ScoredView[];
  generations?: number;
  constraints?: ConstraintsView;
}

export function v3View(run: RunData): V3View {
  return memo(run, 'v3-view', () => {
    const coarse = runJson<CoarseFile>(run, 'coarse.json');
    const fine = runJson<FineFile>(run, 'fine.json');
    const byId = new Map<string, CandidateView>();
    const fromLog = eventsOf<Record<string, unknown>>(run, 'autotrain/candidate-evaluated');
    const rawSamples = fromLog.length ? fromLog : Array.isArray(coarse?.samples) ? coarse.samples.filter(isObj) : [];
    for (const s of rawSamples) if (typeof s.id === 'string') byId.set(s.id, s as unknown as CandidateView);
    const completed = lastEventOf<{ predictor?: MetricsView }>(run, 'autotrain/completed');
    const evDone = lastEventOf<{ best?: ScoredView; population?: ScoredView[]; constraints?: ConstraintsView }>(run, 'evolution/completed');
    const evStarted = lastEventOf<{ population?: number; constraints?: ConstraintsView; mutationRate?: number }>(run, 'evolution/started');
    const gens = new Map<number, GenerationView>();
    for (const g of eventsOf<Record<string, unknown>>(run, 'evolution/generation')) if (isNum(g.generation)) gens.set(g.generation, g as unknown as GenerationView);
    const fits = eventsOf<Record<string, unknown>>(run, 'predictor/fitted') as unknown as PredictorFitView[];
    const heldOutFile = (coarse?.heldOut ?? []).filter((h): h is { iteration?: number; metrics?: MetricsView } => isObj(h));
    const fitsOrFile: PredictorFitView[] = fits.length ? fits : heldOutFile.map((h) => ({ iteration: h.iteration, heldOut: h.metrics }));
    const result = run.result ?? {};
    const recipe = runJson<Record<string, unknown>>(run, 'recipe.json') ?? (isObj(result.recipe) ? result.recipe : undefined);
    const bestFromResult = isObj(result.point) ? { point: result.point as JointPointView, score: isNum(result.predictedAccuracy) ? result.predictedAccuracy : undefined } : undefined;
    const population = Array.isArray(evDone?.population) ? evDone.population.filter(isObj) : Array.isArray(fine?.top) ? fine.top.filter(isObj) : [];
    return {
      started: lastEventOf(run, 'autotrain/started'),
      proxy: lastEventOf(run, 'predictor/proxy-pretrained'),
      candidates: [...byId.values()],
      earlyStop: lastEventOf<EarlyStopView & Record<string, unknown>>(run, 'autotrain/early-stop-chosen') ?? (isObj(coarse?.decision) ? coarse.decision : undefined),
      fits: fitsOrFile,
      iterations: eventsOf<Record<string, unknown>>(run, 'autotrain/iteration-ended') as unknown as IterationView[],
      predictor: completed?.predictor ?? coarse?.predictor ?? (isObj(result.predictor) ? (result.predictor as MetricsView) : undefined),
      coarseDone: !!completed || !!coarse,
      evolutionStarted: evStarted,
      generations: [...gens.values()].sort((a, b) => a.generation - b.generation),
      best: evDone?.best ?? fine?.best ?? bestFromResult,
      population: population as ScoredView[],
      fineDone: !!evDone || !!fine,
      constraints: evDone?.constraints ?? evStarted?.constraints ?? fine?.constraints ?? (isObj(result.constraints) ? (result.constraints as ConstraintsView) : undefined),
      recipe,
      failedJobs: eventsOf<{ jobId?: string; error?: string }>(run, 'queue/job-failed'),
    };
  });
}

/**
 * "8px · stem 4 · c8×2 k3 e1 · head 16": the architecture part of a joint point — resolution,
 * stem width, then per stage `c{width}×{depth} k{kernel} e{expansion}` (+ `se`), head width.
 */
export function archPointText(p: JointPointView | undefined): string {
  if (!p) return '–';
  const parts: string[] = [];
  if (p.resolution !== undefined) parts.push(`${p.resolution}px`);
  if (p['stem.channels'] !== undefined) parts.push(`stem ${p['stem.channels']}`);
  for (let i = 1; `stage${i}.channels` in p || `stage${i}.depth` in p; i++) {
    const g = (f: string) => p[`stage${i}.${f}`];
    parts.push(`c${g('channels') ?? '?'}×${g('depth') ?? '?'} k${g('kernel') ?? '?'} e${g('expansion') ?? '?'}${g('se') === true ? ' se' : ''}`);
  }
  if (p['head.channels'] !== undefined) parts.push(`head ${p['head.channels']}`);
  return parts.join(' · ');
}

/** "adam lr 0.449 wd 4.7e-4 mixup 0.39 …": the recipe part of a joint point. */
export function recipePointText(p: JointPointView | undefined): string {
  if (!p) return '–';
  const r = (k: string) => p[`recipe.${k}`];
  const n = (v: unknown) => (isNum(v) ? (Math.abs(v) < 1e-2 && v !== 0 ? v.toExponential(1) : String(Number(v.toPrecision(3)))) : String(v));
  const parts: string[] = [];
  if (r('optimizer') !== undefined) parts.push(String(r('optimizer')));
  for (const [k, label] of [['lr', 'lr'], ['weightDecay', 'wd'], ['mixup', 'mixup'], ['dropout', 'dropout'], ['dropPath', 'droppath'], ['epochs', 'epochs']] as const) {
    if (r(k) !== undefined) parts.push(`${label} ${n(r(k))}`);
  }
  if (r('ema') !== undefined) parts.push(r('ema') === true ? 'EMA' : r('ema') === false ? 'no EMA' : `EMA ${n(r('ema'))}`);
  return parts.join(' ');
}
