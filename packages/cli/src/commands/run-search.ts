import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FbnetError, type EventBase } from '@fbnet/core';
import { SEARCH_V2_PRESETS, searchV2 } from '@fbnet/dmasking';
import { BullmqQueue, SEARCH_V3_PRESETS, searchV3, type EvaluationQueue } from '@fbnet/jointnas';
import { writeReport } from '@fbnet/report';
import { newRunId, RunDir } from '@fbnet/runs';
import { initBackend, type ActiveBackend } from '../backend.ts';
import { usageError, type Command } from '../command.ts';
import { trackMemory } from '../memory.ts';
import { makeOutput, progressBar, type Output } from '../output.ts';
import { SEARCH_V1_PRESETS, type SearchV1Preset } from '../pipelines/presets.ts';
import { searchV1 } from '../pipelines/search-v1.ts';

interface RunOptions {
  preset: string;
  space?: string;
  dataDir: string | null;
  lut: string | null;
  forceLut: boolean;
  backend: string;
  threads: number | null;
  queue: string | null;
  /** v1: preset values overridden by flags (recorded, so --resume continues with them). */
  overrides?: V1Overrides;
}

/** Flags that override the v1 preset (recorded in the run). */
const V1_OVERRIDE_FLAGS = ['alpha', 'beta', 'supernet-epochs', 'epochs'] as const;

interface V1Overrides {
  alpha?: number;
  beta?: number;
  supernetEpochs?: number;
  epochs?: number;
}

/** The v1 preset with the run's flag overrides applied. */
function v1Preset(name: string, ov: V1Overrides = {}): SearchV1Preset {
  const p = SEARCH_V1_PRESETS[name];
  return {
    ...p,
    supernet: {
      ...p.supernet,
      ...(ov.alpha !== undefined ? { alpha: ov.alpha } : {}),
      ...(ov.beta !== undefined ? { beta: ov.beta } : {}),
      ...(ov.supernetEpochs !== undefined ? { epochs: ov.supernetEpochs, warmupEpochs: Math.min(p.supernet.warmupEpochs, ov.supernetEpochs - 1) } : {}),
    },
    final: { ...p.final, ...(ov.epochs !== undefined ? { epochs: ov.epochs } : {}) },
  };
}

function positiveNumber(flag: string, v: string | undefined, integer = false): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) throw new FbnetError('USAGE', `--${flag} must be a positive ${integer ? 'integer' : 'number'}, got "${v}"`);
  return n;
}

interface SearchKind {
  presets: Record<string, { space?: string }>;
  run(run: RunDir, backend: ActiveBackend, o: RunOptions, out: Output, signal: AbortSignal): Promise<{ modelPath: string; archPath: string } & Record<string, unknown>>;
}

/** A stage context for the V2/V3 pipelines: events into the run log, progress bars, lines. */
function stageContext(run: RunDir, backend: ActiveBackend, out: Output) {
  return {
    backend: backend.plugin,
    plan: backend.plan,
    log: (e: EventBase) => {
      run.appendEvent(e);
      const p = e as EventBase & { stage?: string; phase?: string; done?: number; total?: number; etaSec?: number };
      if (p.type === 'stage/progress') out.progress(progressBar(`${p.stage}: ${p.phase}`, p.done ?? 0, p.total ?? 0, p.etaSec));
    },
    info: (line: string) => out.info(line),
  };
}

const KINDS: Record<string, SearchKind> = {
  v1: {
    presets: SEARCH_V1_PRESETS,
    run: async (run, backend, o, out) => {
      const r = await searchV1(run, backend, { preset: v1Preset(o.preset, o.overrides), presetName: o.preset, dataDir: o.dataDir ?? undefined, lut: o.lut ?? undefined, forceLut: o.forceLut }, out);
      return r as unknown as { modelPath: string; archPath: string } & Record<string, unknown>;
    },
  },
  v2: {
    presets: SEARCH_V2_PRESETS as Record<string, { space?: string }>,
    run: async (run, backend, o, out) => {
      const r = await searchV2(run, stageContext(run, backend, out), { preset: SEARCH_V2_PRESETS[o.preset], presetName: o.preset, dataDir: o.dataDir ?? undefined, lut: o.lut ?? undefined, forceLut: o.forceLut });
      run.writeJson('result.json', r);
      return r as unknown as { modelPath: string; archPath: string } & Record<string, unknown>;
    },
  },
  v3: {
    presets: SEARCH_V3_PRESETS as Record<string, { space?: string }>,
    run: async (run, backend, o, out, signal) => {
      const queue: EvaluationQueue | undefined = o.queue ? new BullmqQueue({ connection: o.queue }) : undefined;
      try {
        const r = await searchV3(run, { ...stageContext(run, backend, out), queue, signal }, { preset: SEARCH_V3_PRESETS[o.preset], presetName: o.preset, dataDir: o.dataDir ?? undefined, lut: o.lut ?? undefined, forceLut: o.forceLut });
        run.writeJson('result.json', r);
        return r as unknown as { modelPath: string; archPath: string } & Record<string, unknown>;
      } finally {
        await (queue as { close?: () => Promise<void> } | undefined)?.close?.();
      }
    },
  },
};

export const searchCommand: Command = {
  name: 'search',
  summary: 'architecture search — v1: FBNet DNAS; v2: DMaskingNAS (channels, resolution); v3: JointNAS (arch + training recipe)',
  usage:
    'fbnet search v1|v2|v3 [--preset quick|full|smoke] [--out DIR | --resume DIR] [--alpha X --beta X --supernet-epochs N --epochs N (v1)] [--data-dir DIR] [--lut lut.json [--force-lut]] [--backend cpu|wasm|webgpu|node-gpu] [--threads N] [--seed N] [--queue redis://host:port (v3)] [--json]',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        preset: { type: 'string' },
        out: { type: 'string' },
        resume: { type: 'string' },
        'data-dir': { type: 'string' },
        lut: { type: 'string' },
        'force-lut': { type: 'boolean' },
        backend: { type: 'string' },
        seed: { type: 'string' },
        threads: { type: 'string' },
        queue: { type: 'string' },
        alpha: { type: 'string' },
        beta: { type: 'string' },
        'supernet-epochs': { type: 'string' },
        epochs: { type: 'string' },
      },
    });
    const [version] = positionals;
    const kind = KINDS[version ?? ''];
    if (!kind || positionals.length !== 1) throw usageError(this.usage, version ? `unknown search "${version}"; known: v1, v2, v3` : undefined);
    const command = `search ${version}`;
    const out = makeOutput(!!values.json);
    let run: RunDir;
    if (values.resume) {
      const given = (['preset', ...V1_OVERRIDE_FLAGS, 'data-dir'] as const).filter((f) => values[f] !== undefined);
      if (given.length) throw usageError(this.usage, `--resume continues a run with the options it was started with; drop --${given[0]}`);
      run = RunDir.open(values.resume);
      if (run.config.command !== command) throw new FbnetError('USAGE', `${values.resume} is a "${run.config.command}" run, not a "${command}" run`);
      out.info(`resuming ${run.path}`);
    } else {
      const preset = values.preset ?? 'quick';
      if (!kind.presets[preset]) throw usageError(this.usage, `unknown preset "${preset}" for ${command}; known: ${Object.keys(kind.presets).join(', ')}`);
      if (values.queue && version !== 'v3') throw usageError(this.usage, '--queue applies to search v3 (candidate training)');
      const ovFlags = V1_OVERRIDE_FLAGS.filter((f) => values[f] !== undefined);
      if (ovFlags.length && version !== 'v1') throw usageError(this.usage, `--${ovFlags[0]} applies to search v1`);
      const overrides: V1Overrides = {
        alpha: positiveNumber('alpha', values.alpha),
        beta: positiveNumber('beta', values.beta),
        supernetEpochs: positiveNumber('supernet-epochs', values['supernet-epochs'], true),
        epochs: positiveNumber('epochs', values.epochs, true),
      };
      const options: RunOptions = {
        preset,
        space: kind.presets[preset].space,
        dataDir: values['data-dir'] ?? null,
        lut: values.lut ?? null,
        forceLut: !!values['force-lut'],
        backend: values.backend ?? 'wasm',
        threads: values.threads ? Number(values.threads) : null,
        queue: values.queue ?? null,
        ...(ovFlags.length ? { overrides: JSON.parse(JSON.stringify(overrides)) as V1Overrides } : {}),
      };
      run = RunDir.create(values.out ?? join('runs', newRunId(version)), { command, seed: Number(values.seed ?? 0), options: options as unknown as Record<string, unknown> });
    }
    const o = run.config.options as unknown as RunOptions;
    const backend = await initBackend(o.backend, { threads: o.threads ?? undefined });
    out.info(`fbnet ${command} (${o.preset}) on ${backend.id} [${backend.version}] → ${run.path}`);
    const ac = new AbortController();
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    const memory = trackMemory();
    try {
      const result = await kind.run(run, backend, o, out, ac.signal);
      out.endProgress();
      const full = { ...result, memory: memory.stop(), reportPath: run.file('report.html') };
      run.writeJson('result.json', full);
      const reportPath = writeReport(run.path);
      out.info(`model: ${result.modelPath}\narch: ${result.archPath}\nreport: ${reportPath}`);
      out.result(full);
      return 0;
    } finally {
      memory.stop();
      process.off('SIGINT', stop);
    }
  },
};
