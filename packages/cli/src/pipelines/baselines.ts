import { existsSync, readFileSync } from 'node:fs';
import { archFromChoice, FbnetError, getSearchSpacePreset, Rng, searchLayers, type ArchDef } from '@fbnet/core';
import { archLatency, measureNet, resolveTiming, type LatencyTable } from '@fbnet/latency-lut';
import { writeJsonAtomic } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { parseRecipe, Trainer } from '@fbnet/train';
import { follow } from '../streams.ts';
import type { SearchV1Preset } from '@fbnet/pipeline';
import { loadV1Data } from './v1-data.ts';

/**
 * Baselines a V1 search must beat: the nets a practitioner would try without a search.
 * - the uniform nets of the space (one candidate block in every searchable layer), and
 * - N archs drawn uniformly at random from the space (random search with N samples),
 * each trained with the search's final recipe, on the same data splits and seed, and timed end to
 * end on this device as the search's result is. Their accuracy–latency Pareto front is the bar.
 */
export interface BaselineNet {
  kind: 'uniform' | 'random';
  /** `uniform k3_e3` or `random 2`. */
  name: string;
  ops: string[];
  testAccuracy: number;
  valAccuracy?: number;
  /** Measured batch-1 latency (median, ms) on the backend the baselines ran on. */
  latencyMs: number;
  /** The latency table's prediction, when a table was given. */
  predictedMs?: number;
  params: number;
  flops: number;
  seconds: number;
}

export interface BaselinesFile {
  version: 1;
  kind: 'fbnet-v1-baselines';
  preset: string;
  space: string;
  seed: number;
  backend: string;
  random: number;
  nets: BaselineNet[];
  /** Names of the nets on the accuracy–latency Pareto front, fastest first. */
  front: string[];
}

export interface BaselinesOptions {
  preset: SearchV1Preset;
  presetName: string;
  seed: number;
  /** How many random archs besides the uniform nets. */
  random: number;
  backend: string;
  dataDir?: string;
  lut?: LatencyTable;
  /** Results so far go here after every net (atomic), and a rerun skips the nets it holds. */
  out: string;
  onNet?: (net: BaselineNet, done: number, total: number) => void;
  onEpoch?: (name: string, epoch: number, epochs: number, valAccuracy?: number) => void;
  signal?: AbortSignal;
}

/** The nets of the harness, in order: uniform nets of every candidate, then seeded random draws (no repeats). */
export function baselineArchs(spaceName: string, random: number, seed: number): { kind: BaselineNet['kind']; name: string; ops: number[] }[] {
  const space = getSearchSpacePreset(spaceName);
  const layers = searchLayers(space);
  const ids = layers[0].candidates;
  const nets: { kind: BaselineNet['kind']; name: string; ops: number[] }[] = ids.map((id, k) => ({ kind: 'uniform', name: `uniform ${id}`, ops: layers.map(() => k) }));
  const seen = new Set(nets.map((n) => n.ops.join()));
  const rng = new Rng(seed).fork('baselines-random');
  for (let tries = 0; nets.length < ids.length + random && tries < random * 100; tries++) {
    const ops = layers.map((l) => rng.int(l.candidates.length));
    if (seen.has(ops.join())) continue;
    seen.add(ops.join());
    nets.push({ kind: 'random', name: `random ${nets.length - ids.length + 1}`, ops });
  }
  return nets;
}

/** Nets no other net beats in both accuracy and latency (ties kept), fastest first. */
export function paretoFront<T extends { latencyMs: number; testAccuracy: number }>(nets: readonly T[]): T[] {
  const ok = nets.filter((n) => Number.isFinite(n.latencyMs) && Number.isFinite(n.testAccuracy));
  return ok
    .filter((a) => !ok.some((b) => b !== a && b.latencyMs <= a.latencyMs && b.testAccuracy >= a.testAccuracy && (b.latencyMs < a.latencyMs || b.testAccuracy > a.testAccuracy)))
    .sort((a, b) => a.latencyMs - b.latencyMs);
}

/** The front's accuracy at a latency: the most accurate baseline no slower than `latencyMs` (undefined if all are slower). */
export function bestAtOrBelow<T extends { latencyMs: number; testAccuracy: number }>(nets: readonly T[], latencyMs: number): T | undefined {
  let best: T | undefined;
  for (const n of nets) if (n.latencyMs <= latencyMs && (!best || n.testAccuracy > best.testAccuracy)) best = n;
  return best;
}

/**
 * The front drawn as straight lines between its nets: the accuracy a baseline between two front
 * nets could be expected to reach at `latencyMs` — a stricter bar than `bestAtOrBelow`'s steps.
 * Null below the fastest net; the slowest front net's accuracy beyond it.
 */
export function frontInterpolated<T extends { latencyMs: number; testAccuracy: number }>(nets: readonly T[], latencyMs: number): number | null {
  const f = paretoFront(nets);
  if (!f.length || latencyMs < f[0].latencyMs) return null;
  for (let i = 1; i < f.length; i++) {
    const a = f[i - 1], b = f[i];
    if (latencyMs <= b.latencyMs) return a.testAccuracy + ((b.testAccuracy - a.testAccuracy) * (latencyMs - a.latencyMs)) / Math.max(b.latencyMs - a.latencyMs, 1e-12);
  }
  return f[f.length - 1].testAccuracy;
}

/** What a search's result says about the baselines: the best one at or below its latency, and the margin. */
export function compareToBaselines(file: BaselinesFile, found: { testAccuracy: number; latencyMs: number }) {
  const best = bestAtOrBelow(file.nets, found.latencyMs);
  return {
    file: { preset: file.preset, seed: file.seed, backend: file.backend, nets: file.nets.length },
    name: best?.name ?? null,
    testAccuracy: best?.testAccuracy ?? null,
    latencyMs: best?.latencyMs ?? null,
    /** Found minus best baseline, in accuracy points (null when every baseline is slower). */
    marginPts: best ? (found.testAccuracy - best.testAccuracy) * 100 : null,
    /** Found minus the straight-line front at its latency, in points (see frontInterpolated). */
    marginToInterpolatedFrontPts: ((f) => (f === null ? null : (found.testAccuracy - f) * 100))(frontInterpolated(file.nets, found.latencyMs)),
  };
}

export function readBaselines(path: string): BaselinesFile {
  let j: BaselinesFile;
  try {
    j = JSON.parse(readFileSync(path, 'utf8')) as BaselinesFile;
  } catch (e) {
    throw new FbnetError('FILE_INVALID', `baselines file ${path}: ${(e as Error).message}`);
  }
  if (j?.kind !== 'fbnet-v1-baselines' || j.version !== 1 || !Array.isArray(j.nets)) {
    throw new FbnetError('FILE_INVALID', `${path} is not a baselines file (kind "fbnet-v1-baselines", version 1, nets[]); make one with fbnet bench baselines`);
  }
  return j;
}

/** Train and time every baseline net; resumable through `out`. */
export async function runBaselines(o: BaselinesOptions): Promise<BaselinesFile> {
  const p = o.preset;
  const prev = existsSync(o.out) ? readBaselines(o.out) : undefined;
  if (prev && (prev.preset !== o.presetName || prev.seed !== o.seed || prev.backend !== o.backend)) {
    throw new FbnetError('USAGE', `${o.out} holds baselines for preset ${prev.preset}, seed ${prev.seed}, ${prev.backend}; write these to another file`);
  }
  const file: BaselinesFile = { version: 1, kind: 'fbnet-v1-baselines', preset: o.presetName, space: p.space, seed: o.seed, backend: o.backend, random: o.random, nets: prev?.nets ?? [], front: [] };
  const plan = baselineArchs(p.space, o.random, o.seed);
  const space = getSearchSpacePreset(p.space);
  const layers = searchLayers(space);
  const { train, val, test, normalization } = loadV1Data(p, o.dataDir, o.seed);
  const recipe = parseRecipe(p.final);
  for (const b of plan) {
    if (o.signal?.aborted) break;
    if (file.nets.some((n) => n.name === b.name)) continue;
    const t0 = Date.now();
    const arch: ArchDef = archFromChoice(space, { ops: b.ops });
    const trainer = new Trainer({ arch, train, val, test, recipe, seed: o.seed, normalization });
    const sub = follow(trainer.events$, (e) => e.type === 'train/epoch-ended' && o.onEpoch?.(b.name, e.epoch, recipe.epochs, e.valAccuracy));
    const stop = () => trainer.cancel();
    o.signal?.addEventListener('abort', stop);
    let r;
    try {
      r = await trainer.run();
    } finally {
      o.signal?.removeEventListener('abort', stop);
      sub.unsubscribe();
      trainer.dispose();
    }
    if (r.epochs < recipe.epochs) break;
    const measured = await measureNet(arch, resolveTiming({ timeMs: 1000, minSamples: 30 }), { seed: o.seed });
    const cost = archCost(arch);
    const net: BaselineNet = {
      kind: b.kind,
      name: b.name,
      ops: b.ops.map((k, l) => layers[l].candidates[k]),
      testAccuracy: r.testAccuracy ?? NaN,
      valAccuracy: r.valAccuracy,
      latencyMs: measured.medianMs,
      ...(o.lut ? { predictedMs: archLatency(o.lut, arch).totalMs } : {}),
      params: cost.params,
      flops: cost.flops,
      seconds: (Date.now() - t0) / 1000,
    };
    file.nets.push(net);
    file.front = paretoFront(file.nets).map((n) => n.name);
    writeJsonAtomic(o.out, file);
    o.onNet?.(net, file.nets.length, plan.length);
  }
  file.front = paretoFront(file.nets).map((n) => n.name);
  writeJsonAtomic(o.out, file);
  return file;
}
