import { FbnetError } from '@fbnet/core';
import type { LatencyTable } from '@fbnet/latency-lut';
import type { ConstraintChecker } from './constraints.ts';
import type { Genome } from './genome.ts';

/**
 * A serialized predictor: plain JSON whose `format` names who can load it (e.g. the
 * `SerializedPredictor` of `@fbnet/acc-predictor`, format `fbnet/accuracy-predictor`).
 */
export interface SerializedPredictorLike {
  format: string;
}

/**
 * What the search maximizes, as plain data: a predictor's accuracy, or (minimized) FLOPs,
 * params, or latency from a latency table.
 */
export type FitnessSpec =
  | {
      kind: 'predictor';
      predictor: SerializedPredictorLike;
      /**
       * κ of a pessimistic score, mean − κ·(ensemble spread) (default 0: the mean). Needs a
       * predictor whose loader gives `predictSpread`; with one member the spread is 0.
       */
      risk?: number;
    }
  | { kind: 'flops' }
  | { kind: 'params' }
  | { kind: 'latency'; table: LatencyTable };

/**
 * A fitness in memory: scores a batch of points, higher is better (a cost is scored as its
 * negative). `value` is what it measures (predicted accuracy, FLOPs, params, ms).
 */
export interface Fitness<P> {
  readonly kind: string;
  readonly direction: 'max' | 'min';
  score(points: P[]): number[];
  dispose?(): void;
}

/** A loaded predictor: a batch function from (arch, recipe) encodings to predicted accuracy. */
export interface PredictorFn {
  predict(arch: number[][], recipe: number[][]): number[];
  /** Mean and spread (e.g. over an ensemble's members) of the prediction. */
  predictSpread?(arch: number[][], recipe: number[][]): { mean: number[]; std: number[] };
  dispose?(): void;
}

const loaders = new Map<string, (serialized: SerializedPredictorLike) => PredictorFn>();

/** Teach the search to load a serialized predictor format (`@fbnet/autotrain` registers the accuracy predictor's). */
export function registerPredictorFormat(format: string, load: (serialized: SerializedPredictorLike) => PredictorFn): void {
  loaders.set(format, load);
}

export function loadPredictorFn(serialized: SerializedPredictorLike): PredictorFn {
  const load = loaders.get(serialized?.format);
  if (!load) throw new FbnetError('USAGE', `no loader for predictor format "${serialized?.format}" (known: ${[...loaders.keys()].join(', ') || 'none'}); import @fbnet/autotrain or register one with registerPredictorFormat`);
  return load(serialized);
}

/**
 * Predicted accuracy of a point by a predictor function over the genome's encoding (maximized);
 * with `risk` κ > 0, the lower confidence bound mean − κ·spread instead.
 */
export function predictorFitness<P>(genome: Genome<P>, predictor: PredictorFn, o: { risk?: number } = {}): Fitness<P> {
  const encode = genome.encode;
  if (!encode) throw new FbnetError('USAGE', `space ${genome.name} has no predictor encoding`);
  const risk = o.risk ?? 0;
  if (!(Number.isFinite(risk) && risk >= 0)) throw new FbnetError('USAGE', `predictor fitness: risk must be a finite number >= 0 (got ${risk})`);
  if (risk > 0 && !predictor.predictSpread) throw new FbnetError('USAGE', 'predictor fitness: risk > 0 needs a predictor with predictSpread (an ensemble)');
  return {
    kind: 'predictor',
    direction: 'max',
    score(points) {
      if (!points.length) return [];
      const enc = points.map((p) => encode(p));
      const arch = enc.map((e) => e.arch), recipe = enc.map((e) => e.recipe);
      if (risk === 0) return predictor.predict(arch, recipe);
      const { mean, std } = predictor.predictSpread!(arch, recipe);
      return mean.map((m, i) => m - risk * std[i]);
    },
    dispose: () => predictor.dispose?.(),
  };
}

/** A cost of the arch (FLOPs, params or latency by the checker's table), minimized: scored as its negative. */
export function costFitness<P>(kind: 'flops' | 'params' | 'latency', checker: ConstraintChecker<P>): Fitness<P> {
  if (kind === 'latency' && !checker.table) throw new FbnetError('USAGE', 'a latency fitness needs a latency table');
  return {
    kind,
    direction: 'min',
    score: (points) =>
      points.map((p) => {
        const c = checker.cost(p);
        return -(kind === 'flops' ? c.flops : kind === 'params' ? c.params : c.latencyMs!);
      }),
  };
}

/** The fitness a spec names, over a genome; the checker supplies costs (its latency table for `latency`). */
export function fitnessFromSpec<P>(spec: FitnessSpec, genome: Genome<P>, checker: ConstraintChecker<P>): Fitness<P> {
  switch (spec.kind) {
    case 'predictor':
      return predictorFitness(genome, loadPredictorFn(spec.predictor), { risk: spec.risk });
    case 'flops':
    case 'params':
    case 'latency':
      return costFitness(spec.kind, checker);
    default:
      throw new FbnetError('USAGE', `unknown fitness kind "${(spec as { kind: string }).kind}" (predictor, flops, params, latency)`);
  }
}
