import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { archFromChoice, getSearchSpacePreset, parseArchDef, Rng, runStage, searchLayers, stagesSettled, type ArchChoice, type StageContext } from '@fbnet/core';
import { archLatency } from '@fbnet/latency-lut';
import { RunDir } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { archSpaceGenome } from './arch-space-genome.ts';
import { ConstraintChecker } from './constraints.ts';
import { evolve, type EvolutionEvent } from './evolution.ts';
import { costFitness, fitnessFromSpec, predictorFitness, registerPredictorFormat, type SerializedPredictorLike } from './fitness.ts';
import { evolutionStage, type EvolutionStageInput, type EvolutionStageResult } from './stage.ts';
import { tableFor } from './_test-lut.ts';

const v1 = getSearchSpacePreset('fbnet-v1-fmnist');
const v2 = getSearchSpacePreset('fbnet-v2-fmnist');
const g1 = archSpaceGenome(v1);
const g2 = archSpaceGenome(v2);
const rng0 = new Rng(11);
const randoms = Array.from({ length: 40 }, () => g1.sample(rng0));
const flopsOf = (c: ArchChoice) => archCost(archFromChoice(v1, c)).flops;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** A linear predictor as plain JSON: score = w · encoding (its "weights" favour the first candidate op everywhere). */
interface LinearPredictor extends SerializedPredictorLike {
  format: 'test/linear';
  w: number[];
}
registerPredictorFormat('test/linear', (s) => {
  const w = (s as LinearPredictor).w;
  return { predict: (arch) => arch.map((a) => a.reduce((t, x, i) => t + x * (w[i] ?? 0), 0)) };
});
const width = g1.encode!(randoms[0]).arch.length;
const linear: LinearPredictor = { format: 'test/linear', w: Array.from({ length: width }, (_, i) => Math.cos(i * 1.7)) };

describe('the genome of a core SearchSpace', () => {
  it('samples, mutates and crosses over within the space (V1 ops; V2 channels, expansions, resolution)', () => {
    const rng = new Rng(3);
    for (const [g, space] of [[g1, v1], [g2, v2]] as const) {
      const layers = searchLayers(space);
      for (let i = 0; i < 100; i++) {
        const a = g.sample(rng), b = g.sample(rng);
        const m = g.mutate(a, 0.2, rng);
        expect(g.key(m)).not.toBe(g.key(a));
        const c = g.crossover(a, b, rng);
        for (const p of [m, c]) {
          parseArchDef(g.arch(p));
          p.ops.forEach((o, l) => expect(o).toBeLessThan(layers[l].candidates.length));
        }
        // Each stage's layers come whole from one parent.
        for (let s = 0; s < space.stages.length; s++) {
          const ls = layers.filter((l) => l.stage === s).map((l) => l.index);
          if (!ls.length) continue;
          const fromA = ls.every((l) => c.ops[l] === a.ops[l] && c.channels?.[l] === a.channels?.[l]);
          const fromB = ls.every((l) => c.ops[l] === b.ops[l] && c.channels?.[l] === b.channels?.[l]);
          expect(fromA || fromB).toBe(true);
        }
        expect(g.encode!(c).arch).toHaveLength(g.encode!(a).arch.length);
      }
    }
    expect(g1.key(randoms[0])).toBe(g1.key(JSON.parse(JSON.stringify(randoms[0]))));
  });
});

describe('evolution over any space with any fitness', () => {
  it('minimizes FLOPs under a params limit: every candidate within it, better than all initial ones; the mutation rate adapts; stops on stagnation', async () => {
    const maxParams = median(randoms.map((c) => archCost(archFromChoice(v1, c)).params));
    const checker = new ConstraintChecker((c: ArchChoice) => g1.arch(c), { maxParams });
    const gens: { rate: number; improved: boolean }[] = [];
    const r = (await evolve({ genome: g1, fitness: costFitness('flops', checker), checker, initial: randoms, seed: 2, populationSize: 8, childrenPerGeneration: 16, maxGenerations: 80, patience: 4 }, {
      onEvent: (e: EvolutionEvent) => e.type === 'evolution/generation' && gens.push({ rate: e.mutationRate, improved: e.improved }),
    }))!;
    const feasible = randoms.filter((c) => checker.ok(c));
    expect(r.best.cost.flops).toBeLessThan(Math.min(...feasible.map(flopsOf)));
    expect(r.best.score).toBe(-r.best.cost.flops);
    for (const c of r.population) expect(c.cost.params).toBeLessThanOrEqual(maxParams);
    expect(r.generations).toBeLessThan(80);
    expect(gens.slice(-4).every((g) => !g.improved)).toBe(true);
    for (let i = 1; i < gens.length; i++) {
      if (gens[i].improved) expect(gens[i].rate).toBeLessThan(gens[i - 1].rate + 1e-12);
      else expect(gens[i].rate).toBeGreaterThanOrEqual(Math.min(gens[i - 1].rate, 0.5) - 1e-12);
    }
  });

  it('latency from a latency table: as fitness it is minimized by the table prices; as a constraint it bounds every candidate', async () => {
    const table = tableFor([...randoms, ...Array.from({ length: 400 }, () => g1.sample(rng0))].flatMap((c) => {
      // Price every single-layer change too, so mutations stay in the table.
      const out = [g1.arch(c)];
      for (let l = 0; l < c.ops.length; l++) for (let o = 0; o < searchLayers(v1)[l].candidates.length; o++) out.push(g1.arch({ ...c, ops: c.ops.map((x, i) => (i === l ? o : x)) }));
      return out;
    }));
    const known = new Set(table.entries.map((e) => e.key));
    const priced = (c: ArchChoice) => {
      try {
        archLatency(table, g1.arch(c));
        return true;
      } catch {
        return false;
      }
    };
    expect(known.size).toBeGreaterThan(10);
    const lat = (c: ArchChoice) => archLatency(table, g1.arch(c)).totalMs;
    const maxLatencyMs = median(randoms.map(lat));
    const checker = new ConstraintChecker((c: ArchChoice) => g1.arch(c), { maxLatencyMs }, table);
    const inTable = { ...checker, ok: (c: ArchChoice) => priced(c) && checker.ok(c), cost: (c: ArchChoice) => checker.cost(c) } as unknown as ConstraintChecker<ArchChoice>;
    const r = (await evolve({ genome: g1, fitness: fitnessFromSpec({ kind: 'latency', table }, g1, checker), checker: inTable, initial: randoms, seed: 5, populationSize: 8, childrenPerGeneration: 16, maxGenerations: 15, patience: 4 }))!;
    for (const c of r.population) expect(c.cost.latencyMs!).toBeLessThanOrEqual(maxLatencyMs);
    expect(r.best.cost.latencyMs).toBeCloseTo(lat(r.best.point), 12);
    expect(r.best.cost.latencyMs!).toBeLessThan(Math.min(...randoms.filter((c) => lat(c) <= maxLatencyMs).map(lat)));
    expect(new ConstraintChecker((c: ArchChoice) => g1.arch(c), { maxLatencyMs: 1 }).cost(randoms[0]).violations).toEqual(['latency constraint without a latency table']);
  });

  it('a predictor fitness (a loaded serialized predictor) is maximized and only read, so one predictor serves several constraints', async () => {
    const fitness = predictorFitness(g1, { predict: (a) => a.map((x) => x.reduce((t, v, i) => t + v * linear.w[i], 0)) });
    const flops = randoms.map(flopsOf);
    const bests = [];
    for (const maxFlops of [median(flops) * 2, median(flops), median(flops) / 2]) {
      const checker = new ConstraintChecker((c: ArchChoice) => g1.arch(c), { maxFlops });
      const r = (await evolve({ genome: g1, fitness, checker, initial: randoms, seed: 7, populationSize: 8, childrenPerGeneration: 16, maxGenerations: 12, patience: 3 }))!;
      for (const c of r.population) expect(c.cost.flops).toBeLessThanOrEqual(maxFlops);
      const initialBest = Math.max(...fitness.score(randoms.filter((c) => checker.ok(c))));
      expect(r.best.score).toBeGreaterThan(initialBest);
      bests.push(r.best.score);
    }
    // A looser constraint never finds a worse best.
    expect(bests[0]).toBeGreaterThanOrEqual(bests[2]);
  });

  it('a pessimistic predictor fitness scores mean − κ·spread, and refuses what it cannot compute', () => {
    const mean = (a: number[][]) => a.map((x) => x.reduce((t, v) => t + v, 0));
    const spread = (a: number[][]) => a.map((x) => Math.abs(x[0] ?? 0) + 0.5);
    const fn = { predict: mean, predictSpread: (a: number[][]) => ({ mean: mean(a), std: spread(a) }) };
    const pts = randoms.slice(0, 6);
    const enc = pts.map((c) => g1.encode!(c));
    const arch = enc.map((e) => e.arch);
    expect(predictorFitness(g1, fn).score(pts)).toEqual(mean(arch));
    const lcb = predictorFitness(g1, fn, { risk: 2 }).score(pts);
    lcb.forEach((v, i) => expect(v).toBeCloseTo(mean(arch)[i] - 2 * spread(arch)[i], 12));
    expect(() => predictorFitness(g1, { predict: mean }, { risk: 1 })).toThrow(/predictSpread/);
    expect(() => predictorFitness(g1, fn, { risk: -1 })).toThrow(/risk must be/);
  });
});

const stageInput = (): EvolutionStageInput => ({
  space: { kind: 'arch', space: v1 },
  fitness: { kind: 'predictor', predictor: linear },
  constraints: { maxFlops: median(randoms.map(flopsOf)) },
  initial: randoms.slice(0, 10),
  options: { populationSize: 8, childrenPerGeneration: 16, maxGenerations: 12, patience: 12 },
});
const ctxIn = (dir: string): StageContext => ({ seed: 9, backend: { id: 'none' }, run: RunDir.create(dir, { command: 'test', seed: 9, options: {} }) });

describe('evolutionStage', () => {
  it('runs over a core SearchSpace from plain data to plain data: ranked candidates and the best arch', async () => {
    const events: string[] = [];
    const r = await runStage(evolutionStage(stageInput(), { seed: 9, backend: { id: 'none' } }), { onEvent: (e) => events.push(e.type) });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect(r.fitness).toBe('predictor');
    expect(r.arch).toEqual(archFromChoice(v1, r.best.point as ArchChoice));
    expect(r.recipe).toBeUndefined();
    expect(r.population.map((c) => c.score)).toEqual([...r.population.map((c) => c.score)].sort((a, b) => b - a));
    expect(events[0]).toBe('stage/started');
    expect(events.at(-1)).toBe('stage/result');
    expect(events.filter((t) => t === 'evolution/generation')).toHaveLength(12);
  });

  it('unsubscribing stops within one generation and leaves a checkpoint; the same stage resumes from it to the same result', async () => {
    const whole = await runStage(evolutionStage(stageInput(), ctxIn(join(mkdtempSync(join(tmpdir(), 'fbnet-evo-')), 'run'))));
    const dir = join(mkdtempSync(join(tmpdir(), 'fbnet-evo-')), 'run');
    const ctx = ctxIn(dir);
    let gens = 0;
    await new Promise<void>((resolve) => {
      const sub = evolutionStage(stageInput(), ctx).subscribe((e) => {
        if (e.type === 'evolution/generation' && ++gens === 3) {
          sub.unsubscribe();
          resolve();
        }
      });
    });
    await stagesSettled();
    const saved = ctx.run!.readJson<{ generation: number }>('evolution-state.json')!;
    expect(saved.generation).toBeGreaterThanOrEqual(3);
    expect(saved.generation).toBeLessThanOrEqual(4);
    const later: string[] = [];
    const resumed: EvolutionStageResult = await runStage(evolutionStage(stageInput(), ctx), { onEvent: (e) => later.push(e.type) });
    expect(later).not.toContain('evolution/started');
    expect(later.filter((t) => t === 'evolution/generation')).toHaveLength(12 - saved.generation);
    expect(resumed).toEqual(whole);
  });

  it('refuses what it cannot run: an unknown space kind, a latency limit without a table, an unknown predictor format', async () => {
    const ctx = { seed: 1, backend: { id: 'none' } };
    await expect(runStage(evolutionStage({ ...stageInput(), space: { kind: 'nope', space: {} } }, ctx))).rejects.toThrow(/unknown space kind "nope"/);
    await expect(runStage(evolutionStage({ ...stageInput(), constraints: { maxLatencyMs: 1 } }, ctx))).rejects.toThrow(/latency constraint needs a latency table/);
    await expect(runStage(evolutionStage({ ...stageInput(), fitness: { kind: 'predictor', predictor: { format: 'x/y' } } }, ctx))).rejects.toThrow(/no loader for predictor format "x\/y"/);
  });
});
