/**
 * Regenerate the committed latency tables and their validation reports:
 *
 *   npm run bench -w @fbnet/latency-lut                    # the default matrix below
 *   npx tsx packages/latency-lut/bench/regenerate.ts --only fbnet-v1-fmnist:wasm --samples 100
 *
 * For each (space, backend): measure the table (resuming benchmarks/luts/<space>.<backend>.json
 * when it exists and matches this machine; its measuring time is reported), then validate:
 * by default the table's entries are re-timed alongside the calibration and validation nets in
 * the same interleaved rounds (`--sequential` validates the table as first measured), the
 * correction is fitted on the calibration archs, and the table (with its correction) and
 * benchmarks/results/lut-<backend>-<space>.json are written. The validation runs `--repeat N` rounds
 * (default 2, see validateLut `repeat`); the report's headline is round 1. Measures with the fbnet backend plugins
 * (packages/backends/*) and this device's kernel plan, as `fbnet search` runs them, so the
 * committed tables are the ones a search on this machine accepts; `--stock` uses stock TF.js
 * cpu/wasm instead. Progress goes to stderr.
 */
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { lastValueFrom, tap } from 'rxjs';
import type { BackendPlugin, KernelPlan } from '@fbnet/core';
import { setupPlugin } from '@fbnet/bench';
import { lutExists, measureLut, nodeFingerprint, saveLut, validateLut, writeJsonAtomic, loadLut, fingerprintDifferences, type LatencyTable, type LutEvent } from '../src/index.ts';
import { stockCpuPlugin, stockWasmPlugin } from '../src/_stock-plugins.ts';

const REPO = resolve(import.meta.dirname, '../../..');
const PLUGINS: Record<string, BackendPlugin> = { cpu: stockCpuPlugin, wasm: stockWasmPlugin };
const DEFAULT = ['fbnet-v1-fmnist:cpu', 'fbnet-v1-fmnist:wasm', 'fbnet-v1-imagenet:wasm'];

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    samples: { type: 'string' },
    calibration: { type: 'string' },
    repeat: { type: 'string' },
    fresh: { type: 'boolean' },
    /** Stock TF.js cpu/wasm (no fbnet kernels, no plan) instead of the fbnet plugins. */
    stock: { type: 'boolean' },
    /** Validate sequentially (the stored table as measured) instead of re-timing it alongside the nets. */
    sequential: { type: 'boolean' },
    'luts-dir': { type: 'string', default: join(REPO, 'benchmarks/luts') },
    'results-dir': { type: 'string', default: join(REPO, 'benchmarks/results') },
    /** Wait (up to --max-wait-min) until the 1-minute load average is below this before each job. */
    'wait-load': { type: 'string' },
    'max-wait-min': { type: 'string', default: '20' },
  },
});

async function waitForQuiet(tag: string): Promise<void> {
  if (!values['wait-load']) return;
  const limit = Number(values['wait-load']);
  const until = Date.now() + Number(values['max-wait-min']) * 60_000;
  while (loadavg()[0] > limit && Date.now() < until) {
    log(`${tag} waiting for the machine to quieten (load ${la().join(' ')} > ${limit})`);
    await new Promise((r) => setTimeout(r, 15_000));
  }
}

const log = (s: string) => process.stderr.write(`${s}\n`);
const la = () => loadavg().map((x) => Math.round(x * 100) / 100);

function progress(prefix: string) {
  let last = 0;
  return (e: LutEvent) => {
    if (e.type === 'stage/progress' && (Date.now() - last > 5000 || e.done === e.total)) {
      last = Date.now();
      log(`${prefix} ${e.phase} ${e.done}/${e.total}${e.etaSec !== undefined ? `, eta ${Math.round(e.etaSec)} s` : ''}  (load ${la().join(' ')})`);
    }
    if (e.type === 'lut/correction-fitted') log(`${prefix} correction: ${e.correction.model}, offset ${e.correction.offsetMs.toFixed(3)} ms, scale ${e.correction.scale.toFixed(3)}`);
  };
}

for (const job of values.only ?? DEFAULT) {
  const [space, backendId] = job.split(':');
  let backend: BackendPlugin;
  let plan: KernelPlan | undefined;
  if (values.stock) {
    backend = PLUGINS[backendId];
    if (!backend) throw new Error(`unknown stock backend "${backendId}" (have ${Object.keys(PLUGINS).join(', ')})`);
  } else ({ plugin: backend, plan } = await setupPlugin({ backend: backendId, plan: 'auto' }));
  const out = join(values['luts-dir']!, `${space}.${backendId}.json`);
  const tag = `[${space} on ${backendId}]`;
  await waitForQuiet(tag);
  const loadStart = la();
  // A committed table from another machine is replaced, not resumed.
  let resume = !values.fresh && lutExists(out);
  if (resume) {
    await backend.init({ plan });
    const d = fingerprintDifferences(loadLut(out).device, nodeFingerprint(backend, plan));
    if (d.length) {
      log(`${tag} ${out} was measured elsewhere (${d.map((x) => x.field).join(', ')}): measuring afresh`);
      resume = false;
    }
  }
  let table: LatencyTable | undefined;
  const t0 = performance.now();
  await lastValueFrom(
    measureLut({ space, out, resume, force: !resume }, { backend, plan }).pipe(
      tap(progress(tag)),
      tap((e) => {
        if (e.type === 'lut/completed') table = e.table;
      }),
    ),
  );
  const measureWallSec = (performance.now() - t0) / 1000;
  log(`${tag} table: ${table!.entries.length} entries, ${table!.measureSec?.toFixed(1)} s of measuring (this run ${measureWallSec.toFixed(1)} s)`);
  const imagenet = space.includes('imagenet');
  const samples = Number(values.samples ?? (imagenet ? 40 : 100));
  const calibrationSamples = Number(values.calibration ?? (imagenet ? 16 : 30));
  // On this shared machine the load drifts between measuring a table and validating it, so by
  // default the table is re-timed alongside the validation nets (validateLut `concurrent`).
  const { report, table: corrected } = await validateLut(
    { lut: table!, samples, calibrationSamples, refit: true, seed: 0, concurrent: !values.sequential, repeat: values.repeat ? Number(values.repeat) : undefined },
    { backend, plan, onEvent: progress(tag) },
  );
  await saveLut(out, corrected);
  const result = {
    ...report,
    plugins: values.stock ? 'stock' : 'fbnet',
    kernelPlan: plan ? 'device plan' : 'none',
    lut: { path: `benchmarks/luts/${space}.${backendId}.json`, entries: corrected.entries.length, measureSec: table!.measureSec, measureRunSec: measureWallSec },
    machine: { loadavgStart: loadStart, loadavgEnd: la(), note: '1-, 5-, 15-minute load averages of the machine at the start and end of the run' },
  };
  await writeJsonAtomic(join(values['results-dir']!, `lut-${backendId}-${space}.json`), result);
  const f = (x: { mape: number; within10: number; kendallTau: number }) => `MAPE ${x.mape.toFixed(2)}%, within ±10% ${(100 * x.within10).toFixed(1)}%, τ ${x.kendallTau.toFixed(3)}`;
  log(`${tag} plain:     ${f(report.plain)}`);
  if (report.corrected) log(`${tag} corrected: ${f(report.corrected)} (${report.correction?.model})`);
  for (const r of report.rounds?.slice(1) ?? []) log(`${tag} round ${r.round}: ${f(r)} (${r.predictor})`);
  const rep = report.repeatability;
  if (rep) log(`${tag} repeatability: τ ${rep.kendallTau.toFixed(3)}, MAPE ${rep.mape.toFixed(2)}% between rounds`);
}
