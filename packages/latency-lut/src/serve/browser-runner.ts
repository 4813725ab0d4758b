/**
 * The page's script (bundled by the server with esbuild; TF.js comes from the UMD bundles
 * the page loads first, as the global `tf`). It runs the very measurement Node runs —
 * `measureEntry` from this package, `BlockModule`/`Net` from @fbnet/nn, tinybench — on each
 * requested backend this browser has, and POSTs each finished table to the server.
 */
import * as tf from '@tensorflow/tfjs-core';
import { measureContexts } from '../measure-context.ts';
import { measureConfigs } from '../measure-probes.ts';
import { LUT_FORMAT_VERSION, LUT_KIND, type LatencyTable, type LutEntry } from '../schema.ts';
import { browserFingerprint } from './browser-device.ts';
import type { BrowserJob, BrowserMessage } from './job.ts';

const status = (text: string) => {
  const el = document.getElementById('status');
  if (el) el.textContent = text;
};

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}
const send = (m: BrowserMessage) => post('event', m).catch(() => undefined);

async function activate(backend: string): Promise<string | undefined> {
  const g = globalThis as { tf?: { wasm?: { setWasmPaths?(p: string): void } } };
  if (backend === 'wasm') g.tf?.wasm?.setWasmPaths?.(new URL('tfjs/', location.href).href);
  try {
    if (!(await tf.setBackend(backend))) return `tf.setBackend("${backend}") failed in this browser`;
    await tf.ready();
    return undefined;
  } catch (e) {
    return `${backend} failed to initialise: ${(e as Error).message}`;
  }
}

async function main(): Promise<void> {
  tf.env().set('PROD', true);
  const job: BrowserJob = await (await fetch('job.json')).json();
  await send({ type: 'started', userAgent: navigator.userAgent, crossOriginIsolated: Boolean((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated) });
  for (const backend of job.backends) {
    const problem = await activate(backend);
    if (problem) {
      await send({ type: 'backend-skipped', backend, reason: problem });
      continue;
    }
    await send({ type: 'backend-started', backend, total: job.entries.length });
    const started = performance.now();
    const onEntry = async (e: LutEntry, i: number) => {
      status(`${backend}: ${i + 1} / ${job.entries.length} — ${e.key}`);
      await send({ type: 'progress', backend, done: i + 1, total: job.entries.length, key: e.key, medianMs: e.medianMs });
    };
    // The same measurement as in Node: entries timed as steps of whole nets (or alone).
    const entries =
      job.timing.context === 'net'
        ? await measureContexts(job.plan, job.timing, { onEntry })
        : await measureConfigs(
            job.entries.map((r) => r.config),
            job.timing,
            { onEntry },
          );
    const now = new Date().toISOString();
    const table: LatencyTable = {
      kind: LUT_KIND,
      version: LUT_FORMAT_VERSION,
      createdAt: now,
      updatedAt: now,
      device: await browserFingerprint(backend),
      timing: job.timing,
      sources: job.sources as LatencyTable['sources'],
      entries,
      measureSec: (performance.now() - started) / 1000,
    };
    const r = await post('lut', table);
    if (!r.ok) status(`${backend}: the server refused the table: ${await r.text()}`);
  }
  status('done');
  await send({ type: 'finished' });
  document.title = 'fbnet lut: done';
}

main().catch((e: Error) => {
  status(`error: ${e.message}`);
  void post('event', { type: 'backend-skipped', backend: 'all', reason: `page error: ${e.message}` });
});
