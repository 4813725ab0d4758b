import { defineStage, FbnetError, type ArchDef, type SearchSpace } from '@fbnet/core';
import type { LatencyTable } from '@fbnet/latency-lut';
import { archSpaceGenome } from './arch-space-genome.ts';
import { ConstraintChecker, type Constraints } from './constraints.ts';
import { evolve, type EvolutionEvent, type EvolutionResult, type EvolutionSettings, type EvolutionState, type ScoredCandidate } from './evolution.ts';
import { fitnessFromSpec, type FitnessSpec } from './fitness.ts';
import type { Genome } from './genome.ts';

/**
 * The space the evolution runs over, as plain data: a core `SearchSpace` (`kind: 'arch'`, points
 * are `ArchChoice`s) or another registered kind — `@fbnet/autotrain` registers `joint`, its
 * architecture + recipe space (points are `JointPoint`s).
 */
export type EvolutionSpace = { kind: 'arch'; space: SearchSpace } | { kind: 'joint'; space: unknown } | { kind: string; space: unknown };

const genomes = new Map<string, (space: unknown) => Genome<unknown>>([['arch', (s) => archSpaceGenome(s as SearchSpace) as Genome<unknown>]]);

/** Teach the evolution stage a space kind (a genome for its plain-data space). */
export function registerGenomeKind(kind: string, make: (space: unknown) => Genome<unknown>): void {
  genomes.set(kind, make);
}

/** The genome of a plain-data space. */
export function genomeFor(s: EvolutionSpace): Genome<unknown> {
  const make = genomes.get(s.kind);
  if (!make) throw new FbnetError('USAGE', `evolution: unknown space kind "${s.kind}" (known: ${[...genomes.keys()].join(', ')}; \`joint\` comes with @fbnet/autotrain)`);
  return make(s.space);
}

/** The evolution stage's input: all plain data. */
export interface EvolutionStageInput {
  space: EvolutionSpace;
  fitness: FitnessSpec;
  constraints?: Constraints;
  /** For a latency constraint (and a latency fitness without its own table). */
  latencyTable?: LatencyTable;
  /** Known candidates (points of the space), best first: the initial population. */
  initial?: unknown[];
  /** Sizes (e.g. `SearchV3Preset.evolution`). */
  options?: EvolutionSettings;
}

/** The evolution stage's result: ranked candidates, the best arch, and the best recipe for a joint space. */
export interface EvolutionStageResult<P = unknown, R = unknown> extends EvolutionResult<P> {
  fitness: FitnessSpec['kind'];
  /** The best candidate's architecture. */
  arch: ArchDef;
  /** The best candidate's training recipe (spaces with a recipe part). */
  recipe?: R;
}

const STATE = 'evolution-state.json';

/**
 * Constrained adaptive evolution over a core `SearchSpace` or a joint space, with a fitness of
 * predicted accuracy (a serialized predictor), FLOPs, params or table latency. Checkpoints its
 * state after every generation to `<prefix>evolution-state.json` in the run; unsubscribing stops
 * it before the next generation, and the same stage resumes from that state to the same result.
 */
export const evolutionStage = defineStage<EvolutionStageInput, EvolutionStageResult, EvolutionEvent>('evolutionary-search', async (input, ctx, io) => {
  const genome = genomeFor(input.space);
  const table = input.latencyTable ?? (input.fitness.kind === 'latency' ? input.fitness.table : undefined);
  const constraints = input.constraints ?? {};
  if (constraints.maxLatencyMs !== undefined && !table) throw new FbnetError('USAGE', 'evolution: a latency constraint needs a latency table');
  const checker = new ConstraintChecker(genome, constraints, table);
  const fitness = fitnessFromSpec(input.fitness, genome, checker);
  const name = `${ctx.prefix ?? ''}${STATE}`;
  const saved = ctx.run?.readJson<EvolutionState<unknown>>(name);
  try {
    const settings = input.options ?? {};
    const r = await evolve(
      { genome, fitness, checker, initial: input.initial ?? [], seed: ctx.seed, ...settings },
      {
        signal: io.signal,
        resume: saved,
        save: (s) => ctx.run?.writeJson(name, s),
        onEvent: (e) => {
          io.emit(e);
          if (e.type === 'evolution/generation') io.progress('generations', e.generation, settings.maxGenerations ?? 100);
        },
      },
    );
    if (!r) return undefined as unknown as EvolutionStageResult;
    const best: ScoredCandidate<unknown> = r.best;
    return { ...r, fitness: input.fitness.kind, arch: genome.arch(best.point), ...(genome.recipe ? { recipe: genome.recipe(best.point) } : {}) };
  } finally {
    fitness.dispose?.();
  }
});
