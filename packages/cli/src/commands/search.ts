import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FbnetError } from '@fbnet/core';
import { newRunId, RunDir } from '@fbnet/runs';
import { initBackend } from '../backend.ts';
import { usageError, type Command } from '../command.ts';
import { makeOutput } from '../output.ts';
import { SEARCH_V1_PRESETS } from '../pipelines/presets.ts';
import { searchV1 } from '../pipelines/search-v1.ts';

export const searchCommand: Command = {
  name: 'search',
  summary: 'architecture search: v1 = FBNet DNAS (LUT → supernet → derive → train → export → report)',
  usage: 'fbnet search v1 [--preset quick|full] [--out DIR | --resume DIR] [--data-dir DIR] [--lut lut.json [--force-lut]] [--backend cpu|wasm] [--seed N] [--json]',
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
      },
    });
    const [version] = positionals;
    if (version !== 'v1' || positionals.length !== 1) throw usageError(this.usage, version ? `unknown search "${version}"` : undefined);
    const out = makeOutput(!!values.json);
    let run: RunDir;
    if (values.resume) {
      run = RunDir.open(values.resume);
      if (run.config.command !== 'search v1') throw new FbnetError('USAGE', `${values.resume} is a "${run.config.command}" run, not a "search v1" run`);
      out.info(`resuming ${run.path}`);
    } else {
      const presetName = values.preset ?? 'quick';
      if (!SEARCH_V1_PRESETS[presetName]) throw usageError(this.usage, `unknown preset "${presetName}"; known: ${Object.keys(SEARCH_V1_PRESETS).join(', ')}`);
      run = RunDir.create(values.out ?? join('runs', newRunId('v1')), {
        command: 'search v1',
        seed: Number(values.seed ?? 0),
        options: { preset: presetName, space: SEARCH_V1_PRESETS[presetName].space, dataDir: values['data-dir'] ?? null, lut: values.lut ?? null, forceLut: !!values['force-lut'], backend: values.backend ?? 'wasm', threads: values.threads ? Number(values.threads) : null },
      });
    }
    const o = run.config.options as { preset: string; dataDir: string | null; lut: string | null; forceLut: boolean; backend: string; threads: number | null };
    const backend = await initBackend(o.backend, { threads: o.threads ?? undefined });
    out.info(`fbnet search v1 (${o.preset}) on ${backend.id} [${backend.version}] → ${run.path}`);
    const result = await searchV1(run, backend, { preset: SEARCH_V1_PRESETS[o.preset], presetName: o.preset, dataDir: o.dataDir ?? undefined, lut: o.lut ?? undefined, forceLut: o.forceLut }, out);
    out.info(`model: ${result.modelPath}\narch: ${result.archPath}\nreport: ${result.reportPath}`);
    out.result(result);
    return 0;
  },
};
