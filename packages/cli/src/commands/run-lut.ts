import { parseArgs } from 'node:util';
import { lastValueFrom, tap } from 'rxjs';
import { formatLutSummary, measureLut, saveLut, serveLut, showLut, validateLut, type LatencyTable } from '@fbnet/latency-lut';
import { FbnetError } from '@fbnet/core';
import { initBackend } from '../backend.ts';
import { usageError, type Command } from '../command.ts';
import { makeOutput, progressBar } from '../output.ts';

export const lutCommand: Command = {
  name: 'lut',
  summary: 'latency lookup tables: measure on this device, validate against end-to-end latency, show, serve to a browser device',
  usage:
    'fbnet lut measure --space NAME|FILE --backend ID --out lut.json [--resume] [--force] [--time-ms N] [--json]\n' +
    '  fbnet lut validate --lut lut.json --samples N [--backend ID] [--calibration N] [--refit] [--concurrent] [--save] [--force] [--json]\n' +
    '  fbnet lut show lut.json [--json]\n' +
    '  fbnet lut serve --space NAME|FILE --out-dir DIR [--port N]',
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean' },
        space: { type: 'string' },
        backend: { type: 'string' },
        out: { type: 'string' },
        'out-dir': { type: 'string' },
        resume: { type: 'boolean' },
        force: { type: 'boolean' },
        lut: { type: 'string' },
        samples: { type: 'string' },
        calibration: { type: 'string' },
        refit: { type: 'boolean' },
        concurrent: { type: 'boolean' },
        save: { type: 'boolean' },
        seed: { type: 'string' },
        port: { type: 'string' },
        'time-ms': { type: 'string' },
        threads: { type: 'string' },
      },
    });
    const out = makeOutput(!!values.json);
    const sub = positionals[0];
    const threads = values.threads ? Number(values.threads) : undefined;
    if (sub === 'measure') {
      if (!values.space || !values.out) throw usageError(this.usage, 'lut measure needs --space and --out');
      const backend = await initBackend(values.backend ?? 'wasm', { threads });
      let table: LatencyTable | undefined;
      let summary: Record<string, unknown> = {};
      await lastValueFrom(
        measureLut(
          { space: values.space, out: values.out, resume: values.resume, force: values.force, timing: values['time-ms'] ? { timeMs: Number(values['time-ms']) } : undefined, seed: Number(values.seed ?? 0) },
          { backend: backend.plugin, plan: backend.plan, threads },
        ).pipe(
          tap((e) => {
            if (e.type === 'stage/progress') out.progress(progressBar(e.phase, e.done, e.total, e.etaSec));
            if (e.type === 'lut/completed') {
              table = e.table;
              summary = { path: e.path, measured: e.measured, reused: e.reused, elapsedSec: e.elapsedSec };
            }
          }),
        ),
      );
      out.endProgress();
      if (!table) throw new FbnetError('USAGE', 'measurement ended without a table');
      out.info(`${values.out}: ${table.entries.length} entries (${summary.measured} measured, ${summary.reused} kept) in ${(summary.elapsedSec as number).toFixed(1)} s on ${backend.id}`);
      out.result({ backend: backend.id, entries: table.entries.length, ...summary });
      return 0;
    }
    if (sub === 'validate') {
      if (!values.lut || !values.samples) throw usageError(this.usage, 'lut validate needs --lut and --samples');
      const backend = await initBackend(values.backend ?? 'wasm', { threads });
      const r = await validateLut(
        { lut: values.lut, samples: Number(values.samples), calibrationSamples: values.calibration ? Number(values.calibration) : undefined, refit: values.refit, concurrent: values.concurrent, force: values.force, seed: Number(values.seed ?? 0) },
        { backend: backend.plugin, plan: backend.plan, threads, onEvent: (e) => e.type === 'stage/progress' && out.progress(progressBar(e.phase, e.done, e.total, e.etaSec)) },
      );
      out.endProgress();
      const rep = r.report;
      // mape is in percent already; within10 is a share.
      out.info(`${values.lut} on ${backend.id}: MAPE ${rep.mape.toFixed(1)}%, within ±10% ${(rep.within10 * 100).toFixed(1)}%, Kendall τ ${rep.kendallTau.toFixed(3)} (${rep.samples} archs, ${rep.predictor} sum)`);
      if (rep.corrected) out.info(`plain sum: MAPE ${rep.plain.mape.toFixed(1)}%, within ±10% ${(rep.plain.within10 * 100).toFixed(1)}%, τ ${rep.plain.kendallTau.toFixed(3)}`);
      if (values.save && r.table.correction) {
        await saveLut(values.lut, r.table);
        out.info(`saved the fitted correction into ${values.lut}`);
      }
      out.result(r.report);
      return 0;
    }
    if (sub === 'show') {
      const path = positionals[1] ?? values.lut;
      if (!path) throw usageError(this.usage, 'lut show needs a table');
      const s = showLut(path);
      out.info(formatLutSummary(s));
      out.result(s);
      return 0;
    }
    if (sub === 'serve') {
      if (!values.space || !values['out-dir']) throw usageError(this.usage, 'lut serve needs --space and --out-dir');
      const server = await serveLut({ space: values.space, outDir: values['out-dir'], port: values.port ? Number(values.port) : undefined });
      out.info(`open ${server.url} on the device to profile; tables are written to ${values['out-dir']} (Ctrl-C to stop)`);
      server.events$.subscribe((e) => {
        if (e.type === 'lut/table-received') out.info(`received ${e.backend} table from ${e.device.cpuModel} (${e.entries} entries): ${e.path}`);
        if (e.type === 'lut/table-refused') out.info(`refused a table: ${e.reason}`);
      });
      await new Promise<void>((res) => process.once('SIGINT', () => res()));
      await server.close();
      out.result({ tables: server.tables });
      return 0;
    }
    throw usageError(this.usage, sub ? `unknown lut command "${sub}"` : undefined);
  },
};
