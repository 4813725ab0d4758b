import { relative, resolve } from 'node:path';
import { defineStage, FbnetError, getSearchSpacePreset, parseArchDef, runStage, type ArtifactKind, type EventBase, type SearchSpace, type StageContext } from '@fbnet/core';
import type { StageData } from '@fbnet/data';
import { SEARCH_V2_PRESETS } from '@fbnet/dmasking';
import { SEARCH_V3_PRESETS } from '@fbnet/jointnas';
import { measureNet, resolveTiming } from '@fbnet/latency-lut';
import type { RunDir } from '@fbnet/runs';
import type { ArtifactBag, PresetFamily, StageEnv } from './catalog.ts';
import { checkPipeline, firstFamily, type CheckedStage } from './check.ts';
import { loadStageData, type DataLimits } from './data.ts';
import { adaptSpaceToData } from './data-space.ts';
import { SEARCH_V1_PRESETS } from './presets-v1.ts';
import type { Pipeline, PipelinePreset } from './schema.ts';

/** What one stage of a pipeline did (the final `--json` line lists them). */
export interface StageRecord {
  stage: string;
  seconds: number;
  produced: ArtifactKind[];
  /** Its artifacts, as plain data (files as paths relative to the run). */
  artifacts: ArtifactBag;
  summary?: Record<string, unknown>;
}

export interface PipelineResult {
  pipeline: string;
  preset: PipelinePreset;
  backend: string;
  seed: number;
  stages: { stage: string; seconds: number; produced: ArtifactKind[]; summary?: Record<string, unknown> }[];
  /** Where a model was exported: its test accuracy (from training), cost and measured batch-1 latency on this backend. */
  testAccuracy?: number;
  valAccuracy?: number;
  params?: number;
  flops?: number;
  latencyMs?: number;
  modelPath?: string;
  archPath?: string;
  reportPath?: string;
  seconds: number;
}

/** The data limits of a preset family (the first search stage's preset sizes the data). */
export function dataLimits(family: PresetFamily, preset: PipelinePreset): DataLimits {
  if (family === 'v2') return SEARCH_V2_PRESETS[preset];
  if (family === 'v3') {
    const f = SEARCH_V3_PRESETS[preset].final;
    return { valFraction: f.valFraction, maxTrainImages: f.maxTrainImages, maxTestImages: f.maxTestImages };
  }
  return SEARCH_V1_PRESETS[preset];
}

/** The search space a pipeline starts with: the first search stage's preset space. */
export function presetSpace(family: PresetFamily, preset: PipelinePreset): SearchSpace {
  const name = family === 'v2' ? SEARCH_V2_PRESETS[preset].space : SEARCH_V1_PRESETS[preset].space;
  return getSearchSpacePreset(name);
}

/** Record file of stage i (a finished stage is skipped on resume and its artifacts restored). */
export const stageRecordName = (index: number, name: string) => `stage-${index + 1}-${name}.json`;

/** Checkpoint/file prefix of a stage: none for the first stage of its name (the names `fbnet search` uses), `<name>-<k>-` after. */
function prefixFor(checked: CheckedStage[], index: number): string {
  const k = checked.slice(0, index).filter((s) => s.name === checked[index].name).length;
  return k === 0 ? '' : `${checked[index].name}-${k + 1}-`;
}

export interface PipelineInputs {
  pipeline: Pipeline;
  /** Data already loaded (a library caller's own); else the pipeline's `data` is loaded with the preset's limits. */
  data?: StageData;
}

/**
 * A pipeline as one stage: type-checks the chain, loads the data once, then runs every stage in
 * order in one run directory, each taking its inputs from the nearest earlier stage that
 * produced them. Stage events pass through; unsubscribing cancels the running stage (which
 * checkpoints) and a rerun on the same run resumes: finished stages are skipped.
 */
export const pipelineStage = defineStage<PipelineInputs, PipelineResult, EventBase, StageData>('pipeline', async ({ pipeline: p, data: given }, ctx, io) => {
  const t0 = Date.now();
  const run = ctx.run as RunDir | undefined;
  if (!run) throw new FbnetError('USAGE', 'a pipeline runs in a run directory (context.run)');
  const checked = checkPipeline(p);
  const family = firstFamily(p);
  const data = given ?? ctx.data ?? loadStageData(p.data, dataLimits(family, p.preset), ctx.seed, (done, total) => io.progress('decoding images', done, total));
  let space = presetSpace(family, p.preset);
  const loaded = (data as { loaded?: Parameters<typeof adaptSpaceToData>[1] }).loaded;
  if (loaded) space = adaptSpaceToData(space, loaded);
  if (!run.readJson('space.json')) run.writeJson('space.json', space);
  const artifacts: ArtifactBag = { space };
  const records: StageRecord[] = [];
  // The layer-wise space is named only when a stage reads it (V3's jointnas brings its own joint space).
  const usesSpace = checked.some((s) => s.inputs.space !== undefined);
  io.info(`pipeline ${p.name ?? '(unnamed)'}: ${checked.map((s) => s.name).join(' → ')} (${p.preset}),${usesSpace ? ` space ${space.name},` : ''} data ${data.source}: ${data.train.count} train images`);

  for (const s of checked) {
    if (io.signal.aborted) return emptyResult(p, ctx, records, t0);
    const recordName = stageRecordName(s.index, s.name);
    const done = run.readJson<StageRecord>(recordName);
    if (done) {
      Object.assign(artifacts, done.artifacts);
      records.push(done);
      io.info(`stage ${s.index + 1} ${s.name}: done earlier (${done.produced.join(', ') || 'nothing'})`);
      continue;
    }
    const env: StageEnv = {
      preset: p.preset,
      ctx: { seed: ctx.seed, backend: ctx.backend, data, run, prefix: prefixFor(checked, s.index) } as StageContext<StageData>,
      index: s.index,
      family: s.family,
      file: (name) => run.file(name),
    };
    const inputs: ArtifactBag = {};
    for (const k of Object.keys(s.inputs) as ArtifactKind[]) (inputs as Record<string, unknown>)[k] = artifacts[k];
    const ts = Date.now();
    io.emit({ type: 'pipeline/stage-started', index: s.index, stage: s.name, consumes: Object.keys(s.inputs) } as EventBase);
    const given = { ...artifacts, ...inputs };
    const result = await runStage(s.stage.start(given, s.options, env), {
      signal: io.signal,
      onEvent: (e) => {
        if (e.type !== 'stage/result') io.emit(e as EventBase);
      },
    });
    const produced = s.stage.collect(result, s.options, env, given);
    const record: StageRecord = {
      stage: s.name,
      seconds: (Date.now() - ts) / 1000,
      produced: Object.keys(produced) as ArtifactKind[],
      artifacts: produced,
      ...(s.stage.summarize ? { summary: s.stage.summarize(result) } : {}),
    };
    for (const k of s.produces) if (!(k in produced)) throw new FbnetError('USAGE', `stage ${s.index + 1} "${s.name}" declared it produces ${k} but its result has none`);
    Object.assign(artifacts, produced);
    run.writeJson(recordName, record);
    records.push(record);
    io.emit({ type: 'pipeline/stage-completed', index: s.index, stage: s.name, seconds: record.seconds, produced: record.produced, ...(record.summary ? { summary: record.summary } : {}) } as EventBase);
  }

  const result = emptyResult(p, ctx, records, t0);
  const model = artifacts.model;
  if (model) {
    const arch = parseArchDef(run.readJson(model.archPath) ?? (() => { throw new FbnetError('FILE_INVALID', `${run.file(model.archPath)} is missing`); })());
    const timing = p.preset === 'smoke' ? { timeMs: 50, minSamples: 5 } : { timeMs: 1000, minSamples: 30 };
    io.info(`measuring the exported net's latency on ${ctx.backend.id} (batch 1)`);
    const measured = await measureNet(arch, resolveTiming(timing), { seed: ctx.seed, signal: io.signal });
    Object.assign(result, {
      params: model.params,
      flops: model.flops,
      latencyMs: measured.medianMs,
      modelPath: resolve(run.path, model.modelPath),
      archPath: resolve(run.path, model.archPath),
    });
  }
  const acc = model ?? artifacts.weights;
  if (acc) Object.assign(result, { testAccuracy: acc.testAccuracy, valAccuracy: acc.valAccuracy });
  if (artifacts.report) result.reportPath = resolve(run.path, artifacts.report.reportPath);
  result.seconds = (Date.now() - t0) / 1000;
  return result;
});

function emptyResult(p: Pipeline, ctx: StageContext<StageData>, records: StageRecord[], t0: number): PipelineResult {
  return {
    pipeline: p.name ?? 'pipeline',
    preset: p.preset,
    backend: ctx.backend.id,
    seed: ctx.seed,
    stages: records.map((r) => ({ stage: r.stage, seconds: r.seconds, produced: r.produced, ...(r.summary ? { summary: r.summary } : {}) })),
    seconds: (Date.now() - t0) / 1000,
  };
}

/** A path inside the run, relative to it (what artifacts carry). */
export function runRelative(run: { path: string }, abs: string): string {
  return relative(run.path, abs);
}
