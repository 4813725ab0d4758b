import { FbnetError, Rng, type CoreEventMap, type EventUnion, type RngState } from '@fbnet/core';
import type { ConstraintChecker, Constraints, CostReport } from './constraints.ts';
import type { Fitness } from './fitness.ts';
import { constrained, type DimValue, type Genome } from './genome.ts';

/** The default point type of results and events: a joint architecture + recipe point, as `search v3` logs carry (an arch space's points are `ArchChoice`s). */
export type PointRecord = Record<string, DimValue>;

/** How the adaptive genetic search runs (sizes: `SearchV3Preset.evolution`). */
export interface EvolutionSettings {
  populationSize?: number;
  childrenPerGeneration?: number;
  /** Share of children made by crossover (then mutated); the rest by mutation alone. */
  crossoverRate?: number;
  /** Per-dimension mutation probability: start, bounds of its adaptation. */
  mutationRate?: { initial?: number; min?: number; max?: number };
  maxGenerations?: number;
  /** Stop when the best score has not improved for this many generations. */
  patience?: number;
  minImprovement?: number;
}

export interface EvolveOptions<P> extends EvolutionSettings {
  genome: Genome<P>;
  /** Scores points (higher is better); only read, so one fitted predictor serves many constraints. */
  fitness: Fitness<P>;
  checker: ConstraintChecker<P>;
  /** The best known candidates, best first; infeasible ones are dropped. */
  initial: P[];
  seed: number;
}

export interface ScoredCandidate<P = PointRecord> {
  point: P;
  /** Higher is better: the predicted accuracy, or minus the cost for a cost fitness. */
  score: number;
  cost: CostReport;
}

export interface EvolutionResult<P = PointRecord> {
  best: ScoredCandidate<P>;
  /** The final population, best first. */
  population: ScoredCandidate<P>[];
  generations: number;
  evaluated: number;
  constraints: Constraints;
}

export type EvolutionEventMap = CoreEventMap & {
  'evolution/started': { population: number; constraints: Constraints; mutationRate: number };
  'evolution/generation': { generation: number; bestScore: number; meanScore: number; mutationRate: number; children: number; rejected: number; improved: boolean };
  'evolution/completed': EvolutionResult;
};
export type EvolutionEvent = EventUnion<EvolutionEventMap>;

/** Everything the search needs to continue after a generation (plain JSON; the RNG is four uint32s). */
export interface EvolutionState<P = PointRecord> {
  version: 1;
  generation: number;
  population: ScoredCandidate<P>[];
  best: number;
  stale: number;
  rate: number;
  evaluated: number;
  seen: string[];
  rng: RngState;
}

export interface EvolveHooks<P> {
  /** Checked before every generation: once aborted the search saves its state and returns null. */
  signal?: AbortSignal;
  onEvent?: (e: EvolutionEvent) => void;
  /** A saved state to continue from (the same options); null/undefined: start afresh. */
  resume?: EvolutionState<P> | null;
  /** Called with the state after the initial population and after every generation. */
  save?: (s: EvolutionState<P>) => void;
}

/**
 * FBNetV3's fine stage over any genome with any fitness: constrained adaptive genetic search.
 * Population = the best known candidates that meet the constraints (topped up with random
 * feasible points); children by crossover and mutation, never violating a constraint; elitist
 * selection; the mutation rate shrinks after an improving generation and grows after a stagnant
 * one; stops when the best has not improved for `patience` generations. Returns null when
 * `signal` aborted it (its last state was saved).
 */
export async function evolve<P>(o: EvolveOptions<P>, hooks: EvolveHooks<P> = {}): Promise<EvolutionResult<P> | null> {
  const emit = (e: EvolutionEvent) => hooks.onEvent?.(e);
  const K = o.populationSize ?? 16;
  const nChildren = o.childrenPerGeneration ?? 3 * K;
  const mr = { initial: 0.15, min: 0.03, max: 0.5, ...o.mutationRate };
  const maxGen = o.maxGenerations ?? 100;
  const patience = o.patience ?? 8;
  const g = o.genome;
  const constraints = o.checker.constraints;
  const score = (pts: P[]): ScoredCandidate<P>[] => {
    if (!pts.length) return [];
    const s = o.fitness.score(pts);
    return pts.map((p, i) => ({ point: p, score: s[i], cost: o.checker.cost(p) }));
  };
  let st: EvolutionState<P>;
  let rng: Rng;
  const seen = new Set<string>();
  if (hooks.resume) {
    st = hooks.resume;
    rng = Rng.fromState(st.rng);
    for (const k of st.seen) seen.add(k);
  } else {
    rng = new Rng(o.seed).fork('evolution');
    // Seed population: feasible known candidates, topped up with feasible random points.
    const start: P[] = [];
    for (const p of o.initial) {
      const k = g.key(p);
      if (seen.has(k) || !o.checker.ok(p)) continue;
      seen.add(k);
      start.push(p);
    }
    for (let i = 0; start.length < K && i < 200 * K; i++) {
      const p = g.sample(rng);
      const k = g.key(p);
      if (seen.has(k) || !o.checker.ok(p)) continue;
      seen.add(k);
      start.push(p);
    }
    if (!start.length) throw new FbnetError('USAGE', `no candidate of ${g.name} satisfies the constraints ${JSON.stringify(constraints)}`);
    const pop = score(start).sort((a, b) => b.score - a.score).slice(0, K);
    st = { version: 1, generation: 0, population: pop, best: pop[0].score, stale: 0, rate: mr.initial, evaluated: start.length, seen: [], rng: rng.state() };
    emit({ type: 'evolution/started', population: pop.length, constraints, mutationRate: st.rate });
    hooks.save?.({ ...st, seen: [...seen], rng: rng.state() });
  }
  let pop = st.population;
  const tournament = () => {
    const a = pop[rng.int(pop.length)], b = pop[rng.int(pop.length)];
    return a.score >= b.score ? a : b;
  };
  while (st.generation < maxGen && st.stale < patience) {
    if (hooks.signal?.aborted) return null;
    const gen = st.generation + 1;
    const kids: P[] = [];
    let rejected = 0;
    for (let i = 0; i < nChildren; i++) {
      const child = constrained(
        () => {
          const p1 = tournament().point;
          const base = rng.next() < (o.crossoverRate ?? 0.5) && pop.length > 1 ? g.crossover(p1, tournament().point, rng) : p1;
          return g.mutate(base, st.rate, rng);
        },
        (c) => !seen.has(g.key(c)) && o.checker.ok(c),
        20,
      );
      if (!child) {
        rejected++;
        continue;
      }
      seen.add(g.key(child));
      kids.push(child);
    }
    pop = [...pop, ...score(kids)].sort((a, b) => b.score - a.score).slice(0, K);
    const improved = pop[0].score > st.best + (o.minImprovement ?? 1e-4);
    let { best, stale, rate } = st;
    if (improved) {
      best = pop[0].score;
      stale = 0;
      rate = Math.max(mr.min, rate * 0.85);
    } else {
      stale++;
      rate = Math.min(mr.max, rate * 1.3);
    }
    st = { version: 1, generation: gen, population: pop, best, stale, rate, evaluated: st.evaluated + kids.length, seen: [], rng: rng.state() };
    emit({ type: 'evolution/generation', generation: gen, bestScore: pop[0].score, meanScore: pop.reduce((s, c) => s + c.score, 0) / pop.length, mutationRate: rate, children: kids.length, rejected, improved });
    hooks.save?.({ ...st, seen: [...seen] });
    await new Promise((r) => setImmediate(r));
  }
  const result: EvolutionResult<P> = { best: pop[0], population: pop, generations: st.generation, evaluated: st.evaluated, constraints };
  emit({ type: 'evolution/completed', ...(result as EvolutionResult) });
  return result;
}
