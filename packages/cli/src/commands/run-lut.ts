import { lastValueFrom, tap } from 'rxjs';
import { formatLutSummary, measureLut, saveLut, serveLut, showLut, validateLut, type LatencyTable } from '@fbnet/latency-lut';
import { FbnetError } from '@fbnet/core';
import { initBackend } from '../backend.ts';
import { makeOutput, progressBar } from '../output.ts';
import { untilSignal } from '../streams.ts';
import type { LutLine } from './lut.ts';

export async function runLut(line: LutLine): Promise<number> {
  const out = makeOutput(!!line.flags.json);
  if (line.sub === 'measure') {
    const f = line.flags;
    const backend = await initBackend(f.backend ?? 'wasm', { threads: f.threads });
    let table: LatencyTable | undefined;
    let summary: Record<string, unknown> = {};
    const timing = f['time-ms'] !== undefined ? { timeMs: f['time-ms'] } : undefined;
    await lastValueFrom(
      measureLut(
        { space: f.space, out: f.out, resume: f.resume, force: f.force, timing, seed: f.seed ?? 0 },
        { backend: backend.plugin, plan: backend.plan, threads: f.threads },
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
    out.info(
      `${f.out}: ${table.entries.length} entries (${summary.measured} measured, ${summary.reused} kept) ` +
        `in ${(summary.elapsedSec as number).toFixed(1)} s on ${backend.id}`,
    );
    out.result({ backend: backend.id, entries: table.entries.length, ...summary });
    return 0;
  }
  if (line.sub === 'validate') {
    const f = line.flags;
    const backend = await initBackend(f.backend ?? 'wasm', { threads: f.threads });
    const r = await validateLut(
      {
        lut: f.lut,
        samples: f.samples,
        calibrationSamples: f.calibration,
        refit: f.refit,
        concurrent: f.concurrent,
        force: f.force,
        seed: f.seed ?? 0,
      },
      {
        backend: backend.plugin,
        plan: backend.plan,
        threads: f.threads,
        onEvent: (e) => e.type === 'stage/progress' && out.progress(progressBar(e.phase, e.done, e.total, e.etaSec)),
      },
    );
    out.endProgress();
    const rep = r.report;
    // mape is in percent already; within10 is a share.
    out.info(
      `${f.lut} on ${backend.id}: MAPE ${rep.mape.toFixed(1)}%, within ±10% ${(rep.within10 * 100).toFixed(1)}%, ` +
        `Kendall τ ${rep.kendallTau.toFixed(3)} (${rep.samples} archs, ${rep.predictor} sum)`,
    );
    if (rep.corrected) {
      const plain = rep.plain;
      out.info(`plain sum: MAPE ${plain.mape.toFixed(1)}%, within ±10% ${(plain.within10 * 100).toFixed(1)}%, τ ${plain.kendallTau.toFixed(3)}`);
    }
    if (f.save && r.table.correction) {
      await saveLut(f.lut, r.table);
      out.info(`saved the fitted correction into ${f.lut}`);
    }
    out.result(r.report);
    return 0;
  }
  if (line.sub === 'show') {
    const s = showLut(line.args[0] ?? line.flags.lut!);
    out.info(formatLutSummary(s));
    out.result(s);
    return 0;
  }
  const f = line.flags;
  const server = await serveLut({ space: f.space, outDir: f['out-dir'], port: f.port });
  out.info(`open ${server.url} on the device to profile; tables are written to ${f['out-dir']} (Ctrl-C to stop)`);
  // The server's stream ends in an error only when the server fails; that ends the command (exit 1) instead of
  // escaping as an uncaught rethrow.
  const failed = new Promise<never>((_, reject) =>
    server.events$.subscribe({
      next: (e) => {
        if (e.type === 'lut/table-received') {
          out.info(`received ${e.backend} table from ${e.device.cpuModel} (${e.entries} entries): ${e.path}`);
        }
        if (e.type === 'lut/table-refused') out.info(`refused a table: ${e.reason}`);
      },
      error: reject,
    }),
  );
  try {
    await Promise.race([untilSignal('SIGINT'), failed]);
  } finally {
    await server.close();
  }
  out.result({ tables: server.tables });
  return 0;
}
