import { relative, resolve } from 'node:path';
import { lastValueFrom, takeUntil, tap, fromEvent, EMPTY } from 'rxjs';
import { FbnetError, getSearchSpacePreset, parseArchDef, parseSearchSpace, runStage, type ArchDef, type BackendPlugin, type KernelPlan, type EventBase, type SearchSpace } from '@fbnet/core';
import {
  FASHION_MNIST_MEAN,
  FASHION_MNIST_STD,
  FBNET_WEIGHTS_THETA_FRACTIONS,
  loadFashionMnist,
  numClasses,
  selectClassBalanced,
  splitDataset,
  splitTrainVal,
  takeSamples,
  type ImageDataset,
} from '@fbnet/data';
import { archLatency, LatencyModel, loadLut, measureLut, measureNet, nodeFingerprint, resolveTiming, type LatencyTable } from '@fbnet/latency-lut';
import type { RunDir } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { parseRecipe, Trainer } from '@fbnet/train';
import type { V2ArchSummary } from './events.ts';
import { exportV2Model, resizeDataset } from './export.ts';
import type { SearchV2Preset } from './presets.ts';
import { dmaskingStage, type ResourceKind } from './search.ts';

export interface SearchV2Context {
  /** The backend plugin, already initialised by the caller (the CLI). */
  backend: BackendPlugin;
  /** The device's kernel plan the backend runs with (its hash goes into latency tables; measuring a table keeps it active). */
  plan?: KernelPlan;
  /** Every stage event (the CLI logs them to the run and draws `stage/progress`). */
  log(e: EventBase): void;
  /** A line for the user. */
  info(line: string): void;
}

export interface SearchV2Options {
  preset: SearchV2Preset;
  /** A search space (or preset name) instead of the preset's; must take the data set's 28x28x1 images. */
  space?: SearchSpace | string;
  presetName?: string;
  dataDir?: string;
  /** A latency table of the space to reuse (for `resource: 'latency'`, and to predict the derived arch's latency). */
  lut?: string;
  forceLut?: boolean;
  /** Override the preset's resource term. */
  resource?: ResourceKind;
  /** Aborting stops the running phase at a step boundary; the run resumes from its last checkpoint. */
  signal?: AbortSignal;
}

export interface SearchV2Result {
  testAccuracy: number;
  valAccuracy?: number;
  params: number;
  flops: number;
  /** Measured batch-1 latency of the derived net on this backend (at its resolution). */
  latencyMs: number;
  /** LAT(a) from the latency table (the space's, or one measured for the derived arch). */
  predictedLatencyMs: number;
  backend: string;
  /** Candidate id, width and expansion per searchable layer; the input resolution. */
  arch: string[];
  channels: number[];
  expansions: (number | null)[];
  resolution: number;
  /** The exported model's input (raw pixels; it resizes to `resolution` inside). */
  modelInputSize: number;
  resource: ResourceKind;
  archPath: string;
  modelPath: string;
  runDir: string;
  seconds: { lut: number; search: number; train: number; total: number };
}

interface SearchFile {
  derived: V2ArchSummary;
  sampled: V2ArchSummary[];
  alphas: Record<string, number[]>;
}

/** At most `n` images, class-balanced and seeded (the whole set when n is undefined or larger). */
function limit(ds: ImageDataset, n: number | undefined, seed: number): ImageDataset {
  if (n === undefined || n >= ds.count) return ds;
  const k = numClasses(ds);
  return takeSamples(ds, selectClassBalanced(ds.labels, k, Math.floor(n / k), seed));
}

function interrupted(run: RunDir, what: string): FbnetError {
  return new FbnetError('CHECKPOINT', `${what} interrupted; resume with: fbnet search v2 --resume ${run.path}`);
}

/**
 * FBNetV2 end to end, composed as `fbnet search v1` is: (latency table of the space, when the
 * search is latency-aware) → DMasking supernet over blocks, widths, expansions and resolution →
 * argmax → arch def → train the derived arch from scratch at its resolution → export (a model
 * taking the raw input and resizing inside) → latency from a table and measured. Every phase
 * writes into the run directory and is skipped or resumed when the run is opened again.
 */
export async function searchV2(run: RunDir, ctx: SearchV2Context, options: SearchV2Options): Promise<SearchV2Result> {
  const t0 = Date.now();
  const p = options.preset;
  const space = typeof options.space === 'object' ? parseSearchSpace(options.space) : getSearchSpacePreset(options.space ?? p.space);
  const seed = run.config.seed;
  const resource = options.resource ?? p.resource;
  const signal = options.signal;
  const aborted$ = signal ? fromEvent(signal, 'abort') : EMPTY;
  if (signal?.aborted) throw interrupted(run, 'search');
  const timing = resolveTiming(p.lutTiming);

  // 1. Latency table of the whole space (only for a latency-aware search, or when one is given).
  const tl = Date.now();
  let spaceLut: LatencyTable | undefined = run.readJson<LatencyTable>('lut.json');
  if (!spaceLut && options.lut) {
    spaceLut = loadLut(options.lut, { device: nodeFingerprint(ctx.backend, ctx.plan), force: options.forceLut });
    run.writeJson('lut.json', spaceLut);
    ctx.info(`latency table: reusing ${options.lut} (${spaceLut.entries.length} entries)`);
  }
  if (resource === 'latency' && (!spaceLut || !hasAll(space, spaceLut))) {
    ctx.info(`latency table: measuring ${space.name} on ${ctx.backend.id} (every block, width, expansion and resolution; resumes if interrupted)`);
    spaceLut = await measure(measureLut({ space, out: run.file('lut.json'), resume: true, force: options.forceLut, timing: p.lutTiming, seed }, { backend: ctx.backend, plan: ctx.plan }), ctx, aborted$);
    if (!spaceLut || signal?.aborted) throw interrupted(run, 'latency measurement');
  }
  const lutSec = (Date.now() - tl) / 1000;

  // 2. Data: a held-out validation part; the stage splits the rest 80/20 into weight and α data (FBNet).
  const full = limit(loadFashionMnist({ split: 'train', dataDir: options.dataDir }), p.maxTrainImages, seed);
  const test = limit(loadFashionMnist({ split: 'test', dataDir: options.dataDir }), p.maxTestImages, seed);
  const { train, val } = splitTrainVal(full, { valFraction: p.valFraction, seed });
  const normalization = { mean: [FASHION_MNIST_MEAN], std: [FASHION_MNIST_STD] };

  // 3. DMasking supernet search (the dmasking stage; the latency table enters when the search is latency-aware or it covers the space).
  const ts = Date.now();
  let searched = run.readJson<SearchFile>('search.json');
  if (!searched) {
    const [wData, tData] = splitDataset(train, { fractions: FBNET_WEIGHTS_THETA_FRACTIONS, seed });
    ctx.info(`DMasking supernet: ${space.name}, ${resource}-aware, ${p.supernet.epochs} epochs on ${wData.count}/${tData.count} images (weights/α)`);
    const stage = dmaskingStage(
      { space, table: spaceLut, options: { resource, loss: p.loss, ...p.supernet } },
      { seed, backend: { id: ctx.backend.id, plugin: ctx.backend, plan: ctx.plan }, data: { train, val, test, normalization, source: 'fashion-mnist' }, run },
    );
    try {
      const r = await runStage(stage, {
        signal,
        onEvent: (e) => {
          if (e.type === 'stage/started' || e.type === 'stage/result') return;
          ctx.log(e);
          if (e.type === 'dmasking/epoch-ended') {
            ctx.info(
              `supernet epoch ${e.epoch}: τ ${e.temperature.toFixed(2)} CE ${e.weightCe.toFixed(3)} effective ${(e.effectiveFlops / 1e6).toFixed(3)} MFLOPs` +
                (e.expectedLatencyMs !== undefined ? ` E[LAT] ${e.expectedLatencyMs.toFixed(3)} ms` : '') +
                (e.thetaAccuracy !== undefined ? ` α-acc ${(e.thetaAccuracy * 100).toFixed(1)}%` : ' (warm-up)') +
                ` ${e.imagesPerSec.toFixed(0)} img/s`,
            );
          }
        },
      });
      searched = { derived: r.derived, sampled: r.sampled, alphas: r.alphas };
      run.writeJson('search.json', searched);
    } catch (e) {
      if (signal?.aborted) throw interrupted(run, 'search');
      throw e;
    }
  }
  const derived = searched.derived;
  const arch: ArchDef = parseArchDef({ ...derived.arch, name: `fbnet-v2-${seed}` });
  run.writeJson('arch.json', arch);
  ctx.info(
    `derived arch @${derived.resolution}: ${derived.ops.map((op, i) => `${op}${derived.expansions[i] !== null ? `_e${derived.expansions[i]}` : ''}:${derived.channels[i]}`).join(' ')} (${(derived.flops / 1e6).toFixed(3)} MFLOPs)`,
  );
  const searchSec = (Date.now() - ts) / 1000;

  // 4. Train the derived arch from scratch, on the data subsampled to its resolution; export a
  // model that takes the raw input and subsamples inside.
  const tt = Date.now();
  const r = arch.input_size;
  let final = run.readJson<{ testAccuracy: number; valAccuracy?: number; modelPath: string }>('final.json');
  if (!final) {
    const recipe = parseRecipe(p.final);
    ctx.info(`training the derived arch: ${recipe.epochs} epochs on ${train.count} images at ${r}x${r}`);
    const trainer = new Trainer({ arch, train: resizeDataset(train, r), val: resizeDataset(val, r), test: resizeDataset(test, r), recipe, seed, normalization, run, checkpointName: 'final' });
    // The stage's error reaches us through the awaited run(); unhandled here it would be rethrown as uncaught.
    const sub = trainer.events$.subscribe({
      error: () => undefined,
      next: (e) => {
        ctx.log(e);
        if (e.type === 'train/epoch-ended') ctx.info(`train epoch ${e.epoch}: loss ${e.trainLoss.toFixed(4)} val ${((e.valAccuracy ?? 0) * 100).toFixed(2)}% ${e.imagesPerSec.toFixed(0)} img/s`);
      },
    });
    const stop = () => trainer.cancel();
    signal?.addEventListener('abort', stop);
    try {
      const res = await trainer.run();
      if (res.epochs < recipe.epochs) throw interrupted(run, 'training');
      const model = await exportV2Model(trainer.net, run.file('model'), space.input_size);
      // Relative to the run, so a copied run points at its own model.
      final = { testAccuracy: res.testAccuracy ?? NaN, valAccuracy: res.valAccuracy, modelPath: relative(run.path, model.modelJson) };
      run.writeJson('final.json', final);
    } finally {
      signal?.removeEventListener('abort', stop);
      sub.unsubscribe();
      trainer.dispose();
    }
  }
  const trainSec = (Date.now() - tt) / 1000;

  // 5. Latency: LAT(a) from the space's table, or from a table of the derived arch's own blocks;
  // and the derived net measured end to end (batch 1).
  let archLut = spaceLut && hasArch(spaceLut, arch) ? spaceLut : run.readJson<LatencyTable>('lut-arch.json');
  if (!archLut || !hasArch(archLut, arch)) {
    ctx.info(`latency table of the derived arch (${ctx.backend.id})`);
    archLut = await measure(measureLut({ archs: [arch], out: run.file('lut-arch.json'), resume: true, force: true, timing: p.lutTiming, seed }, { backend: ctx.backend, plan: ctx.plan }), ctx, aborted$);
    if (!archLut || signal?.aborted) throw interrupted(run, 'latency measurement');
  }
  const predicted = archLatency(archLut, arch);
  const measured = await measureNet(arch, resolveTiming({ timeMs: Math.max(200, p.lutTiming.timeMs * 5), minSamples: 30 }), { seed, signal });
  const cost = archCost(arch);
  const result: SearchV2Result = {
    testAccuracy: final.testAccuracy,
    valAccuracy: final.valAccuracy,
    params: cost.params,
    flops: cost.flops,
    latencyMs: measured.medianMs,
    predictedLatencyMs: predicted.totalMs,
    backend: ctx.backend.id,
    arch: derived.ops,
    channels: derived.channels,
    expansions: derived.expansions,
    resolution: r,
    modelInputSize: space.input_size,
    resource,
    archPath: run.file('arch.json'),
    modelPath: resolve(run.path, final.modelPath),
    runDir: run.path,
    seconds: { lut: lutSec, search: searchSec, train: trainSec, total: (Date.now() - t0) / 1000 },
  };
  ctx.info(
    `done: test accuracy ${(result.testAccuracy * 100).toFixed(2)}%, ${result.params} params, ${(result.flops / 1e6).toFixed(3)} MFLOPs, ${result.latencyMs.toFixed(3)} ms measured / ${result.predictedLatencyMs.toFixed(3)} ms LUT on ${result.backend}`,
  );
  return result;
}

/** Run a latency-lut measurement stage to its table, logging its events; undefined when aborted. */
async function measure(events: ReturnType<typeof measureLut>, ctx: SearchV2Context, aborted$: ReturnType<typeof fromEvent>): Promise<LatencyTable | undefined> {
  let table: LatencyTable | undefined;
  await lastValueFrom(
    events.pipe(
      takeUntil(aborted$),
      tap((e) => {
        if (e.type === 'lut/completed') {
          table = e.table;
          ctx.log({ type: e.type, measured: e.measured, reused: e.reused, elapsedSec: e.elapsedSec, path: e.path } as EventBase);
        } else ctx.log(e);
      }),
    ),
    { defaultValue: undefined },
  );
  return table;
}

function hasAll(space: SearchSpace, lut: LatencyTable): boolean {
  return LatencyModel.of(space, lut).coversSpace();
}

function hasArch(lut: LatencyTable, arch: ArchDef): boolean {
  try {
    archLatency(lut, arch);
    return true;
  } catch {
    return false;
  }
}
