import { relative, resolve } from 'node:path';
import { lastValueFrom, tap } from 'rxjs';
import { FbnetError, getSearchSpacePreset, parseArchDef, type ArchDef, type EventBase } from '@fbnet/core';
import { FBNET_WEIGHTS_THETA_FRACTIONS, splitDataset } from '@fbnet/data';
import { SupernetSearch, type ArchSummary } from '@fbnet/gumbel-supernet';
import { archLatency, latencyMatrix, loadLut, measureLut, measureNet, nodeFingerprint, resolveTiming, type LatencyTable } from '@fbnet/latency-lut';
import type { RunDir } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { exportModel, parseRecipe, Trainer } from '@fbnet/train';
import type { ActiveBackend } from '../backend.ts';
import type { Output } from '../output.ts';
import { formatDuration, progressBar } from '../output.ts';
import { follow } from '../streams.ts';
import { compareToBaselines, readBaselines, type BaselinesFile } from './baselines.ts';
import type { UserDataSource } from '../user-data.ts';
import { adaptSpaceToData } from '@fbnet/pipeline';
import { loadV1Data, loadV1UserData } from './v1-data.ts';
import type { SearchV1Preset } from '@fbnet/pipeline';

export interface SearchV1Options {
  preset: SearchV1Preset;
  presetName: string;
  dataDir?: string;
  /** `--data`: the user's data set; the space preset is adapted to its size, channels and classes. */
  data?: UserDataSource;
  /** A latency table to reuse instead of measuring one. */
  lut?: string;
  forceLut?: boolean;
  /** A `fbnet bench baselines` file for this preset: copied into the run, and the result says how the found arch compares. */
  baselines?: string;
}

export interface SearchV1Result {
  testAccuracy: number;
  valAccuracy?: number;
  params: number;
  flops: number;
  latencyMs: number;
  predictedLatencyMs: number;
  backend: string;
  arch: string[];
  archPath: string;
  modelPath: string;
  runDir: string;
  seconds: { lut: number; search: number; train: number; total: number };
  /** The best baseline at or below the found arch's latency, when the run was given baselines. */
  baseline?: ReturnType<typeof compareToBaselines>;
}

/** Log every event to the run and draw progress for `stage/progress`. */
function logger(run: RunDir, out: Output) {
  return (e: EventBase & Record<string, unknown>) => {
    run.appendEvent(e);
    if (e.type === 'stage/progress') out.progress(progressBar(`${e.stage}: ${e.phase}`, e.done as number, e.total as number, e.etaSec as number | undefined));
  };
}

/**
 * FBNetV1 end to end: latency table (reuse or measure on this device) → DNAS supernet →
 * sample/derive → train the derived arch from scratch → export → measured latency. Every
 * phase writes into the run directory and is skipped or resumed on `--resume`.
 */
export async function searchV1(run: RunDir, backend: ActiveBackend, o: SearchV1Options, out: Output): Promise<SearchV1Result> {
  const t0 = Date.now();
  const log = logger(run, out);
  const p = o.preset;
  const seed = run.config.seed;
  // User data is read first: the space (stem channels, classes, input size) follows it.
  const user = o.data ? loadV1UserData(p, o.data, seed, out) : undefined;
  const space = user ? adaptSpaceToData(getSearchSpacePreset(p.space), user.data) : getSearchSpacePreset(p.space);
  if (user) run.writeJson('space.json', space);
  if (o.baselines && !run.readJson('baselines.json')) {
    const b = readBaselines(o.baselines);
    if (b.preset !== o.presetName || b.space !== p.space) throw new FbnetError('USAGE', `${o.baselines} holds baselines for preset ${b.preset} (${b.space}), not ${o.presetName} (${p.space})`);
    run.writeJson('baselines.json', b);
  }

  // 1. Latency table.
  const tl = Date.now();
  let lut: LatencyTable;
  const lutPath = run.file('lut.json');
  if (o.lut && !run.readJson('lut.json')) {
    lut = loadLut(o.lut, { device: nodeFingerprint(backend.plugin, backend.plan), force: o.forceLut });
    run.writeJson('lut.json', lut);
    out.info(`latency table: reusing ${o.lut} (${lut.entries.length} entries)`);
  } else {
    out.info(`latency table: measuring ${space.name} on ${backend.id} (resumes if interrupted)`);
    const events = measureLut({ space, out: lutPath, resume: true, force: o.forceLut, timing: p.lutTiming, seed }, { backend: backend.plugin, plan: backend.plan });
    let table: LatencyTable | undefined;
    await lastValueFrom(
      events.pipe(
        tap((e) => {
          if (e.type === 'lut/completed') {
            table = e.table;
            log({ type: e.type, measured: e.measured, reused: e.reused, elapsedSec: e.elapsedSec, path: e.path });
          } else log(e as never);
        }),
      ),
    );
    out.endProgress();
    if (!table) throw new FbnetError('USAGE', 'latency measurement ended without a table');
    lut = table;
  }
  const lutSec = (Date.now() - tl) / 1000;
  const matrix = latencyMatrix(space, lut);
  const latency = { layerMs: matrix.ms, fixedMs: matrix.fixedMs };

  // 2. Data: the training set is split into a held-out validation part and the search/training part;
  // the search part again 80/20 into weight and θ data (FBNet).
  const { train, val, test, normalization } = user ?? loadV1Data(p, o.dataDir, seed);
  const [wData, tData] = splitDataset(train, { fractions: FBNET_WEIGHTS_THETA_FRACTIONS, seed });

  // 3. Supernet search.
  const ts = Date.now();
  let searchResult = run.readJson<{ derived: ArchSummary; sampled: ArchSummary[] }>('search.json');
  if (!searchResult) {
    out.info(`supernet: ${space.name}, ${matrix.candidates.length} searchable layers, ${p.supernet.epochs} epochs on ${wData.count}/${tData.count} images (weights/θ)`);
    const search = new SupernetSearch({ space, latency, data: { weights: wData, theta: tData }, normalization, seed, run, ...p.supernet });
    const sub = follow(search.events$, (e) => {
      log(e as never);
      if (e.type === 'supernet/epoch-ended') {
        out.info(
          `supernet epoch ${e.epoch}: τ ${e.temperature.toFixed(2)} loss ${e.weightLoss.toFixed(3)} CE ${e.weightCe.toFixed(3)} E[LAT] ${e.latencyMs.toFixed(3)} ms` +
            (e.thetaAccuracy !== undefined ? ` θ-acc ${(e.thetaAccuracy * 100).toFixed(1)}%` : ' (warm-up)') +
            ` ${e.imagesPerSec.toFixed(0)} img/s`,
        );
      }
    });
    const stop = () => search.cancel();
    process.once('SIGINT', stop);
    try {
      const r = await search.run();
      if (!r) throw new FbnetError('CHECKPOINT', `search interrupted; resume with: fbnet search v1 --resume ${run.path}`);
      searchResult = { derived: r.derived, sampled: r.sampled };
      run.writeJson('search.json', searchResult);
    } finally {
      process.off('SIGINT', stop);
      sub.unsubscribe();
      search.dispose();
    }
  }
  const derived = searchResult.derived;
  const arch: ArchDef = parseArchDef({ ...derived.arch, name: `fbnet-v1-${run.config.seed}` });
  run.writeJson('arch.json', arch);
  out.info(`derived arch: ${derived.ops.join(' ')} (LUT latency ${derived.latencyMs.toFixed(3)} ms)`);
  const searchSec = (Date.now() - ts) / 1000;

  // 4. Train the derived arch from scratch.
  const tt = Date.now();
  let final = run.readJson<{ testAccuracy: number; valAccuracy?: number; modelPath: string }>('final.json');
  if (!final) {
    const recipe = parseRecipe(p.final);
    out.info(`training the derived arch: ${recipe.epochs} epochs on ${train.count} images`);
    const trainer = new Trainer({ arch, train, val, test, recipe, seed, normalization, run, checkpointName: 'final' });
    const sub = follow(trainer.events$, (e) => {
      log(e as never);
      if (e.type === 'train/epoch-ended') out.info(`train epoch ${e.epoch}: loss ${e.trainLoss.toFixed(4)} val ${((e.valAccuracy ?? 0) * 100).toFixed(2)}% ${e.imagesPerSec.toFixed(0)} img/s`);
    });
    const stop = () => trainer.cancel();
    process.once('SIGINT', stop);
    try {
      const r = await trainer.run();
      if (r.epochs < recipe.epochs) throw new FbnetError('CHECKPOINT', `training interrupted; resume with: fbnet search v1 --resume ${run.path}`);
      const model = await exportModel(trainer.net, run.file('model'));
      // Relative to the run, so a copied run points at its own model.
      final = { testAccuracy: r.testAccuracy ?? NaN, valAccuracy: r.valAccuracy, modelPath: relative(run.path, model.modelJson) };
      run.writeJson('final.json', final);
    } finally {
      process.off('SIGINT', stop);
      sub.unsubscribe();
      trainer.dispose();
    }
  }
  const trainSec = (Date.now() - tt) / 1000;

  // 5. The exported net's real latency on this backend (batch 1), beside the table's prediction.
  const measured = await measureNet(arch, resolveTiming({ timeMs: 1000, minSamples: 30 }), { seed });
  const predicted = archLatency(lut, arch);
  const cost = archCost(arch);
  const result: SearchV1Result = {
    testAccuracy: final.testAccuracy,
    valAccuracy: final.valAccuracy,
    params: cost.params,
    flops: cost.flops,
    latencyMs: measured.medianMs,
    predictedLatencyMs: predicted.totalMs,
    backend: backend.id,
    arch: derived.ops,
    archPath: run.file('arch.json'),
    modelPath: resolve(run.path, final.modelPath),
    runDir: run.path,
    seconds: { lut: lutSec, search: searchSec, train: trainSec, total: (Date.now() - t0) / 1000 },
  };
  const baselines = run.readJson<BaselinesFile>('baselines.json');
  if (baselines) result.baseline = compareToBaselines(baselines, result);
  // result.json first: the report reads it.
  run.writeJson('result.json', result);
  out.info(`done in ${formatDuration(result.seconds.total)}: test accuracy ${(result.testAccuracy * 100).toFixed(2)}%, ${result.params} params, ${(result.flops / 1e6).toFixed(3)} MFLOPs, ${result.latencyMs.toFixed(3)} ms on ${backend.id}`);
  return result;
}
