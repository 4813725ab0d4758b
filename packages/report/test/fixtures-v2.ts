import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { archFromChoice, getSearchSpacePreset, Rng, searchLayers, type ArchChoice, type ArchDef } from '@fbnet/core';
import type { DMaskingEvent, DMaskingEventMap, SearchV2Result, V2ArchSummary } from '@fbnet/dmasking';
import { archLatency } from '@fbnet/latency-lut';
import { archCost } from '@fbnet/shape-propagation';
import type { TrainEvent } from '@fbnet/train';
import { fixtureLut } from './test-lut.ts';

/*
 * A synthetic `search v2` run directory shaped exactly as @fbnet/dmasking's `searchV2` writes
 * it (events typed with its `DMaskingEventMap`; search.json, arch.json, final.json,
 * lut-arch.json or lut.json, result.json): P_α over blocks, widths, expansions and
 * resolutions drifting toward a target arch, effective FLOPs falling, sampled archs, the
 * derived arch, a final training and an exported model. Deterministic.
 */

export interface V2FixtureOptions {
  /** Supernet epochs to log (default all 8; 0 = no epoch finished). */
  supernetEpochs?: number;
  /** Log sampled/derived archs and write search.json and arch.json (default: when every epoch ran). */
  derive?: boolean;
  /** Training epochs to log (default all 5 when derived). */
  trainEpochs?: number;
  /** A latency-aware search with the space's table in lut.json (default: FLOPs-aware, lut-arch.json after training). */
  latency?: boolean;
  errorStage?: string;
  seed?: number;
}

export const V2_FIXTURE = { space: 'fbnet-v2-fmnist', supernetEpochs: 8, warmup: 2, trainEpochs: 5, sampled: 12, layers: 7 };

type FixtureEvent = DMaskingEvent | TrainEvent;

const softmax = (v: number[]) => {
  const m = Math.max(...v);
  const e = v.map((x) => Math.exp(x - m));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
};

export function makeV2Run(dir: string, o: V2FixtureOptions = {}): string {
  const rng = new Rng(o.seed ?? 11);
  const space = getSearchSpacePreset(V2_FIXTURE.space);
  const layers = searchLayers(space);
  const resolutions = space.resolutions!;
  const epochs = o.supernetEpochs ?? V2_FIXTURE.supernetEpochs;
  const derive = o.derive ?? epochs === V2_FIXTURE.supernetEpochs;
  const trEpochs = derive ? (o.trainEpochs ?? V2_FIXTURE.trainEpochs) : 0;
  const resource = o.latency ? 'latency' : 'flops';
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  writeJson(join(dir, 'config.json'), {
    version: 1,
    command: 'search v2',
    createdAt: '2026-11-29T11:00:00.000Z',
    seed: 0,
    options: { preset: 'quick', space: V2_FIXTURE.space, dataDir: null, lut: null, forceLut: false, backend: 'wasm', threads: null, queue: null },
  });

  // Architecture parameters α per choice key, drifting toward a target.
  const keys: DMaskingEventMap['dmasking/started']['choices'] = [];
  for (const l of layers) {
    keys.push({ key: `op/${l.index}`, kind: 'op', layer: l.index, options: [...l.candidates] });
    keys.push({ key: `channels/${l.index}`, kind: 'channels', layer: l.index, options: [...l.channels!] });
    keys.push({ key: `expansion/${l.index}`, kind: 'expansion', layer: l.index, options: [...l.expansions!] });
  }
  keys.push({ key: 'resolution', kind: 'resolution', options: [...resolutions] });
  const target: Record<string, number> = {};
  for (const k of keys) target[k.key] = k.kind === 'op' ? [0, 1, 0, 2, 0, 1, 0][k.layer! % 7] : k.kind === 'resolution' ? 1 : Math.min(k.options.length - 1, (k.layer! * 2 + 1) % k.options.length);
  const alpha: Record<string, number[]> = Object.fromEntries(keys.map((k) => [k.key, k.options.map(() => 0)]));
  const probs = () => Object.fromEntries(Object.entries(alpha).map(([k, a]) => [k, softmax(a)]));

  const events: (FixtureEvent & { t: number })[] = [];
  let t = 1_780_100_000_000;
  const emit = (e: FixtureEvent, dt = 1000) => {
    t += dt;
    events.push({ t, ...e });
  };
  let lut: ReturnType<typeof fixtureLut> | undefined;
  const choiceOf = (pick: (key: string, n: number) => number): ArchChoice => ({
    ops: layers.map((l) => pick(`op/${l.index}`, l.candidates.length)),
    channels: layers.map((l) => pick(`channels/${l.index}`, l.channels!.length)),
    expansions: layers.map((l) => pick(`expansion/${l.index}`, l.expansions!.length)),
    resolution: pick('resolution', resolutions.length),
  });
  const maxChoice = choiceOf(() => 0);

  emit({ type: 'dmasking/started', choices: keys, layers: layers.length, epochs: V2_FIXTURE.supernetEpochs, resumedAtEpoch: 0, params: 98_765, resource, spaceSizeLog10: 11.6 });
  for (let e = 1; e <= epochs; e++) {
    const warm = e <= V2_FIXTURE.warmup;
    if (!warm) for (const k of keys) alpha[k.key].forEach((_, i) => (alpha[k.key][i] += (i === target[k.key] ? 0.6 : 0) + rng.normal() * 0.1));
    const p = probs();
    const flops = 2.4e6 * Math.pow(0.88, e) + rng.uniform(0, 2e4);
    const ce = 2.0 * Math.exp(-0.2 * e) + 0.3 + rng.uniform(0, 0.02);
    emit(
      {
        type: 'dmasking/epoch-ended',
        epoch: e,
        temperature: 5 * Math.pow(0.7, e - 1),
        weightLoss: ce * 0.2 * Math.pow(Math.log(flops / 1e3), 0.3),
        weightCe: ce,
        ...(warm ? {} : { thetaLoss: (ce + 0.08) * 0.2 * Math.pow(Math.log(flops / 1e3), 0.3), thetaCe: ce + 0.08, thetaAccuracy: Math.min(0.9, 0.4 + 0.06 * e) }),
        effectiveFlops: flops,
        effectiveParams: 60_000 * Math.pow(0.9, e),
        sampledFlops: flops * 1.15,
        ...(o.latency ? { expectedLatencyMs: 0.8 * Math.pow(0.9, e) + 0.2 } : {}),
        argmaxFlops: flops * 0.7,
        lrWeights: 0.1 * 0.5 * (1 + Math.cos((Math.PI * e) / V2_FIXTURE.supernetEpochs)),
        seconds: 30 + rng.uniform(0, 2),
        imagesPerSec: 320 + rng.uniform(-10, 10),
      },
      30_000,
    );
    const layerDists = layers.map((l) => ({ layer: l.index, ops: p[`op/${l.index}`], channels: p[`channels/${l.index}`], expansions: p[`expansion/${l.index}`] }));
    emit({ type: 'dmasking/distributions', epoch: e, layers: layerDists, resolution: p.resolution, resolutions: [...resolutions] }, 5);
    emit({ type: 'dmasking/checkpoint-saved', epoch: e }, 100);
  }

  let derived: V2ArchSummary | undefined;
  if (derive) {
    const p = probs();
    const describe = (choice: ArchChoice): Omit<V2ArchSummary, 'latencyMs'> => {
      const arch = archFromChoice(space, choice);
      const cost = archCost(arch);
      const capacity = cost.flops / 1e6;
      const prob = Object.entries(p).reduce((a, [k, pk]) => {
        const [kind, l] = k.split('/');
        const idx = k === 'resolution' ? choice.resolution! : kind === 'op' ? choice.ops[+l] : kind === 'channels' ? choice.channels![+l] : choice.expansions![+l];
        return a * pk[idx];
      }, 1);
      return {
        choice,
        ops: layers.map((l) => l.candidates[choice.ops[l.index]]),
        channels: layers.map((l) => l.channels![choice.channels![l.index]]),
        expansions: layers.map((l) => (l.candidates[choice.ops[l.index]] === 'skip' ? null : l.expansions![choice.expansions![l.index]])),
        resolution: arch.input_size,
        arch,
        flops: cost.flops,
        params: cost.params,
        probability: prob,
        supernetAccuracy: Math.min(0.92, 0.72 + 0.05 * Math.log1p(capacity * 4) + rng.uniform(-0.015, 0.015)),
      };
    };
    const sampledChoices: ArchChoice[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < 100 && sampledChoices.length < V2_FIXTURE.sampled; i++) {
      const c = choiceOf((key) => rng.categorical(p[key]));
      if (seen.has(JSON.stringify(c))) continue;
      seen.add(JSON.stringify(c));
      sampledChoices.push(c);
    }
    const argmax = choiceOf((key) => p[key].indexOf(Math.max(...p[key])));
    const described = [...sampledChoices, argmax].map(describe);
    // A latency-aware search's table of the space: here just every step the logged archs need.
    if (o.latency) {
      lut = fixtureLut([archFromChoice(space, maxChoice), ...described.map((d) => d.arch)], [{ kind: 'space', name: space.name, hash: 'h', space } as never]);
    }
    const withLat = (d: Omit<V2ArchSummary, 'latencyMs'>): V2ArchSummary => (lut ? { ...d, latencyMs: archLatency(lut, d.arch).totalMs } : d);
    const sampled = described.slice(0, -1).map(withLat);
    derived = sampled.find((s) => JSON.stringify(s.choice) === JSON.stringify(argmax)) ?? withLat(described[described.length - 1]);
    emit({ type: 'search/arch-sampled', archs: sampled }, 8_000);
    emit({ type: 'search/arch-derived', ...derived }, 500);
    writeJson(join(dir, 'search.json'), { derived, sampled, alphas: alpha });
    writeJson(join(dir, 'arch.json'), { ...derived.arch, name: 'fbnet-v2-0' });
  }
  if (lut) writeJson(join(dir, 'lut.json'), lut);

  if (derived && trEpochs > 0) {
    const arch = { ...derived.arch, name: 'fbnet-v2-0' } as ArchDef;
    const params = archCost(arch).params;
    emit({ type: 'train/started', params, stepsPerEpoch: 80, epochs: V2_FIXTURE.trainEpochs, resumedAtEpoch: 0 });
    for (let e = 1; e <= trEpochs; e++) {
      emit({ type: 'train/epoch-ended', epoch: e, trainLoss: 1.5 * Math.exp(-0.4 * e) + 0.35, trainAccuracy: Math.min(0.94, 0.58 + 0.07 * e), valAccuracy: Math.min(0.9, 0.55 + 0.06 * e), lr: 0.1 * 0.5 * (1 + Math.cos((Math.PI * e) / V2_FIXTURE.trainEpochs)), imagesPerSec: 1800, seconds: 20 }, 20_000);
      emit({ type: 'train/checkpoint-saved', epoch: e, step: e * 80 }, 50);
    }
    if (trEpochs === V2_FIXTURE.trainEpochs) {
      emit({ type: 'train/completed', epochs: trEpochs, params, valAccuracy: 0.851, testAccuracy: 0.8437, trainLoss: 0.41, seconds: 101.5 });
      mkdirSync(join(dir, 'model'), { recursive: true });
      writeJson(join(dir, 'model', 'model.json'), { format: 'layers-model', modelTopology: {} });
      writeJson(join(dir, 'final.json'), { testAccuracy: 0.8437, valAccuracy: 0.851, modelPath: join(dir, 'model', 'model.json') });
      // The derived arch's own table, measured after training (a FLOPs-aware search has no table of the space).
      const archLut = lut ?? fixtureLut([arch]);
      if (!lut) {
        writeJson(join(dir, 'lut-arch.json'), archLut);
        emit({ type: 'stage/started', stage: 'latency-lut', config: { backend: 'wasm', entries: archLut.entries.length } });
        emit({ type: 'stage/completed', stage: 'latency-lut', result: { entries: archLut.entries.length } }, 2_000);
      }
      const predicted = archLatency(archLut, arch).totalMs;
      const cost = archCost(arch);
      const result: SearchV2Result = {
        testAccuracy: 0.8437,
        valAccuracy: 0.851,
        params: cost.params,
        flops: cost.flops,
        latencyMs: predicted * 1.06,
        predictedLatencyMs: predicted,
        backend: 'wasm',
        arch: derived.ops,
        channels: derived.channels,
        expansions: derived.expansions,
        resolution: derived.resolution,
        modelInputSize: 28,
        resource,
        archPath: join(dir, 'arch.json'),
        modelPath: join(dir, 'model', 'model.json'),
        runDir: dir,
        seconds: { lut: o.latency ? 95.2 : 0, search: 262.4, train: 104.9, total: 470.1 },
      };
      writeJson(join(dir, 'result.json'), result);
    }
  }
  if (o.errorStage) emit({ type: 'stage/error', stage: o.errorStage, code: 'NUMERIC', message: 'loss became NaN <epoch 3>' });
  writeFileSync(join(dir, 'events.jsonl'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return dir;
}

function writeJson(path: string, v: unknown): void {
  writeFileSync(path, JSON.stringify(v, null, 2) + '\n');
}
