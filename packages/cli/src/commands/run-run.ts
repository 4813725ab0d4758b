import { join, resolve } from 'node:path';
import { canonicalJson, FbnetError, runStage, type EventBase } from '@fbnet/core';
import { checkPipeline, parsePipeline, pipelineStage, readPipelineFile, type Pipeline, type PipelineResult } from '@fbnet/pipeline';
import { newRunId, type RunDir } from '@fbnet/runs';
import { describeChoice, initBackend, type ActiveBackend } from '../backend.ts';
import { trackMemory } from '../memory.ts';
import { formatDuration, makeOutput, progressBar, type Output } from '../output.ts';
import { checkUserData } from '../user-data.ts';
import { checkNewRunDir, createRun, finishedResult, openRunOf, recordResume, shownResult, storeResult } from '../run-files.ts';
import type { RunLine } from './run.ts';

const COMMAND = 'run';

interface RunOptions {
  /** The pipeline file the run was started from (the run keeps its own copy, pipeline.json). */
  file: string;
  backend: string;
  threads: number | null;
  backendChoice?: unknown;
}

export async function runPipelineCommand({ flags: f, args }: RunLine): Promise<number> {
  const out = makeOutput(!!f.json);
  if (f.resume) return resume(f, args[0], out);
  const file = resolve(args[0]);
  const read = readPipelineFile(file);
  // Flags override the file's backend, seed, preset and data (the run keeps the result as its pipeline.json).
  const data: Pipeline['data'] | undefined = f.data
    ? { source: 'path', path: resolve(f.data), ...(f['data-format'] ? { format: f['data-format'] } : {}), ...(f['data-size'] ? { size: f['data-size'] } : {}) }
    : f['data-dir']
      ? { source: 'fashion-mnist', dataDir: resolve(f['data-dir']) }
      : undefined;
  const pipeline: Pipeline = {
    ...read,
    ...(f.backend !== undefined ? { backend: f.backend } : {}),
    ...(f.seed !== undefined ? { seed: f.seed } : {}),
    ...(f.preset !== undefined ? { preset: f.preset as Pipeline['preset'] } : {}),
    ...(data ? { data } : {}),
  };
  if (pipeline.data.source === 'path') checkUserData({ path: pipeline.data.path, format: pipeline.data.format ?? 'auto', size: pipeline.data.size });
  // The whole chain is type-checked before anything is created or loaded.
  checkPipeline(pipeline);
  const dir = f.out ?? join('runs', newRunId(pipeline.name ?? 'pipeline'));
  checkNewRunDir(dir);
  const backend = await initBackend(pipeline.backend, { threads: f.threads });
  const o: RunOptions = { file, backend: backend.id, threads: f.threads ?? null };
  if (backend.choice) {
    out.info(describeChoice(backend.choice));
    o.backendChoice = backend.choice;
  }
  const run = createRun(dir, { command: COMMAND, seed: pipeline.seed, options: o as unknown as Record<string, unknown> });
  run.writeJson('pipeline.json', { ...pipeline, backend: backend.id });
  return execute(run, backend, { ...pipeline, backend: backend.id }, out);
}

async function resume(f: RunLine['flags'], given: string | undefined, out: Output): Promise<number> {
  const peek = openRunOf(f.resume!, COMMAND, { lock: false });
  const own = parsePipeline(peek.readJson('pipeline.json'), peek.file('pipeline.json'));
  if (given) {
    const other = readPipelineFile(given);
    const strip = (p: Pipeline) => canonicalJson({ ...p, backend: undefined });
    if (strip(other) !== strip(own)) throw new FbnetError('USAGE', `${given} is not the pipeline of ${peek.path} (its own is ${peek.file('pipeline.json')}); start a new run to change it`);
  }
  const finished = finishedResult(peek);
  if (finished) {
    const shown = shownResult(peek, finished);
    out.info(`${peek.path} is finished (${String(finished.finishedAt ?? 'earlier')}); its result:`);
    out.result(shown);
    return 0;
  }
  const run = openRunOf(f.resume!, COMMAND);
  const changed: Record<string, unknown> = {};
  const o = run.config.options as unknown as RunOptions;
  if (f.threads !== undefined && f.threads !== o.threads) changed.threads = f.threads;
  const options = recordResume(run, changed) as unknown as RunOptions;
  out.info(`resuming ${run.path}`);
  const backend = await initBackend(options.backend, { threads: options.threads ?? undefined });
  return execute(run, backend, own, out);
}

async function execute(run: RunDir, backend: ActiveBackend, pipeline: Pipeline, out: Output): Promise<number> {
  checkPipeline(pipeline);
  out.info(`fbnet run ${pipeline.name ?? ''} (${pipeline.preset}) on ${backend.id} [${backend.version}]: ${pipeline.stages.map((s) => s.stage).join(' → ')} → ${run.path}`);
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const memory = trackMemory();
  try {
    let result: PipelineResult;
    try {
      result = await runStage(pipelineStage({ pipeline }, { seed: pipeline.seed, backend: { id: backend.id, plugin: backend.plugin, plan: backend.plan }, run }), {
        signal: ac.signal,
        onEvent: (e) => log(run, out, e as EventBase & Record<string, unknown>),
      });
    } catch (e) {
      if (ac.signal.aborted) throw new FbnetError('CHECKPOINT', `interrupted; every finished stage and the running stage's checkpoint are kept; resume with: fbnet run --resume ${run.path}`);
      throw e;
    }
    out.endProgress();
    const stored = storeResult(run, { ...result, memory: memory.stop() } as unknown as Record<string, unknown>);
    const shown = shownResult(run, stored);
    for (const s of result.stages) out.info(`  ${s.stage}: ${formatDuration(s.seconds)} → ${s.produced.join(', ') || '—'}`);
    if (result.modelPath) out.info(`test accuracy ${((result.testAccuracy ?? NaN) * 100).toFixed(2)}%, ${result.params} params, ${((result.flops ?? 0) / 1e6).toFixed(3)} MFLOPs, ${result.latencyMs?.toFixed(3)} ms on ${backend.id}\nmodel: ${shown.modelPath}\narch: ${shown.archPath}`);
    if (result.reportPath) out.info(`report: ${shown.reportPath}`);
    out.result(shown);
    return 0;
  } finally {
    memory.stop();
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** Every event into the run's log (a result as its summary), progress as a bar, stage logs as lines. */
function log(run: RunDir, out: Output, e: EventBase & Record<string, unknown>): void {
  if (e.type === 'stage/result') {
    run.appendEvent({ type: e.type, stage: e.stage } as EventBase);
    return;
  }
  run.appendEvent(e);
  if (e.type === 'stage/progress') out.progress(progressBar(`${e.stage}: ${e.phase}`, e.done as number, e.total as number, e.etaSec as number | undefined));
  else if (e.type === 'stage/log') {
    out.endProgress();
    out.info(`${e.level === 'warn' ? 'warning: ' : ''}${String(e.message)}`);
  } else if (e.type === 'pipeline/stage-started') {
    out.endProgress();
    out.info(`stage ${(e.index as number) + 1}: ${String(e.stage)}`);
  }
}
