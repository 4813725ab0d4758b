import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FbnetError, runStage, type EventBase } from '@fbnet/core';
import { archLatency, loadLut, measureLut, type LatencyTable } from '@fbnet/latency-lut';
import { parsePipeline, pipelineStage, type DataSpec, type Pipeline, type PipelineResult, type SearchV1Preset } from '@fbnet/pipeline';
import type { RunDir } from '@fbnet/runs';
import type { SearchV2Result } from '@fbnet/dmasking';
import type { ConstrainedDerivation } from '@fbnet/gumbel-supernet';
import { lastValueFrom } from 'rxjs';
import type { ActiveBackend } from '../backend.ts';
import type { Output } from '../output.ts';
import { formatDuration, progressBar } from '../output.ts';
import { compareToBaselines, readBaselines, type BaselinesFile } from './baselines.ts';
import type { UserDataSource } from '../user-data.ts';

/** The shipped pipeline files (`fbnet search vN` runs `pipelines/vN.json`). */
export const PIPELINES_DIR = fileURLToPath(new URL('../../../../pipelines/', import.meta.url));

/** A shipped pipeline by name. */
export function shippedPipeline(name: string): Pipeline {
  const file = `${PIPELINES_DIR}${name}.json`;
  if (!existsSync(file)) throw new FbnetError('USAGE', `no shipped pipeline ${name} (${file})`);
  return parsePipeline(JSON.parse(readFileSync(file, 'utf8')), file);
}

/** What `fbnet search vN` adds to its shipped pipeline: the flags, as stage options. */
export interface SearchShortcutOptions {
  presetName: string;
  seed: number;
  backend: string;
  dataDir?: string;
  data?: UserDataSource;
  /** A latency table to reuse instead of measuring one (v1), or for V3's latency constraint. */
  lut?: string;
  forceLut?: boolean;
  /** v1: supernet and final-training overrides. */
  supernet?: Record<string, unknown>;
  epochs?: number;
  /** v3: a Redis URL: candidates train on `fbnet worker`s. Not with `workers`. */
  queue?: string;
  /** v3: candidates train in this many child processes on this machine (one thread each). Not with `queue`. */
  workers?: number;
  /** v2: the preset's resource and space (a latency-aware search measures the space's table first). */
  v2Resource?: string;
  v2Space?: string;
}

/**
 * `fbnet search vN` as its pipeline file (`pipelines/vN.json`, less its report stage: the
 * command writes the report after result.json) with the command line's options set on the stages.
 */
export function searchPipeline(version: 'v1' | 'v2' | 'v3', o: SearchShortcutOptions): Pipeline {
  const p = shippedPipeline(version);
  const data: DataSpec = o.data
    ? { source: 'path', path: o.data.path, ...(o.data.format ? { format: o.data.format } : {}), ...(o.data.size ? { size: o.data.size } : {}) }
    : { source: 'fashion-mnist', ...(o.dataDir ? { dataDir: o.dataDir } : {}) };
  // V2 with a table (--lut) or searching on latency: a latency-lut stage of its space first (blocks timed alone: V2's
  // widths and resolutions are too varied to place every entry inside whole nets).
  const v2Table = version === 'v2' && (o.lut || o.v2Resource === 'latency');
  const base = v2Table ? [{ stage: 'latency-lut', space: o.v2Space, timing: { context: 'isolated' } }, ...p.stages] : p.stages;
  const stages = base
    .filter((s) => s.stage !== 'report')
    .map((s) => {
      if (s.stage === 'latency-lut' && o.lut) return { ...s, reuse: o.lut, force: !!o.forceLut };
      if (s.stage === 'gumbel-supernet' && o.supernet) return { ...s, ...o.supernet };
      if (s.stage === 'train' && o.epochs !== undefined) return { ...s, epochs: o.epochs };
      if (s.stage === 'jointnas') return { ...s, ...(o.dataDir ? { dataDir: o.dataDir } : {}), ...(o.lut ? { lut: o.lut, forceLut: !!o.forceLut } : {}), ...jointnasQueue(o) };
      return s;
    });
  return { ...p, preset: o.presetName as Pipeline['preset'], seed: o.seed, backend: o.backend, data, stages };
}

/** The jointnas stage's `queue` option from `--queue` / `--workers` (none: candidates train in this process). */
function jointnasQueue(o: SearchShortcutOptions): { queue?: string | { kind: 'processes'; workers: number } } {
  if (o.queue && o.workers !== undefined) throw new FbnetError('USAGE', '--workers and --queue both say where candidates train; give one');
  if (o.workers !== undefined) return { queue: { kind: 'processes', workers: o.workers } };
  return o.queue ? { queue: o.queue } : {};
}

/** Log every event to the run, draw progress, and print the lines a search has always printed. */
export function searchLogger(run: RunDir, out: Output) {
  return (e: EventBase & Record<string, unknown>) => {
    if (e.type === 'stage/result') {
      run.appendEvent({ type: e.type, stage: e.stage } as EventBase);
      return;
    }
    run.appendEvent(e);
    const n = (k: string) => e[k] as number;
    if (e.type === 'stage/progress') out.progress(progressBar(`${e.stage}: ${e.phase}`, n('done'), n('total'), e.etaSec as number | undefined));
    else if (e.type === 'stage/log') out.info(String(e.message));
    else if (e.type === 'supernet/epoch-ended') {
      out.info(
        `supernet epoch ${e.epoch}: τ ${n('temperature').toFixed(2)} loss ${n('weightLoss').toFixed(3)} CE ${n('weightCe').toFixed(3)} E[LAT] ${n('latencyMs').toFixed(3)} ms` +
          (e.thetaAccuracy !== undefined ? ` θ-acc ${(n('thetaAccuracy') * 100).toFixed(1)}%` : ' (warm-up)') +
          ` ${n('imagesPerSec').toFixed(0)} img/s`,
      );
    } else if (e.type === 'dmasking/epoch-ended') {
      out.info(
        `supernet epoch ${e.epoch}: τ ${n('temperature').toFixed(2)} loss ${n('weightLoss').toFixed(3)} effective ${(n('effectiveFlops') / 1e6).toFixed(3)} MFLOPs` +
          (e.thetaAccuracy !== undefined ? ` α-acc ${(n('thetaAccuracy') * 100).toFixed(1)}%` : ' (warm-up)') +
          ` ${n('imagesPerSec').toFixed(0)} img/s`,
      );
    } else if (e.type === 'train/epoch-ended') out.info(`train epoch ${e.epoch}: loss ${n('trainLoss').toFixed(4)} val ${((n('valAccuracy') ?? 0) * 100).toFixed(2)}% ${n('imagesPerSec').toFixed(0)} img/s`);
    else if (e.type === 'pipeline/stage-started') {
      out.endProgress();
      out.info(`${String(e.stage)}…`);
    }
  };
}

/** Run a search's pipeline in its run to the pipeline's result; Ctrl-C (the signal) leaves a resumable run. */
export async function runSearchPipeline(run: RunDir, backend: ActiveBackend, pipeline: Pipeline, out: Output, command: string, signal?: AbortSignal): Promise<PipelineResult> {
  try {
    const r = await runStage(pipelineStage({ pipeline }, { seed: pipeline.seed, backend: { id: backend.id, plugin: backend.plugin, plan: backend.plan }, run }), {
      signal,
      onEvent: searchLogger(run, out) as (e: EventBase) => void,
    });
    out.endProgress();
    return r;
  } catch (e) {
    if (signal?.aborted) throw new FbnetError('CHECKPOINT', `interrupted; the finished stages and the running stage's checkpoint are kept; resume with: fbnet ${command} --resume ${run.path}`);
    throw e;
  }
}

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
  /** Supernet and final-training overrides (--alpha, --beta, --tau0, --tau-end, --supernet-epochs, --epochs). */
  supernet?: Record<string, unknown>;
  epochs?: number;
}

/** What `fbnet search v1` reports: the figures every search reports (V2's result less its V2-only fields), and the baselines comparison. */
export interface SearchV1Result
  extends Pick<SearchV2Result, 'testAccuracy' | 'valAccuracy' | 'params' | 'flops' | 'latencyMs' | 'predictedLatencyMs' | 'backend' | 'arch' | 'archPath' | 'modelPath' | 'runDir' | 'seconds'> {
  /** The best baseline at or below the found arch's latency, when the run was given baselines. */
  baseline?: ReturnType<typeof compareToBaselines>;
  /** With --max-params / --max-flops / --max-latency-ms: the limits, and argmax θ beside the derived arch. */
  constrained?: ConstrainedDerivation;
}

/** The figures every search reports, from its pipeline's result, the search's derived ops and the table's LAT(a). */
function searchFigures(run: RunDir, backend: ActiveBackend, r: PipelineResult, ops: string[], predictedLatencyMs: number, modelPath: string): Omit<SearchV1Result, 'seconds' | 'baseline'> {
  return {
    testAccuracy: r.testAccuracy ?? NaN,
    valAccuracy: r.valAccuracy,
    params: r.params!,
    flops: r.flops!,
    latencyMs: r.latencyMs!,
    predictedLatencyMs,
    backend: backend.id,
    arch: ops,
    archPath: run.file('arch.json'),
    modelPath,
    runDir: run.path,
  };
}

const stageSeconds = (r: PipelineResult, ...names: string[]) => r.stages.filter((s) => names.includes(s.stage)).reduce((a, s) => a + s.seconds, 0);

/**
 * FBNetV1 end to end: `pipelines/v1.json` — latency table (reuse or measure on this device) →
 * DNAS supernet → derive → train the derived arch from scratch → export — then the exported
 * net's measured latency beside the table's prediction, and the baselines comparison.
 */
export async function searchV1(run: RunDir, backend: ActiveBackend, o: SearchV1Options, out: Output, signal?: AbortSignal): Promise<SearchV1Result> {
  const t0 = Date.now();
  if (o.baselines && !run.readJson('baselines.json')) {
    const b = readBaselines(o.baselines);
    if (b.preset !== o.presetName || b.space !== o.preset.space) throw new FbnetError('USAGE', `${o.baselines} holds baselines for preset ${b.preset} (${b.space}), not ${o.presetName} (${o.preset.space})`);
    run.writeJson('baselines.json', b);
  }
  const pipeline = searchPipeline('v1', { ...o, seed: run.config.seed, backend: backend.id });
  const r = await runSearchPipeline(run, backend, pipeline, out, 'search v1', signal);
  const search = run.readJson<{ derived: { ops: string[] }; constrained?: ConstrainedDerivation }>('search.json');
  const lut = run.readJson<LatencyTable>('lut.json');
  if (!search || !lut || !r.archPath || !r.modelPath) throw new FbnetError('CHECKPOINT', `${run.path}: the v1 pipeline ended without search.json, lut.json or a model`);
  const arch = JSON.parse(readFileSync(r.archPath, 'utf8'));
  const result: SearchV1Result = {
    ...searchFigures(run, backend, r, search.derived.ops, archLatency(lut, arch).totalMs, r.modelPath),
    seconds: { lut: stageSeconds(r, 'latency-lut'), search: stageSeconds(r, 'gumbel-supernet'), train: stageSeconds(r, 'train', 'export'), total: (Date.now() - t0) / 1000 },
  };
  const baselines = run.readJson<BaselinesFile>('baselines.json');
  if (baselines) result.baseline = compareToBaselines(baselines, result);
  if (search.constrained) {
    result.constrained = search.constrained;
    const a = search.constrained.argmax;
    out.info(`constraints ${JSON.stringify(search.constrained.limits)}: argmax θ ${a.meetsLimits ? 'meets them' : `does not (${a.params} params, ${(a.flops / 1e6).toFixed(3)} MFLOPs, ${a.latencyMs.toFixed(3)} ms)`}; derived the most probable arch that does`);
  }
  out.info(`done in ${formatDuration(result.seconds.total)}: test accuracy ${(result.testAccuracy * 100).toFixed(2)}%, ${result.params} params, ${(result.flops / 1e6).toFixed(3)} MFLOPs, ${result.latencyMs.toFixed(3)} ms on ${backend.id}`);
  return result;
}

/**
 * FBNetV2 end to end: `pipelines/v2.json` — DMaskingNAS → train the derived arch on inputs
 * subsampled to its resolution → export a model that takes full-size images — then LAT(a) from a
 * table of the derived arch's own blocks beside the exported net's measured latency.
 */
export async function searchV2Shortcut(
  run: RunDir,
  backend: ActiveBackend,
  o: { presetName: string; dataDir?: string; data?: UserDataSource; resource: string; space: string; lut?: string; forceLut?: boolean; lutTiming: { timeMs: number; warmupMs: number; minSamples: number; warmupSamples: number } },
  out: Output,
  signal?: AbortSignal,
) {
  const t0 = Date.now();
  const pipeline = searchPipeline('v2', { presetName: o.presetName, dataDir: o.dataDir, data: o.data, seed: run.config.seed, backend: backend.id, lut: o.lut, forceLut: o.forceLut, v2Resource: o.resource, v2Space: o.space });
  const r = await runSearchPipeline(run, backend, pipeline, out, 'search v2', signal);
  const search = run.readJson<{ derived: { ops: string[]; channels: number[]; expansions: (number | null)[]; resolution: number } }>('search.json');
  if (!search || !r.archPath || !r.modelPath) throw new FbnetError('CHECKPOINT', `${run.path}: the v2 pipeline ended without search.json or a model`);
  const arch = JSON.parse(readFileSync(r.archPath, 'utf8'));
  // LAT(a): a table of the derived arch's own blocks (kept in the run; a resumed run reuses it).
  const spaceLut = run.readJson<LatencyTable>('lut.json');
  const covers = (t: LatencyTable | undefined) => {
    try {
      return !!t && Number.isFinite(archLatency(t, arch).totalMs);
    } catch {
      return false;
    }
  };
  let archLut = covers(spaceLut) ? spaceLut : run.readJson<LatencyTable>('lut-arch.json');
  if (!archLut) {
    out.info(`latency table of the derived arch (${backend.id})`);
    await lastValueFrom(measureLut({ archs: [arch], out: run.file('lut-arch.json'), resume: true, force: true, timing: o.lutTiming, seed: run.config.seed }, { backend: backend.plugin, plan: backend.plan }), { defaultValue: undefined });
    archLut = loadLut(run.file('lut-arch.json'), { force: true });
  }
  const space = run.readJson<{ input_size: number }>('space.json');
  const result: SearchV2Result = {
    ...searchFigures(run, backend, r, search.derived.ops, archLatency(archLut, arch).totalMs, r.modelPath),
    channels: search.derived.channels,
    expansions: search.derived.expansions,
    resolution: search.derived.resolution,
    modelInputSize: space?.input_size ?? arch.input_size,
    resource: o.resource as SearchV2Result['resource'],
    seconds: { lut: stageSeconds(r, 'latency-lut'), search: stageSeconds(r, 'dmasking'), train: stageSeconds(r, 'train', 'export'), total: (Date.now() - t0) / 1000 },
  };

  out.info(`done: test accuracy ${(result.testAccuracy * 100).toFixed(2)}%, ${result.params} params, ${(result.flops / 1e6).toFixed(3)} MFLOPs, ${result.latencyMs.toFixed(3)} ms measured / ${result.predictedLatencyMs.toFixed(3)} ms LUT on ${backend.id}`);
  return result;
}
