import { networkInterfaces } from 'node:os';
import { lastValueFrom, tap } from 'rxjs';
import {
  formatLutSummary,
  formatValidationReport,
  measureLut,
  saveLut,
  serveLut,
  showLut,
  validateLut,
  writeJsonAtomic,
  type LatencyTable,
  type ServeLutOptions,
} from '@fbnet/latency-lut';
import { FbnetError } from '@fbnet/core';
import { initBackend } from '../backend.ts';
import { makeOutput, progressBar } from '../output.ts';
import { untilSignal } from '../streams.ts';
import type { LutLine } from './lut.ts';
import { SEARCH_GRAMMAR } from './search.ts';

export async function runLut(line: LutLine): Promise<number> {
  const out = makeOutput(!!line.flags.json);
  if (line.sub === 'measure') {
    const f = line.flags;
    const backend = await initBackend(f.backend ?? 'wasm', { threads: f.threads });
    let table: LatencyTable | undefined;
    let summary: Record<string, unknown> = {};
    const timing =
      f['time-ms'] !== undefined || f.context !== undefined
        ? { ...(f['time-ms'] !== undefined && { timeMs: f['time-ms'] }), ...(f.context !== undefined && { context: f.context }) }
        : undefined;
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
        repeat: f.repeat,
        against: f.against,
        calibrationSamples: f.calibration,
        refit: f.refit,
        concurrent: f.concurrent,
        force: f.force,
        seed: f.seed,
      },
      {
        backend: backend.plugin,
        plan: backend.plan,
        threads: f.threads,
        onEvent: (e) => {
          if (e.type === 'stage/progress') out.progress(progressBar(e.phase, e.done, e.total, e.etaSec));
          if (e.type === 'lut/validation-round' && e.of > 1) {
            out.info(
              `round ${e.round}/${e.of}: MAPE ${e.mape.toFixed(1)}%, within ±10% ${(e.within10 * 100).toFixed(1)}%, ` +
                `Kendall τ ${e.kendallTau.toFixed(3)}`,
            );
          }
        },
      },
    );
    out.endProgress();
    out.info(formatValidationReport(r.report));
    if (f.out) {
      await writeJsonAtomic(f.out, r.report);
      out.info(`wrote the validation report to ${f.out} (re-validate later: fbnet lut validate --lut ${f.lut} --against ${f.out})`);
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
  const space = f.space;
  // Loaded here, not at the top: measure, validate and show need none of the pipeline.
  const v1Space = (await import('@fbnet/pipeline')).SEARCH_V1_PRESETS.quick.space;
  const server = await serveLut({
    space,
    outDir: f['out-dir'],
    port: f.port,
    host: f.host,
    nextStep: ({ path }) => searchWithLut(path, space, v1Space),
  });
  const urls = reachableUrls(f.host, server.port) ?? [server.url];
  out.info(`open ${urls.join(' or ')} on the device to profile; tables are written to ${f['out-dir']} (Ctrl-C to stop)`);
  if (!f.host || f.host === 'localhost' || f.host.startsWith('127.')) {
    out.info(`  a phone: --host 0.0.0.0 (same Wi-Fi), or over USB \`adb reverse tcp:${server.port} tcp:${server.port}\` and http://localhost:${server.port}/`);
  } else {
    out.info('  over the LAN the page is no secure context: browsers give it no WebGPU and no threaded WASM (adb reverse + localhost does)');
  }
  // The server's stream ends in an error only when the server fails; that ends the command (exit 1) instead of
  // escaping as an uncaught rethrow.
  const failed = new Promise<never>((_, reject) =>
    server.events$.subscribe({
      next: (e) => {
        if (e.type === 'lut/browser-message') {
          const m = e.message;
          if (m.type === 'started') out.info(`browser connected: ${m.userAgent}${m.crossOriginIsolated ? '' : ' (not cross-origin isolated)'}`);
          if (m.type === 'progress') out.progress(progressBar(m.backend, m.done, m.total, m.etaSec));
          // Entries finish in bursts: between them the rounds say how far the timing is.
          if (m.type === 'timing-round') {
            out.progress(progressBar(`${m.backend} (${Math.floor(m.fraction * 100)}% of the timing rounds)`, m.done, m.total, m.etaSec));
          }
          if (m.type === 'backend-skipped') out.info(`${m.backend}: unavailable in this browser: ${m.reason}`);
          if (m.type === 'backend-failed') out.info(`${m.backend}: failed: ${m.error}`);
          if (m.type === 'page-error') out.info(`the page stopped: ${m.message}`);
          if (m.type === 'finished') out.info('the page is done (Ctrl-C to stop serving)');
        }
        if (e.type === 'lut/table-received') {
          const on = [e.device.os, e.device.extra?.gpu].filter(Boolean).join(', ');
          out.info(`received ${e.backend} table (${e.entries} entries; ${on}): ${e.path}`);
          if (e.next) out.info(`  search with it: ${e.next.command}${e.next.note ? `\n  (${e.next.note})` : ''}`);
        }
        if (e.type === 'lut/table-refused') out.info(`refused a table: ${e.reason}`);
        if (e.type === 'lut/request-failed') out.info(`could not answer ${e.method} ${e.path}: ${e.reason}`);
      },
      error: reject,
    }),
  );
  try {
    await Promise.race([untilSignal('SIGINT'), failed]);
  } finally {
    out.endProgress();
    await server.close();
  }
  out.result({ tables: server.tables });
  return 0;
}

/** The addresses a device on the network can open when the server listens on every interface. */
function reachableUrls(host: string | undefined, port: number): string[] | undefined {
  if (host !== '0.0.0.0' && host !== '::') return undefined;
  const addrs = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && !a.internal && (a.family === 'IPv4' || host === '::'))
    .map((a) => (a!.family === 'IPv6' ? `[${a!.address}]` : a!.address));
  return addrs.length ? addrs.map((a) => `http://${a}:${port}/`) : undefined;
}

/** What the page shows under a stored table (the type ServeLutOptions.nextStep returns). */
type LutNextStep = NonNullable<ReturnType<NonNullable<ServeLutOptions['nextStep']>>>;

/** The search flags the next step names: keys of the search grammar, so renaming one breaks this build. */
const LUT_FLAGS = ['lut', 'force-lut'] as const satisfies readonly (keyof typeof SEARCH_GRAMMAR.flags)[];

/** A path as one shell word (quoted only when it needs to be). */
function shellWord(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/**
 * How to search with a table measured in a browser: `fbnet search v1 --lut <table> --force-lut`.
 * `--force-lut` because the table's fingerprint is the browser's, not the machine's that runs the
 * search (it refuses a foreign table otherwise). `v1Space`: the space the v1 presets search.
 */
export function searchWithLut(path: string, space: string, v1Space: string): LutNextStep {
  const [lut, force] = LUT_FLAGS;
  const command = `fbnet search v1 --${lut} ${shellWord(path)} --${force}`;
  const why = `--${force}: the table was measured in the browser, not on the machine that runs the search`;
  if (space === v1Space) return { command, note: why };
  return {
    command,
    note: `${why}. search v1 searches ${v1Space}, not ${space}: the blocks this table lacks would be timed on that machine, not in the browser`,
  };
}
