import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archFromChoice, getSearchSpacePreset, resolveArch, Rng, searchLayers, type ArchDef } from '@fbnet/core';
import { archCost } from '@fbnet/shape-propagation';

/*
 * A synthetic `search v1` run directory with realistic contents: a LUT measured for the
 * fmnist V1 space (plausible latencies from FLOPs), supernet epochs whose P_θ converges to a
 * target arch, sampled archs, the derived arch, a final training and an exported model.
 * Options cut it short to test partial runs. Timestamps and values are deterministic.
 */

export interface FixtureOptions {
  /** Write lut.json (default true). */
  lut?: boolean;
  /** Supernet epochs to log (default all 8; 0 = the supernet never finished an epoch). */
  supernetEpochs?: number;
  /** Log search/arch-sampled and search/arch-derived and write arch.json (default: when all supernet epochs ran). */
  derive?: boolean;
  /** Training epochs to log (default all 6 when derived). */
  trainEpochs?: number;
  /** Log a stage/error for this stage at the end. */
  errorStage?: string;
  seed?: number;
  /** Search-space preset (default the fmnist V1 space). */
  space?: string;
  /** Extra config options. */
  options?: Record<string, unknown>;
}

export const FIXTURE = { space: 'fbnet-v1-fmnist', supernetEpochs: 8, warmup: 2, trainEpochs: 6, sampled: 40 };

export function makeV1Run(dir: string, o: FixtureOptions = {}): string {
  const rng = new Rng(o.seed ?? 7);
  const space = getSearchSpacePreset(o.space ?? FIXTURE.space);
  const layers = searchLayers(space);
  const cands = layers.map((l) => [...l.candidates]);
  const snEpochs = o.supernetEpochs ?? FIXTURE.supernetEpochs;
  const derive = o.derive ?? snEpochs === FIXTURE.supernetEpochs;
  const trEpochs = derive ? (o.trainEpochs ?? FIXTURE.trainEpochs) : 0;
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  writeJson(join(dir, 'config.json'), {
    version: 1,
    command: 'search v1',
    createdAt: '2026-11-29T10:00:00.000Z',
    seed: 0,
    // As `fbnet search v1` records them (the space is found through lut.json's sources).
    options: { preset: 'quick', dataDir: null, lut: null, forceLut: false, backend: 'wasm', threads: null, note: 'synthetic <fixture> & "quotes"', ...(o.options ?? {}) },
  });

  // LUT: one block entry per (layer input, candidate spec), latency grows with FLOPs.
  const entries = new Map<string, Record<string, unknown>>();
  const lat = (flops: number, op: string) => (op === 'skip' ? 0.012 : 0.03) + flops / 2e6 + rng.uniform(0, 0.01);
  const matrix: number[][] = layers.map(() => []);
  let fixedMs = 0;
  const maxK = Math.max(...cands.map((c) => c.length));
  for (let k = 0; k < maxK; k++) {
    const def = archFromChoice(space, { ops: layers.map((l) => Math.min(k, l.candidates.length - 1)) });
    const r = resolveArch(def);
    const cost = archCost(r);
    r.blocks.forEach((b, i) => {
      const bc = cost.blocks[i];
      const key = `${bc.input.join('x')}|${JSON.stringify(b.spec)}`;
      if (!entries.has(key)) {
        const m = lat(bc.flops, b.spec.op);
        entries.set(key, { kind: 'block', key: `block:${b.spec.op}#${entries.size}`, opType: b.spec.op, input: bc.input, output: bc.output, spec: b.spec, medianMs: m, p10Ms: m * 0.93, p90Ms: m * 1.12, samples: 64, syncMs: 0.01 });
      }
    });
  }
  // Which block instance each layer is: the stem is one fixed block before the layers.
  const matrixFor = (choiceOps: number[]) => {
    const r = resolveArch(archFromChoice(space, { ops: choiceOps }));
    const cost = archCost(r);
    return r.blocks.map((b, i) => entries.get(`${cost.blocks[i].input.join('x')}|${JSON.stringify(b.spec)}`)!.medianMs as number);
  };
  for (let k = 0; k < maxK; k++) {
    const per = matrixFor(layers.map((l) => Math.min(k, l.candidates.length - 1)));
    layers.forEach((_, l) => (matrix[l][k] = per[l + 1]));
    if (k === 0) fixedMs = per[0] + 0.05;
  }
  if (o.lut !== false) {
    writeJson(join(dir, 'lut.json'), {
      kind: 'fbnet-latency-lut',
      version: 1,
      createdAt: '2026-11-29T09:00:00.000Z',
      updatedAt: '2026-11-29T09:05:00.000Z',
      device: { cpuModel: 'Synthetic CPU <x86_64> @ 3.0GHz', cores: 2, os: 'linux 6.1', runtime: 'node 20.20.2', backend: 'wasm', backendVersion: '4.22.0', planHash: 'abc123' },
      timing: { method: 'tinybench', batch: 1, timeMs: 200, warmupMs: 50, minSamples: 64, warmupSamples: 8 },
      sources: [{ kind: 'space', name: space.name, hash: 'h', space }],
      entries: [...entries.values()],
      measureSec: 312.5,
    });
  }

  // Supernet: logits drift toward a target arch; P_θ = softmax(θ).
  const target = layers.map((l, i) => [3, 7, 2, 6, 8, 1, 3][i % 7] % l.candidates.length);
  const events: Record<string, unknown>[] = [];
  let t = 1_780_000_000_000;
  const emit = (e: Record<string, unknown>, dt = 1000) => {
    t += dt;
    events.push({ t, ...e });
  };
  emit({ type: 'stage/started', stage: 'latency-lut' });
  emit({ type: 'lut/saved', path: 'lut.json', entries: entries.size }, 300_000);
  emit({ type: 'stage/completed', stage: 'latency-lut' });
  emit({ type: 'stage/started', stage: 'supernet' });
  emit({ type: 'supernet/started', layers: layers.length, candidates: cands, epochs: FIXTURE.supernetEpochs, resumedAtEpoch: 0, params: 412_345 });
  const theta = layers.map((l) => l.candidates.map(() => 0));
  const softmax = (v: number[]) => {
    const m = Math.max(...v);
    const e = v.map((x) => Math.exp(x - m));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((x) => x / s);
  };
  let probs = theta.map(softmax);
  for (let e = 1; e <= snEpochs; e++) {
    const warm = e <= FIXTURE.warmup;
    if (!warm) {
      theta.forEach((row, l) => row.forEach((_, k) => (row[k] += (k === target[l] ? 0.75 : 0) + rng.normal() * 0.15 - (cands[l][k] === 'skip' ? 0.05 : 0))));
    }
    probs = theta.map(softmax);
    const expLat = fixedMs + probs.reduce((a, p, l) => a + p.reduce((b, q, k) => b + q * matrix[l][k], 0), 0);
    const ce = 2.1 * Math.exp(-0.18 * e) + 0.25 + rng.uniform(0, 0.03);
    emit(
      {
        type: 'supernet/epoch-ended',
        epoch: e,
        temperature: 5 * Math.pow(0.956, e),
        weightLoss: ce * 0.2 * Math.pow(Math.log(1 + expLat), 0.6),
        weightCe: ce,
        ...(warm ? {} : { thetaLoss: (ce + 0.1) * 0.2 * Math.pow(Math.log(1 + expLat), 0.6), thetaCe: ce + 0.1, thetaAccuracy: Math.min(0.92, 0.45 + 0.055 * e) }),
        latencyMs: expLat,
        lrWeights: 0.1 * 0.5 * (1 + Math.cos((Math.PI * e) / FIXTURE.supernetEpochs)),
        seconds: 41 + rng.uniform(0, 3),
        imagesPerSec: 1180 + rng.uniform(-40, 40),
      },
      44_000,
    );
    emit({ type: 'supernet/theta', epoch: e, probs: probs.map((p) => p.map((x) => Number(x.toFixed(6)))) }, 10);
    emit({ type: 'supernet/checkpoint-saved', epoch: e }, 200);
  }
  const accOf = new Map<string, number>();
  const summarize = (ops: number[]) => {
    const arch = archFromChoice(space, { ops });
    const latencyMs = fixedMs + ops.reduce((a, k, l) => a + matrix[l][k], 0);
    const capacity = ops.reduce((a, k, l) => a + (/e6/.test(cands[l][k]) ? 2 : /e3/.test(cands[l][k]) ? 1.3 : cands[l][k] === 'skip' ? 0 : 0.7), 0);
    return {
      choice: { ops },
      ops: ops.map((k, l) => cands[l][k]),
      arch,
      latencyMs,
      probability: ops.reduce((a, k, l) => a * probs[l][k], 1),
      // The same arch evaluates to the same accuracy (deterministic eval on a fixed split).
      supernetAccuracy: accOf.get(ops.join()) ?? accOf.set(ops.join(), Math.min(0.93, 0.7 + capacity * 0.015 + rng.uniform(-0.02, 0.02))).get(ops.join())!,
    };
  };
  let derived: ReturnType<typeof summarize> | undefined;
  if (derive) {
    const sampled = Array.from({ length: FIXTURE.sampled }, () => summarize(probs.map((p) => rng.categorical(p))));
    emit({ type: 'search/arch-sampled', archs: sampled }, 20_000);
    derived = summarize(probs.map((p) => p.indexOf(Math.max(...p))));
    emit({ type: 'search/arch-derived', ...derived });
    writeJson(join(dir, 'search.json'), { derived, sampled });
    writeJson(join(dir, 'arch.json'), { ...derived.arch, name: 'fbnet-v1-0' });
  }
  if (snEpochs === FIXTURE.supernetEpochs) emit({ type: 'stage/completed', stage: 'supernet' });
  if (derived && trEpochs > 0) {
    emit({ type: 'stage/started', stage: 'train' });
    emit({ type: 'train/started', params: archCost(derived.arch as ArchDef).params, stepsPerEpoch: 94, epochs: FIXTURE.trainEpochs, resumedAtEpoch: 0 });
    for (let e = 1; e <= trEpochs; e++) {
      emit(
        {
          type: 'train/epoch-ended',
          epoch: e,
          trainLoss: 1.6 * Math.exp(-0.35 * e) + 0.3,
          trainAccuracy: Math.min(0.95, 0.55 + 0.07 * e),
          valAccuracy: Math.min(0.9, 0.52 + 0.062 * e - rng.uniform(0, 0.01)),
          lr: 0.1 * 0.5 * (1 + Math.cos((Math.PI * e) / FIXTURE.trainEpochs)),
          imagesPerSec: 2400,
          seconds: 25,
        },
        25_000,
      );
      emit({ type: 'train/checkpoint-saved', epoch: e, step: e * 94 }, 100);
    }
    if (trEpochs === FIXTURE.trainEpochs) {
      const cost = archCost(derived.arch as ArchDef);
      emit({ type: 'train/completed', epochs: trEpochs, params: cost.params, valAccuracy: 0.884, testAccuracy: 0.8712, trainLoss: 0.35, seconds: 151.2 });
      emit({ type: 'stage/completed', stage: 'train' });
      mkdirSync(join(dir, 'model'), { recursive: true });
      writeJson(join(dir, 'model', 'model.json'), { format: 'layers-model', modelTopology: {} });
      writeJson(join(dir, 'final.json'), { testAccuracy: 0.8712, valAccuracy: 0.884, modelPath: join(dir, 'model', 'model.json') });
      writeJson(join(dir, 'result.json'), {
        testAccuracy: 0.8712,
        valAccuracy: 0.884,
        params: cost.params,
        flops: cost.flops,
        latencyMs: derived.latencyMs * 1.08,
        predictedLatencyMs: derived.latencyMs,
        backend: 'wasm',
        arch: derived.ops,
        archPath: join(dir, 'arch.json'),
        modelPath: join(dir, 'model', 'model.json'),
        runDir: dir,
        seconds: { lut: 301.2, search: 377.5, train: 154.3, total: 833.0 },
        baseline: { name: 'uniform k5_e6', testAccuracy: 0.875, latencyMs: 0.9, marginPts: -0.38, marginToInterpolatedFrontPts: -0.38 },
      });
      const net = (kind: string, name: string, ops: string, testAccuracy: number, latencyMs: number) => ({ kind, name, ops: ops.split(' '), testAccuracy, latencyMs, params: 20_000 });
      writeJson(join(dir, 'baselines.json'), {
        version: 1,
        kind: 'fbnet-v1-baselines',
        preset: 'quick',
        space: 'fbnet-v1-fmnist',
        seed: 0,
        backend: 'wasm',
        random: 1,
        nets: [
          net('uniform', 'uniform k3_e1', 'k3_e1 k3_e1 k3_e1 k3_e1 k3_e1 k3_e1 k3_e1', 0.84, 0.14),
          net('uniform', 'uniform k3_e3', 'k3_e3 k3_e3 k3_e3 k3_e3 k3_e3 k3_e3 k3_e3', 0.86, 0.3),
          net('uniform', 'uniform k5_e6', 'k5_e6 k5_e6 k5_e6 k5_e6 k5_e6 k5_e6 k5_e6', 0.875, 0.9),
          net('random', 'random 1', 'k3_e1 skip k5_e6 k3_e3 k3_e1 k5_e3 k3_e6', 0.85, 0.33),
        ],
        front: ['uniform k3_e1', 'uniform k3_e3', 'uniform k5_e6'],
      });
    }
  }
  if (o.errorStage) emit({ type: 'stage/error', stage: o.errorStage, code: 'NUMERIC', message: 'loss became NaN at epoch 3 <step 12>' });
  writeFileSync(join(dir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return dir;
}

function writeJson(path: string, v: unknown): void {
  writeFileSync(path, JSON.stringify(v, null, 2) + '\n');
}
