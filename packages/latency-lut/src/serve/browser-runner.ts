/**
 * The page's script (bundled by the server with esbuild; TF.js comes from the UMD bundles
 * the page loads first, as the global `tf`). It runs the very measurement Node runs —
 * `measureEntry` from this package, `BlockModule`/`Net` from @fbnet/nn, tinybench — on each
 * requested backend this browser has, shows its progress (LutPageView), reports it to the
 * server, and POSTs each finished table there.
 */
import * as tf from '@tensorflow/tfjs-core';
import { measureContexts } from '../measure-context.ts';
import { measureConfigs } from '../measure-probes.ts';
import { LUT_FORMAT_VERSION, LUT_KIND, type LatencyTable, type LutEntry } from '../schema.ts';
import { browserFingerprint } from './browser-device.ts';
import type { BrowserJob, BrowserMessage, LutStoredReply } from './job.ts';
import { formatSec, LutPageView } from './page-view.ts';

const view = new LutPageView(document);
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function post(path: string, body: unknown): Promise<Response> {
  return fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** Progress reaches the server best effort: measuring goes on without it, but the page says so. */
async function send(m: BrowserMessage): Promise<void> {
  try {
    const r = await post('event', m);
    if (!r.ok) view.apply({ type: 'warning', message: `the server answered ${r.status} to a progress message: ${await r.text()}` });
  } catch (e) {
    view.apply({
      type: 'warning',
      message:
        `could not report progress to the server (${message(e)}): the terminal running fbnet lut serve does not see it; ` +
        'each table is still sent when its backend is done',
    });
  }
}

async function activate(backend: string): Promise<string | undefined> {
  const g = globalThis as { tf?: { wasm?: { setWasmPaths?(p: string): void } } };
  if (backend === 'wasm') g.tf?.wasm?.setWasmPaths?.(new URL('tfjs/', location.href).href);
  if (backend === 'webgpu' && !('gpu' in navigator) && !isSecureContext) {
    return (
      'WebGPU needs a secure context and this page is plain http on a network address; ' +
      `open it as http://localhost:${location.port}/ (for a phone on USB: adb reverse tcp:${location.port} tcp:${location.port})`
    );
  }
  try {
    if (!(await tf.setBackend(backend))) return `tf.setBackend("${backend}") failed in this browser`;
    await tf.ready();
    return undefined;
  } catch (e) {
    return `${backend} failed to initialise: ${message(e)}`;
  }
}

function medianOf(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A phone that locks its screen pauses the page: ask it not to, where the browser lets a page ask. */
async function keepScreenOn(): Promise<void> {
  const lock = (navigator as { wakeLock?: { request(type: 'screen'): Promise<unknown> } }).wakeLock;
  // Plain http on a LAN address is not a secure context, so there is no Wake Lock: the page's hint asks the user.
  if (!lock || document.hidden) return;
  try {
    await lock.request('screen');
  } catch {
    /* refused (battery saver): the page's hint asks the user instead */
  }
}

let measuring: string | undefined;
let hiddenAt: number | undefined;
document.addEventListener('visibilitychange', () => {
  if (document.hidden) hiddenAt = performance.now();
  else {
    if (measuring && hiddenAt !== undefined) {
      view.apply({
        type: 'warning',
        message:
          `this page was in the background for ${formatSec((performance.now() - hiddenAt) / 1000)} while measuring ${measuring}: ` +
          'browsers throttle background tabs, so blocks timed then may read slow; measure again with the page in front to be sure',
      });
    }
    hiddenAt = undefined;
    void keepScreenOn();
  }
});

async function fail(backend: string, error: string): Promise<void> {
  view.apply({ type: 'backend-failed', backend, error });
  await send({ type: 'backend-failed', backend, error });
}

async function measureOn(job: BrowserJob, backend: string): Promise<void> {
  const problem = await activate(backend);
  if (problem) {
    view.apply({ type: 'backend-skipped', backend, reason: problem });
    await send({ type: 'backend-skipped', backend, reason: problem });
    return;
  }
  const total = job.entries.length;
  view.apply({ type: 'backend-started', backend, total });
  await send({ type: 'backend-started', backend, total });
  const started = performance.now();
  let done = 0;
  let entries: LutEntry[];
  measuring = backend;
  try {
    const onEntry = async (e: LutEntry, i: number) => {
      done = i + 1;
      view.apply({ type: 'entry-measured', backend, done, total, key: e.key, medianMs: e.medianMs });
      await send({ type: 'progress', backend, done, total, key: e.key, medianMs: e.medianMs, etaSec: view.eta(backend) });
    };
    // Entries finish in bursts (a group of context archs at a time): rounds move the ETA between them.
    const onRound = (fraction: number) => {
      view.apply({ type: 'timing-round', backend, fraction });
      void send({ type: 'timing-round', backend, done, total, fraction, etaSec: view.eta(backend) });
    };
    // The same measurement as in Node: entries timed as steps of whole nets (or alone).
    entries =
      job.timing.context !== 'isolated'
        ? await measureContexts(job.plan, job.timing, { onEntry, onRound })
        : await measureConfigs(
            job.entries.map((r) => r.config),
            job.timing,
            { onEntry },
          );
  } catch (e) {
    return fail(backend, `measuring stopped after ${done} of ${total} blocks: ${message(e)}`);
  } finally {
    measuring = undefined;
  }
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
  let r: Response;
  try {
    r = await post('lut', table);
  } catch (e) {
    return fail(backend, `could not send the table to the server (${message(e)}); is fbnet lut serve still running?`);
  }
  if (!r.ok) return fail(backend, `the server refused the table (${r.status}): ${await r.text()}`);
  const reply = (await r.json()) as LutStoredReply;
  const blocks = entries.filter((e) => e.kind === 'block');
  const medianBlockMs = medianOf((blocks.length ? blocks : entries).map((e) => e.medianMs));
  view.apply({ type: 'table-stored', backend, entries: entries.length, medianBlockMs, reply });
}

async function main(): Promise<void> {
  tf.env().set('PROD', true);
  void keepScreenOn();
  const r = await fetch('job.json');
  if (!r.ok) throw new Error(`job.json: the server answered ${r.status}: ${await r.text()}`);
  const job: BrowserJob = await r.json();
  const source = job.sources.map((s) => (s.kind === 'space' ? `the space ${s.name}` : 'the listed archs')).join(' and ');
  view.apply({ type: 'job', backends: job.backends, entries: job.entries.length, source });
  const crossOriginIsolated = Boolean((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated);
  view.apply({
    type: 'browser',
    userAgent: navigator.userAgent,
    crossOriginIsolated,
    secureContext: isSecureContext,
    cores: navigator.hardwareConcurrency ?? 0,
  });
  await send({ type: 'started', userAgent: navigator.userAgent, crossOriginIsolated });
  for (const backend of job.backends) await measureOn(job, backend);
  view.apply({ type: 'finished' });
  await send({ type: 'finished' });
}

function pageError(text: string): void {
  view.apply({ type: 'error', message: text, fatal: true });
  void send({ type: 'page-error', message: text });
}
addEventListener('error', (e) => {
  // Resource load failures are the page's inline handler's; this one takes script errors.
  if (e instanceof ErrorEvent) pageError(e.message);
});
addEventListener('unhandledrejection', (e) => pageError(message(e.reason)));

main().catch((e: unknown) => pageError(message(e)));
