import { join, resolve } from 'node:path';
import { FbnetError } from '@fbnet/core';
import { SEARCH_V2_PRESETS } from '@fbnet/dmasking';
import { SEARCH_V3_PRESETS } from '@fbnet/jointnas';
import { loadLut, nodeFingerprint } from '@fbnet/latency-lut';
import { writeReport } from '@fbnet/report';
import { newRunId, RunDir } from '@fbnet/runs';
import { describeChoice, initBackend, type ActiveBackend, type BackendChoice } from '../backend.ts';
import { trackMemory } from '../memory.ts';
import { makeOutput, type Output } from '../output.ts';
import { SEARCH_V1_PRESETS } from '@fbnet/pipeline';
import { readBaselines } from '../pipelines/baselines.ts';
import { runSearchPipeline, searchPipeline, searchV1, searchV2Shortcut } from '../pipelines/search-v1.ts';
import {
  checkInputDir,
  checkNewRunDir,
  checkRunFiles,
  createRun,
  finishedResult,
  keepOnResume,
  openRunOf,
  recordResume,
  shownResult,
  storeResult,
} from '../run-files.ts';
import type { SearchLine, SearchVersion } from './search.ts';
import { checkUserData, type UserDataSource } from '../user-data.ts';

interface RunOptions {
  preset: string;
  space?: string;
  dataDir: string | null;
  /** `--data`: the user's data set (the space preset is adapted to it). */
  data?: UserDataSource | null;
  /** Absolute path of the table given with --lut (an input outside the run). */
  lut: string | null;
  forceLut: boolean;
  backend: string;
  threads: number | null;
  queue: string | null;
  /** v3 `--workers`: candidates train in this many child processes (absent in runs from before the flag). Not with `queue`. */
  workers?: number | null;
  /** v1: preset values overridden by flags (recorded, so --resume continues with them). */
  overrides?: V1Overrides;
  /** v1: absolute path of a `fbnet bench baselines` file to compare the result with. */
  baselines?: string | null;
  /** `--backend auto`: every candidate's figures or why it could not run (`backend` is the winner). */
  backendChoice?: BackendChoice;
}

interface V1Overrides {
  alpha?: number;
  beta?: number;
  supernetEpochs?: number;
  epochs?: number;
  tau0?: number;
  tauEnd?: number;
  maxParams?: number;
  maxFlops?: number;
  maxLatencyMs?: number;
}

/** The v1 flag overrides as gumbel-supernet stage options (recorded in the run, so --resume continues with them). */
function supernetOverrides(ov: V1Overrides = {}): Record<string, unknown> | undefined {
  const r: Record<string, unknown> = {};
  if (ov.alpha !== undefined) r.alpha = ov.alpha;
  if (ov.beta !== undefined) r.beta = ov.beta;
  if (ov.tau0 !== undefined) r.tau0 = ov.tau0;
  if (ov.tauEnd !== undefined) r.tauEnd = ov.tauEnd;
  if (ov.supernetEpochs !== undefined) r.epochs = ov.supernetEpochs;
  const limits = JSON.parse(JSON.stringify({ maxParams: ov.maxParams, maxFlops: ov.maxFlops, maxLatencyMs: ov.maxLatencyMs }));
  if (Object.keys(limits).length) r.constraints = limits;
  return Object.keys(r).length ? r : undefined;
}

type SearchResult = { modelPath: string; archPath: string } & Record<string, unknown>;

interface SearchKind {
  presets: Record<string, { space?: string }>;
  run(run: RunDir, backend: ActiveBackend, o: RunOptions, out: Output, signal: AbortSignal): Promise<SearchResult>;
}

const KINDS: Record<SearchVersion, SearchKind> = {
  v1: {
    presets: SEARCH_V1_PRESETS,
    run: async (run, backend, o, out, signal) => {
      const options = {
        preset: SEARCH_V1_PRESETS[o.preset],
        presetName: o.preset,
        dataDir: o.dataDir ?? undefined,
        data: o.data ?? undefined,
        lut: o.lut ?? undefined,
        forceLut: o.forceLut,
        baselines: o.baselines ?? undefined,
        supernet: supernetOverrides(o.overrides),
        epochs: o.overrides?.epochs,
      };
      return (await searchV1(run, backend, options, out, signal)) as unknown as SearchResult;
    },
  },
  v2: {
    presets: SEARCH_V2_PRESETS as Record<string, { space?: string }>,
    run: async (run, backend, o, out, signal) =>
      (await searchV2Shortcut(run, backend, { presetName: o.preset, dataDir: o.dataDir ?? undefined, data: o.data ?? undefined, resource: SEARCH_V2_PRESETS[o.preset].resource, space: SEARCH_V2_PRESETS[o.preset].space, lut: o.lut ?? undefined, forceLut: o.forceLut, lutTiming: SEARCH_V2_PRESETS[o.preset].lutTiming }, out, signal)) as unknown as SearchResult,
  },
  v3: {
    presets: SEARCH_V3_PRESETS as Record<string, { space?: string }>,
    run: async (run, backend, o, out, signal) => {
      const pipeline = searchPipeline('v3', { presetName: o.preset, seed: run.config.seed, backend: backend.id, dataDir: o.dataDir ?? undefined, data: o.data ?? undefined, lut: o.lut ?? undefined, forceLut: o.forceLut, queue: o.queue ?? undefined, workers: o.workers ?? undefined });
      await runSearchPipeline(run, backend, pipeline, out, 'search v3', signal);
      const result = run.readJson<SearchResult>('result.json');
      if (!result) throw new FbnetError('CHECKPOINT', `${run.path}: the v3 pipeline ended without result.json`);
      return result;
    },
  },
};

/** JSON files a resumed search reads back (checked up front so a broken one is named). */
const RUN_FILES = ['lut.json', 'lut-arch.json', 'search.json', 'coarse.json', 'fine.json', 'final.json', 'result.json'];

/** A table given with --lut must load and belong to this device and backend (unless --force-lut) before a run starts. */
function checkLut(o: RunOptions, backend: ActiveBackend): void {
  if (o.lut) loadLut(o.lut, { device: nodeFingerprint(backend.plugin, backend.plan), force: o.forceLut });
}

/** A baselines file must be one and belong to this preset's space and recipe before a run starts. */
function checkBaselines(path: string, preset: string, space: string | undefined): void {
  const b = readBaselines(path);
  if (b.preset !== preset || b.space !== space) {
    throw new FbnetError('USAGE', `--baselines ${path} holds baselines for preset ${b.preset} (${b.space}), not ${preset} (${space})`);
  }
}

export async function runSearch({ flags: f, args }: SearchLine): Promise<number> {
  const version = args[0] as SearchVersion;
  const command = `search ${version}`;
  const kind = KINDS[version];
  const out = makeOutput(!!f.json);
  if (f.resume) return resumeSearch(f, command, kind, out);

  const preset = f.preset ?? 'quick';
  if (!kind.presets[preset]) {
    throw new FbnetError('USAGE', `unknown preset "${preset}" for ${command}; known: ${Object.keys(kind.presets).join(', ')}`);
  }
  const ov: V1Overrides = { alpha: f.alpha, beta: f.beta, supernetEpochs: f['supernet-epochs'], epochs: f.epochs, tau0: f.tau0, tauEnd: f['tau-end'], maxParams: f['max-params'], maxFlops: f['max-flops'], maxLatencyMs: f['max-latency-ms'] };
  const overrides = JSON.parse(JSON.stringify(ov)) as V1Overrides;
  const o: RunOptions = {
    preset,
    space: kind.presets[preset].space,
    dataDir: f['data-dir'] ?? null,
    ...(f.data ? { data: { path: f.data, format: f['data-format'] ?? 'auto', size: f['data-size'] } } : {}),
    lut: f.lut ? resolve(f.lut) : null,
    forceLut: !!f['force-lut'],
    backend: f.backend ?? 'wasm',
    threads: f.threads ?? null,
    queue: f.queue ?? null,
    workers: f.workers ?? null,
    ...(Object.keys(overrides).length ? { overrides } : {}),
    ...(f.baselines ? { baselines: resolve(f.baselines) } : {}),
  };
  // Every input is checked before the run directory exists: a failed start leaves nothing behind.
  const dir = f.out ?? join('runs', newRunId(version));
  checkNewRunDir(dir);
  if (o.dataDir) checkInputDir('data-dir', o.dataDir);
  if (o.data) checkUserData(o.data);
  const backend = await initBackend(o.backend, { threads: o.threads ?? undefined });
  if (backend.choice) {
    out.info(describeChoice(backend.choice));
    Object.assign(o, { backend: backend.id, backendChoice: backend.choice });
  }
  checkLut(o, backend);
  if (o.baselines) checkBaselines(o.baselines, preset, kind.presets[preset].space);
  const run = createRun(dir, { command, seed: f.seed ?? 0, options: o as unknown as Record<string, unknown> });
  return execute(run, backend, o, kind, command, out);
}

async function resumeSearch(f: SearchLine['flags'], command: string, kind: SearchKind, out: Output): Promise<number> {
  // Checks and a finished run's report only read the run: they need no lock (and must not meet
  // another process's). The lock is taken when work is about to start.
  const peek = openRunOf(f.resume!, command, { lock: false });
  const o = peek.config.options as unknown as RunOptions;
  // What the run computes is fixed: repeating the run's own value is fine, another one is refused.
  keepOnResume('backend', f.backend === 'auto' && o.backendChoice ? o.backend : f.backend, o.backend);
  keepOnResume('seed', f.seed, peek.config.seed);
  keepOnResume('lut', f.lut === undefined ? undefined : resolve(f.lut), o.lut === null ? null : resolve(o.lut));

  const finished = finishedResult(peek);
  if (finished) {
    // A finished run is reported as it is: nothing is measured, trained or written again.
    const shown = shownResult(peek, finished);
    out.info(`${peek.path} is finished (${String(finished.finishedAt ?? 'earlier')}); its result:`);
    out.info(`model: ${shown.modelPath}\narch: ${shown.archPath}\nreport: ${shown.reportPath}`);
    out.result(shown);
    return 0;
  }
  const run = openRunOf(f.resume!, command);
  checkRunFiles(run, RUN_FILES);
  // These only change how the rest runs, not what it computes: taken and recorded in config.json.
  const changed: Partial<RunOptions> = {};
  if (f.threads !== undefined && f.threads !== o.threads) changed.threads = f.threads;
  // --queue and --workers each say where candidates train: the one given replaces the run's other.
  if (f.queue !== undefined && f.queue !== o.queue) changed.queue = f.queue;
  if (f.queue !== undefined && o.workers != null) changed.workers = null;
  if (f.workers !== undefined && f.workers !== o.workers) changed.workers = f.workers;
  if (f.workers !== undefined && o.queue != null) changed.queue = null;
  if (f['force-lut'] && !o.forceLut) changed.forceLut = true;
  const options = recordResume(run, changed) as unknown as RunOptions;
  const recorded = Object.keys(changed).length ? ` with ${JSON.stringify(changed)} (recorded in config.json)` : '';
  out.info(`resuming ${run.path}${recorded}`);
  const backend = await initBackend(options.backend, { threads: options.threads ?? undefined });
  return execute(run, backend, options, kind, command, out);
}

async function execute(
  run: RunDir,
  backend: ActiveBackend,
  o: RunOptions,
  kind: SearchKind,
  command: string,
  out: Output,
): Promise<number> {
  out.info(`fbnet ${command} (${o.preset}) on ${backend.id} [${backend.version}] → ${run.path}`);
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop);
  const memory = trackMemory();
  try {
    const result = await kind.run(run, backend, o, out, ac.signal);
    out.endProgress();
    // result.json before the report: the report reads it.
    const stored = storeResult(run, { ...result, memory: memory.stop(), reportPath: 'report.html' });
    await writeReport(run.path);
    const shown = shownResult(run, stored);
    out.info(`model: ${shown.modelPath}\narch: ${shown.archPath}\nreport: ${shown.reportPath}`);
    out.result(shown);
    return 0;
  } finally {
    memory.stop();
    process.off('SIGINT', stop);
  }
}
