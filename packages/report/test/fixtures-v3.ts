import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  accuracyAtBudget,
  chooseEarlyStopBudget,
  getJointSpacePreset,
  jointArch,
  jointDimensions,
  jointRecipe,
  pointFromUnit,
  type CoarseEvent,
  type CoarseResult,
  type CoarseSample,
  type JointPoint,
} from '@fbnet/autotrain';
import { parseArchDef, Rng } from '@fbnet/core';
import type { EvolutionEvent, EvolutionResult, ScoredCandidate } from '@fbnet/evolutionary-search';
import type { SearchV3Result } from '@fbnet/jointnas';
import { kendallTauB } from '@fbnet/core';
import { archLatency } from '@fbnet/latency-lut';
import { archCost } from '@fbnet/shape-propagation';
import type { TrainEvent } from '@fbnet/train';
import { fixtureLut } from './test-lut.ts';

/*
 * A synthetic `search v3` run directory shaped exactly as @fbnet/jointnas's `searchV3` writes
 * it (events typed with @fbnet/autotrain's `CoarseEvent` and @fbnet/evolutionary-search's
 * `EvolutionEvent`; coarse.json, fine.json, recipe.json, arch.json, final.json, result.json;
 * lut.json when the search was given a table): proxy pretraining, the early-stopping set
 * trained to the end and the rule's τ per budget, coarse iterations whose candidates the
 * predictor ranked first, a genetic fine stage, the final training. Deterministic.
 */

export type V3Stop = 'proxy' | 'early-stop' | 'iteration' | 'coarse' | 'fine' | 'done';

export interface V3FixtureOptions {
  /** How far the run got (default 'done'): 'iteration' = the first coarse iteration only. */
  stopAt?: V3Stop;
  /** Training epochs to log when the run got to training (default all). */
  trainEpochs?: number;
  /** The search was given a latency table (lut.json): candidates get LUT latencies. */
  lut?: boolean;
  errorStage?: string;
  seed?: number;
}

export const V3_FIXTURE = { space: 'fbnet-v3-fmnist', earlyStopSet: 6, iterations: 3, perIteration: 6, generations: 12, population: 16, maxFlops: 1.0e6, trainEpochs: 6, threshold: 0.9 };

type FixtureEvent = CoarseEvent | EvolutionEvent | TrainEvent;
const ORDER: V3Stop[] = ['proxy', 'early-stop', 'iteration', 'coarse', 'fine', 'done'];

export function makeV3Run(dir: string, o: V3FixtureOptions = {}): string {
  const rng = new Rng(o.seed ?? 5);
  const space = getJointSpacePreset(V3_FIXTURE.space);
  const dims = jointDimensions(space);
  const stop = ORDER.indexOf(o.stopAt ?? 'done');
  const reached = (s: V3Stop) => stop >= ORDER.indexOf(s);
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  writeJson(join(dir, 'config.json'), {
    version: 1,
    command: 'search v3',
    createdAt: '2026-11-29T12:00:00.000Z',
    seed: 0,
    options: { preset: 'quick', space: V3_FIXTURE.space, dataDir: null, lut: o.lut ? 'lut.json' : null, forceLut: false, backend: 'wasm', threads: null, queue: null },
  });
  const events: (FixtureEvent & { t: number })[] = [];
  let t = 1_780_200_000_000;
  const emit = (e: FixtureEvent, dt = 1000) => {
    t += dt;
    events.push({ t, ...e });
  };

  // A smooth "true" accuracy of a point: capacity (FLOPs) and a sensible recipe help.
  const flopsOf = (p: JointPoint) => archCost(jointArch(space, p)).flops;
  const truth = (p: JointPoint) => {
    const lr = Number(p['recipe.lr']);
    const cap = 0.05 * Math.log(flopsOf(p) / 1e5);
    const recipe = -0.04 * Math.abs(Math.log10(lr / 0.1)) - 0.1 * Number(p['recipe.dropout']) + 0.01 * jointRecipe(space, p).epochs;
    return Math.min(0.93, Math.max(0.3, 0.72 + cap + recipe));
  };
  const randomPoint = () => pointFromUnit(space, dims.map(() => rng.next()));
  const feasible = () => {
    for (;;) {
      const p = randomPoint();
      if (flopsOf(p) <= V3_FIXTURE.maxFlops) return p;
    }
  };
  const newId = () => `c-${Array.from({ length: 16 }, () => '0123456789abcdef'[rng.int(16)]).join('')}`;
  // Accuracy after b epochs: the early epochs are noisy, so a short budget ranks candidates worse.
  const atBudget = (p: JointPoint, b: number) => truth(p) * (1 - 0.3 * Math.exp(-0.6 * b));
  const train = (p: JointPoint, epochs: number) => {
    const final = rng.uniform(-0.015, 0.015);
    return Array.from({ length: epochs }, (_, e) => Math.max(0.1, atBudget(p, e + 1) + final + rng.uniform(-0.04, 0.04) / (e + 1)));
  };

  emit({ type: 'autotrain/started', space: space.name, dimensions: dims.length, iterations: V3_FIXTURE.iterations, perIteration: V3_FIXTURE.perIteration, resumedAt: null });
  if (!reached('proxy')) return finish();
  emit({ type: 'predictor/proxy-pretrained', samples: 2000, epochs: 60, loss: 0.0123, kendallTau: 0.874 }, 40_000);
  emit({ type: 'autotrain/checkpoint-saved', phase: 'early-stop', iteration: 0 });

  // Early-stopping set: trained to the end of their own schedules.
  const samples: CoarseSample[] = [];
  const esSet = Array.from({ length: V3_FIXTURE.earlyStopSet }, () => {
    const p = feasible();
    return { id: newId(), point: p, curve: train(p, jointRecipe(space, p).epochs) };
  });
  for (const c of esSet) {
    emit({ type: 'queue/job-submitted', jobId: c.id }, 10);
    emit({ type: 'queue/job-started', jobId: c.id, worker: 'in-process', attempt: 1 }, 10);
    emit({ type: 'queue/job-completed', jobId: c.id, result: { id: c.id, accuracy: c.curve[c.curve.length - 1], curve: c.curve, epochs: c.curve.length, trainLoss: 0.6, diverged: false, params: archCost(jointArch(space, c.point)).params, seconds: 40, imagesPerSec: 600, worker: 'in-process' }, cached: false }, 40_000);
  }
  if (!reached('early-stop')) return finish();
  const decision = chooseEarlyStopBudget(esSet.map((c) => c.curve), { threshold: V3_FIXTURE.threshold, maxBudget: 5 });
  emit({ type: 'autotrain/early-stop-chosen', ...decision, candidates: esSet.length });
  for (const c of esSet) {
    const s: CoarseSample = { id: c.id, point: c.point, accuracy: accuracyAtBudget(c.curve, decision.budget), curve: c.curve, iteration: 0, diverged: false, seconds: 40, worker: 'in-process' };
    samples.push(s);
    emit({ type: 'autotrain/candidate-evaluated', ...s }, 5);
  }
  emit({ type: 'predictor/fitted', iteration: 0, samples: samples.length, trainRmse: 0.011 }, 3_000);

  const heldOut: CoarseResult['heldOut'] = [];
  const lastIteration = reached('coarse') ? V3_FIXTURE.iterations : 1;
  for (let it = 1; it <= lastIteration; it++) {
    const batch: CoarseSample[] = [];
    for (let k = 0; k < V3_FIXTURE.perIteration; k++) {
      // The predictor's picks get better with the iterations: more capacity within the budget.
      let p = feasible();
      for (let tries = 0; tries < it * 2; tries++) {
        const q = feasible();
        if (truth(q) > truth(p)) p = q;
      }
      const curve = train(p, decision.budget);
      const accuracy = curve[curve.length - 1];
      const s: CoarseSample = { id: newId(), point: p, accuracy, curve, iteration: it, predicted: accuracy + rng.normal() * (0.03 / it), diverged: false, seconds: 12, worker: 'in-process' };
      batch.push(s);
      emit({ type: 'queue/job-submitted', jobId: s.id }, 10);
      emit({ type: 'queue/job-completed', jobId: s.id, result: { id: s.id, accuracy, curve, epochs: curve.length, trainLoss: 0.7, diverged: false, params: archCost(jointArch(space, p)).params, seconds: 12, imagesPerSec: 650, worker: 'in-process' }, cached: false }, 12_000);
    }
    for (const s of batch) emit({ type: 'autotrain/candidate-evaluated', ...s }, 5);
    samples.push(...batch);
    const pred = batch.map((s) => s.predicted!);
    const acc = batch.map((s) => s.accuracy);
    const metrics = { n: batch.length, kendallTau: kendallTauB(pred, acc), rmse: Math.sqrt(pred.reduce((a, v, i) => a + (v - acc[i]) ** 2, 0) / batch.length) };
    heldOut.push({ iteration: it, metrics });
    emit({ type: 'predictor/fitted', iteration: it, samples: samples.length, trainRmse: 0.012, heldOut: metrics }, 3_000);
    const best = batch.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
    emit({ type: 'autotrain/iteration-ended', iteration: it, trained: batch.length, bestAccuracy: best.accuracy, bestId: best.id });
    emit({ type: 'autotrain/checkpoint-saved', phase: 'iterations', iteration: it }, 100);
  }
  if (!reached('coarse')) return finish();
  const allPred = samples.filter((s) => s.predicted !== undefined);
  const predictor = {
    n: allPred.length,
    kendallTau: kendallTauB(allPred.map((s) => s.predicted!), allPred.map((s) => s.accuracy)),
    rmse: Math.sqrt(allPred.reduce((a, s) => a + (s.predicted! - s.accuracy) ** 2, 0) / allPred.length),
  };
  const coarse: CoarseResult = { budget: decision.budget, decision, samples, predictor, heldOut, seedToSeed: null };
  emit({ type: 'autotrain/completed', budget: decision.budget, samples: samples.length, bestAccuracy: Math.max(...samples.map((s) => s.accuracy)), predictor });
  writeJson(join(dir, 'coarse.json'), coarse);

  // Fine stage: the population climbs the predicted score under the FLOPs limit.
  const constraints = { maxFlops: V3_FIXTURE.maxFlops };
  const candidatesArchs = samples.map((s) => jointArch(space, s.point));
  const pop = Array.from({ length: 40 }, feasible)
    .map((p) => ({ p, s: atBudget(p, decision.budget) + 0.01 }))
    .sort((a, b) => b.s - a.s)
    .slice(0, V3_FIXTURE.population);
  const lut = o.lut ? fixtureLut([...candidatesArchs, ...pop.map((x) => jointArch(space, x.p))]) : undefined;
  const scored = (p: JointPoint, score: number): ScoredCandidate => {
    const arch = jointArch(space, p);
    const c = archCost(arch);
    return { point: p, score, cost: { flops: c.flops, params: c.params, ...(lut ? { latencyMs: archLatency(lut, arch).totalMs } : {}), ok: true, violations: [] } };
  };
  if (lut) writeJson(join(dir, 'lut.json'), lut);
  emit({ type: 'evolution/started', population: pop.length, constraints, mutationRate: 0.15 }, 500);
  let rate = 0.15;
  const top = pop[0].s;
  for (let g = 1; g <= V3_FIXTURE.generations; g++) {
    const improved = g < 8;
    rate = Math.min(0.5, Math.max(0.03, improved ? rate * 0.85 : rate * 1.3));
    emit({ type: 'evolution/generation', generation: g, bestScore: top - 0.03 * Math.exp(-0.4 * g), meanScore: top - 0.03 * Math.exp(-0.4 * g) - 0.04 * Math.exp(-0.25 * g), mutationRate: rate, children: 48, rejected: Math.round(20 * Math.exp(-0.2 * g)), improved }, 150);
  }
  const bestScore = top - 0.03 * Math.exp(-0.4 * V3_FIXTURE.generations);
  const population = pop.map((x, i) => scored(x.p, i === 0 ? bestScore : x.s));
  const evolution: EvolutionResult = { best: population[0], population, generations: V3_FIXTURE.generations, evaluated: 16 + 48 * V3_FIXTURE.generations, constraints };
  emit({ type: 'evolution/completed', ...evolution }, 200);
  writeJson(join(dir, 'fine.json'), { best: evolution.best, top: population.slice(0, 5), generations: evolution.generations, evaluated: evolution.evaluated, constraints });
  if (!reached('fine')) return finish();

  const point = evolution.best.point;
  const arch = parseArchDef({ ...jointArch(space, point), name: 'fbnet-v3-0' });
  const found = jointRecipe(space, point);
  const recipe = { ...found, epochs: V3_FIXTURE.trainEpochs };
  writeJson(join(dir, 'arch.json'), arch);
  writeJson(join(dir, 'recipe.json'), recipe);
  const cost = archCost(arch);
  const trEpochs = o.trainEpochs ?? V3_FIXTURE.trainEpochs;
  emit({ type: 'train/started', params: cost.params, stepsPerEpoch: 120, epochs: recipe.epochs, resumedAtEpoch: 0 });
  for (let e = 1; e <= trEpochs; e++) {
    emit({ type: 'train/epoch-ended', epoch: e, trainLoss: 1.4 * Math.exp(-0.45 * e) + 0.3, trainAccuracy: Math.min(0.95, 0.6 + 0.06 * e), valAccuracy: Math.min(0.91, 0.58 + 0.055 * e), lr: recipe.lr * 0.5 * (1 + Math.cos((Math.PI * e) / recipe.epochs)), imagesPerSec: 1500, seconds: 30 }, 30_000);
    emit({ type: 'train/checkpoint-saved', epoch: e, step: e * 120 }, 50);
  }
  if (trEpochs === V3_FIXTURE.trainEpochs && reached('done')) {
    emit({ type: 'train/completed', epochs: trEpochs, params: cost.params, valAccuracy: 0.893, testAccuracy: 0.8861, trainLoss: 0.33, seconds: 181.2 });
    mkdirSync(join(dir, 'model'), { recursive: true });
    writeJson(join(dir, 'model', 'model.json'), { format: 'layers-model', modelTopology: {} });
    writeJson(join(dir, 'final.json'), { testAccuracy: 0.8861, valAccuracy: 0.893, modelPath: join(dir, 'model', 'model.json') });
    const result: SearchV3Result = {
      testAccuracy: 0.8861,
      valAccuracy: 0.893,
      params: cost.params,
      flops: cost.flops,
      latencyMs: 0.912,
      ...(lut ? { predictedLatencyMs: archLatency(lut, arch).totalMs } : {}),
      backend: 'wasm',
      archPath: join(dir, 'arch.json'),
      modelPath: join(dir, 'model', 'model.json'),
      runDir: dir,
      predictor: { ...predictor, seedToSeedTau: null, seedToSeedN: 0 },
      recipe,
      point,
      predictedAccuracy: evolution.best.score,
      searchAccuracy: 0.874,
      chosenFrom: 'verified',
      earlyStopBudget: decision.budget,
      candidatesTrained: samples.length,
      constraints,
      seconds: { coarse: 812.4, fine: 21.3, train: 183.9, total: 1019.7 },
      space: V3_FIXTURE.space,
      dataSource: 'fashion-mnist',
      modelInputSize: 28,
    };
    writeJson(join(dir, 'result.json'), result);
  }
  return finish();

  function finish(): string {
    if (o.errorStage) emit({ type: 'stage/error', stage: o.errorStage, code: 'QUEUE', message: 'worker lost <redis>' });
    writeFileSync(join(dir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    return dir;
  }
}

function writeJson(path: string, v: unknown): void {
  writeFileSync(path, JSON.stringify(v, null, 2) + '\n');
}
