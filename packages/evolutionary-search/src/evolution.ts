import { lastValueFrom, Observable, tap } from 'rxjs';
import { FbnetError, Rng, type CoreEventMap, type EventUnion } from '@fbnet/core';
import type { AccuracyPredictor } from '@fbnet/acc-predictor';
import { encodePoint, jointDimensions, pointFromUnit, pointKey, type JointPoint, type JointSpace } from '@fbnet/autotrain';
import type { ConstraintChecker, Constraints, CostReport } from './constraints.ts';
import { constrained, crossover, mutate } from './operators.ts';

export interface EvolutionOptions {
  space: JointSpace;
  /** The coarse stage's predictor; only read (it is reused as constraints change). */
  predictor: AccuracyPredictor;
  checker: ConstraintChecker;
  /** The best known candidates (coarse stage), best first; infeasible ones are dropped. */
  initial: JointPoint[];
  seed: number;
  populationSize?: number;
  childrenPerGeneration?: number;
  /** Share of children made by crossover (then mutated); the rest by mutation alone. */
  crossoverRate?: number;
  /** Per-dimension mutation probability: start, bounds of its adaptation. */
  mutationRate?: { initial?: number; min?: number; max?: number };
  maxGenerations?: number;
  /** Stop when the best predicted score has not improved for this many generations. */
  patience?: number;
  minImprovement?: number;
}

export interface ScoredCandidate {
  point: JointPoint;
  /** Predicted accuracy. */
  score: number;
  cost: CostReport;
}

export interface EvolutionResult {
  best: ScoredCandidate;
  population: ScoredCandidate[];
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

/**
 * FBNetV3's fine stage: adaptive genetic search over architecture + recipe, scored by the
 * accuracy predictor. Population = the best known candidates that meet the constraints;
 * children by crossover and mutation, never violating a constraint; elitist selection; the
 * mutation rate shrinks after an improving generation and grows after a stagnant one; stops
 * when the best has not improved for `patience` generations. Unsubscribing stops it.
 */
export function evolutionarySearch(o: EvolutionOptions): Observable<EvolutionEvent> {
  return new Observable<EvolutionEvent>((sub) => {
    let stopped = false;
    const run = async () => {
      const rng = new Rng(o.seed).fork('evolution');
      const K = o.populationSize ?? 16;
      const nChildren = o.childrenPerGeneration ?? 3 * K;
      const mr = { initial: 0.15, min: 0.03, max: 0.5, ...o.mutationRate };
      let rate = mr.initial;
      let evaluated = 0;
      const seen = new Set<string>();
      const score = (pts: JointPoint[]): ScoredCandidate[] => {
        if (!pts.length) return [];
        const enc = pts.map((p) => encodePoint(o.space, p));
        const s = o.predictor.predict(enc.map((e) => e.arch), enc.map((e) => e.recipe));
        evaluated += pts.length;
        return pts.map((p, i) => ({ point: p, score: s[i], cost: o.checker.cost(p) }));
      };
      // Seed population: feasible known candidates, topped up with feasible random points.
      const start: JointPoint[] = [];
      for (const p of o.initial) {
        const k = pointKey(p);
        if (seen.has(k) || !o.checker.ok(p)) continue;
        seen.add(k);
        start.push(p);
      }
      const dims = jointDimensions(o.space).length;
      for (let i = 0; start.length < K && i < 200 * K; i++) {
        const p = pointFromUnit(o.space, Array.from({ length: dims }, () => rng.next()));
        const k = pointKey(p);
        if (seen.has(k) || !o.checker.ok(p)) continue;
        seen.add(k);
        start.push(p);
      }
      if (!start.length) throw new FbnetError('USAGE', `no candidate of ${o.space.name} satisfies the constraints ${JSON.stringify(o.checker.constraints)}`);
      let pop = score(start).sort((a, b) => b.score - a.score).slice(0, K);
      sub.next({ type: 'evolution/started', population: pop.length, constraints: o.checker.constraints, mutationRate: rate });
      let best = pop[0].score;
      let stale = 0;
      let gen = 0;
      const maxGen = o.maxGenerations ?? 100;
      const patience = o.patience ?? 8;
      const tournament = () => {
        const a = pop[rng.int(pop.length)], b = pop[rng.int(pop.length)];
        return a.score >= b.score ? a : b;
      };
      while (gen < maxGen && stale < patience && !stopped) {
        gen++;
        const kids: JointPoint[] = [];
        let rejected = 0;
        for (let i = 0; i < nChildren; i++) {
          const child = constrained(
            () => {
              const p1 = tournament().point;
              const base = rng.next() < (o.crossoverRate ?? 0.5) && pop.length > 1 ? crossover(o.space, p1, tournament().point, rng) : p1;
              return mutate(o.space, base, rate, rng);
            },
            (c) => !seen.has(pointKey(c)) && o.checker.ok(c),
            20,
          );
          if (!child) {
            rejected++;
            continue;
          }
          seen.add(pointKey(child));
          kids.push(child);
        }
        pop = [...pop, ...score(kids)].sort((a, b) => b.score - a.score).slice(0, K);
        const improved = pop[0].score > best + (o.minImprovement ?? 1e-4);
        if (improved) {
          best = pop[0].score;
          stale = 0;
          rate = Math.max(mr.min, rate * 0.85);
        } else {
          stale++;
          rate = Math.min(mr.max, rate * 1.3);
        }
        sub.next({ type: 'evolution/generation', generation: gen, bestScore: pop[0].score, meanScore: pop.reduce((s, c) => s + c.score, 0) / pop.length, mutationRate: rate, children: kids.length, rejected, improved });
        await new Promise((r) => setImmediate(r));
      }
      if (stopped) return;
      sub.next({ type: 'evolution/completed', best: pop[0], population: pop, generations: gen, evaluated, constraints: o.checker.constraints });
      sub.complete();
    };
    run().catch((e) => sub.error(e));
    return () => {
      stopped = true;
    };
  });
}

/** Run the search to the end; `onEvent` sees every event. */
export async function runEvolution(o: EvolutionOptions, onEvent?: (e: EvolutionEvent) => void): Promise<EvolutionResult> {
  let result: EvolutionResult | undefined;
  await lastValueFrom(
    evolutionarySearch(o).pipe(
      tap((e) => {
        onEvent?.(e);
        if (e.type === 'evolution/completed') result = e;
      }),
    ),
  );
  if (!result) throw new FbnetError('USAGE', 'evolution ended without a result');
  const { type: _t, ...r } = result as EvolutionResult & { type?: string };
  return r;
}
