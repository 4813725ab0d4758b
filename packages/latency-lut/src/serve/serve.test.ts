import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BrowserContext, Page } from 'playwright-core';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLut } from '../storage.ts';
import { spaceEntries } from '../enumerate.ts';
import { FAKE_DEVICE, fakeLut, QUICK_TIMING, tinySpace } from '../_test-fixtures.ts';
import { decodePng, inkShare } from './_png.ts';
import { serveLut, type LutServer } from './server.ts';

const CHROMIUM = '/usr/bin/chromium';

describe('serveLut (server side)', () => {
  let server: LutServer;
  beforeAll(async () => {
    server = await serveLut({ space: tinySpace(), outDir: mkdtempSync(join(tmpdir(), 'fbnet-serve-')), backends: ['wasm'], timing: QUICK_TIMING });
  });
  afterAll(() => server.close());

  it('serves the page, the bundled runner, the job and the TF.js files; refuses an invalid table naming the field', async () => {
    const page = await (await fetch(server.url)).text();
    expect(page).toMatch(/tfjs\/tf-core\.min\.js/);
    expect(page).toMatch(/tfjs\/tf-backend-wasm\.min\.js/);
    const job = await (await fetch(new URL('job.json', server.url))).json();
    expect(job.entries.map((e: { key: string }) => e.key)).toEqual(spaceEntries(tinySpace()).map((e) => e.key));
    const runner = await fetch(new URL('runner.js', server.url));
    expect(runner.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect((await runner.text()).length).toBeGreaterThan(10_000);
    const wasm = await fetch(new URL('tfjs/tfjs-backend-wasm-simd.wasm', server.url));
    expect(wasm.headers.get('content-type')).toBe('application/wasm');
    expect((await wasm.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    expect((await fetch(new URL('tfjs/../../package.json', server.url))).status).toBe(404);
    const bad = await fetch(new URL('lut', server.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'fbnet-latency-lut', version: 1 }) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/posted latency table: createdAt/);
  });
});

/** A raw HTTP request (fetch would not let a test set Host, or send a body of a declared length it does not have). */
function http(url: string, o: { method?: string; headers?: Record<string, string>; body?: string }): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: o.method ?? 'GET', headers: o.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end(o.body);
  });
}

describe('serveLut: what it accepts', () => {
  let server: LutServer;
  let root: string;
  let outDir: string;
  const refused: string[] = [];
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'fbnet-serve-guard-'));
    outDir = join(root, 'a', 'b', 'c', 'luts');
    const nextStep = ({ path, backend }: { path: string; backend: string }) => ({ command: `use ${backend} ${path}` });
    server = await serveLut({ space: tinySpace(), outDir, backends: ['wasm'], timing: QUICK_TIMING, nextStep });
    server.events$.subscribe((e) => e.type === 'lut/request-refused' && refused.push(`${e.status} ${e.reason}`));
  });
  afterAll(() => server.close());
  const json = { 'content-type': 'application/json' };
  const everything = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? everything(join(dir, d.name)) : [join(dir, d.name)]));

  it('writes a posted table only inside --out-dir, under a name the server makes (path traversal in device.backend)', async () => {
    for (const backend of ['x/../../../../outside', '../../../../../../tmp/evil', 'wasm/../../x']) {
      const r = await http(new URL('lut', server.url).href, { method: 'POST', headers: json, body: JSON.stringify(fakeLut(tinySpace(), { ...FAKE_DEVICE, backend })) });
      expect(r.status, backend).toBe(400);
      expect(r.text).toMatch(/device\.backend .* is not one of the backends served \(wasm\)/);
    }
    expect(everything(root)).toEqual([]);
    const ok = await http(new URL('lut', server.url).href, { method: 'POST', headers: json, body: JSON.stringify(fakeLut(tinySpace(), { ...FAKE_DEVICE, backend: 'wasm' })) });
    expect(ok.status).toBe(200);
    const path = JSON.parse(ok.text).path as string;
    // the reply tells the page where the table is and how to use it
    expect(JSON.parse(ok.text)).toEqual({ path, next: { command: `use wasm ${path}` } });
    expect(everything(root)).toEqual([path]);
    expect(path.startsWith(outDir + '/')).toBe(true);
    expect(path.slice(outDir.length + 1)).toMatch(/^lut-wasm-[0-9a-f]{16}\.json$/);
  });

  it('refuses cross-origin, non-JSON, oversized, foreign-Host and non-GET/POST requests with the right status', async () => {
    const url = new URL('lut', server.url).href;
    const body = JSON.stringify({ kind: 'fbnet-latency-lut' });
    const own = new URL(server.url).origin;
    const cases: [string, Parameters<typeof http>[1], number][] = [
      ['cross-origin text/plain', { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': 'text/plain' }, body }, 403],
      ['cross-origin JSON', { method: 'POST', headers: { origin: 'http://evil.example', ...json }, body }, 403],
      ['cross-site fetch metadata', { method: 'POST', headers: { 'sec-fetch-site': 'cross-site', ...json }, body }, 403],
      ['DNS rebinding (foreign Host)', { method: 'POST', headers: { host: `evil.example:${server.port}`, origin: `http://evil.example:${server.port}`, ...json }, body }, 403],
      ['foreign Host on a GET', { headers: { host: `evil.example:${server.port}` } }, 403],
      ['same-origin text/plain', { method: 'POST', headers: { origin: own, 'content-type': 'text/plain' }, body }, 415],
      ['no content type', { method: 'POST', body }, 415],
      ['form post', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'a=1' }, 415],
      ['declared 1 GB body', { method: 'POST', headers: { ...json, 'content-length': String(1024 ** 3) } }, 413],
      ['event over its cap', { method: 'POST', headers: json, body: JSON.stringify({ type: 'progress', pad: 'x'.repeat(300 * 1024) }) }, 413],
      ['event that is no message', { method: 'POST', headers: json, body: '{"type":"progress","backend":"wasm"}' }, 400],
      ['PUT', { method: 'PUT', headers: json, body }, 405],
      ['CORS preflight', { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } }, 403],
      ['OPTIONS', { method: 'OPTIONS' }, 405],
    ];
    for (const [name, o, status] of cases) {
      const target = name.startsWith('event') ? new URL('event', server.url).href : url;
      const r = await http(target, o);
      expect(r.status, name).toBe(status);
    }
    expect(refused).toHaveLength(cases.length);
    expect(refused[0]).toMatch(/^403 cross-origin request from http:\/\/evil\.example refused/);
    expect(refused.find((r) => r.startsWith('400'))).toMatch(/^400 event: .*done/);
    // its own page, with the Origin a browser sends, still works
    expect((await http(server.url, { headers: { origin: own } })).status).toBe(200);
    const posted = await http(new URL('event', server.url).href, { method: 'POST', headers: { origin: own, 'sec-fetch-site': 'same-origin', ...json }, body: '{"type":"finished"}' });
    expect(posted.status).toBe(204);
    expect((await http(`http://localhost:${server.port}/job.json`, {})).status).toBe(200);
  });
});


/** A phone's screen (an iPhone 12-15's CSS viewport), with mobile emulation so the viewport meta counts. */
const PHONE = { width: 390, height: 844 };

describe.skipIf(!existsSync(CHROMIUM))('serveLut in headless Chromium (skipped: no /usr/bin/chromium)', () => {
  let browser: BrowserContext;
  let profile: string;
  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    profile = mkdtempSync(join(tmpdir(), 'fbnet-chromium-'));
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: PHONE,
      deviceScaleFactor: 1,
      isMobile: true,
      hasTouch: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(profile, { recursive: true, force: true });
  });

  /** The page fits the phone's width (nothing scrolls sideways) and its screenshot is a non-blank PNG of that width. */
  async function expectFitsPhone(page: Page, name: string): Promise<void> {
    const { scrollWidth, viewport } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, viewport: window.innerWidth }));
    expect(viewport).toBe(PHONE.width);
    expect(scrollWidth).toBeLessThanOrEqual(PHONE.width);
    const png = await page.screenshot({ fullPage: true });
    // LUT_SCREENSHOTS=dir keeps them, to look at
    if (process.env.LUT_SCREENSHOTS) writeFileSync(join(process.env.LUT_SCREENSHOTS, `lut-serve-${name}.png`), png);
    const img = decodePng(png);
    expect(img.width).toBe(PHONE.width);
    expect(img.height).toBeGreaterThanOrEqual(PHONE.height);
    expect(inkShare(img)).toBeGreaterThan(0.02);
  }

  it('measures the tiny space with WASM in the browser, stores the table with the browser fingerprint, and shows a summary with its path and the search command', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'fbnet-serve-'));
    const nextStep = ({ path }: { path: string }) => ({ command: `fbnet search v1 --lut ${path} --force-lut`, note: 'measured in the browser' });
    const server = await serveLut({ space: tinySpace(), outDir, backends: ['webgpu', 'wasm'], timing: QUICK_TIMING, nextStep });
    const skipped: string[] = [];
    const messages: string[] = [];
    const sub = server.events$.subscribe((e) => {
      if (e.type === 'lut/browser-message') messages.push(e.message.type);
      if (e.type === 'lut/browser-message' && e.message.type === 'backend-skipped') skipped.push(e.message.reason);
    });
    const received = firstValueFrom(server.events$.pipe(filter((e) => e.type === 'lut/table-received'), timeout(90_000)));
    const finished = firstValueFrom(server.events$.pipe(filter((e) => e.type === 'lut/browser-message' && e.message.type === 'finished'), timeout(90_000)));
    const page = await browser.newPage();
    try {
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(server.url);
      // A page that stops (runner.js failed to build or load, job.json unreadable) fails the test with its own words.
      const stopped = page
        .waitForFunction(() => document.getElementById('status')?.className === 'error', null, { timeout: 0 })
        .then(async () => Promise.reject(new Error(`the page stopped: ${await page.locator('#status').textContent()}`)));
      stopped.catch(() => undefined);
      const [got] = await Promise.race([Promise.all([received, finished]), stopped]);
      expect(pageErrors).toEqual([]);
      if (got.type !== 'lut/table-received') throw new Error('unreachable');
      expect(got.backend).toBe('wasm');
      const lut = loadLut(got.path);
      const total = spaceEntries(tinySpace()).length;
      expect(lut.entries.map((e) => e.key).sort()).toEqual(spaceEntries(tinySpace()).map((e) => e.key).sort());
      expect(lut.device.backend).toBe('wasm');
      if (process.env.LUT_DEBUG) console.log(JSON.stringify(lut.device), skipped);
      expect(lut.device.runtime).toMatch(/Chrome/);
      expect(lut.device.extra?.userAgent).toBe(lut.device.runtime);
      expect(lut.device.cores).toBeGreaterThan(0);
      expect(lut.sources[0]).toMatchObject({ kind: 'space', name: 'tiny' });
      expect(lut.entries.every((e) => e.samples >= 2)).toBe(true);
      // the server heard every step, ETA included; no message was refused
      expect(messages).toEqual(expect.arrayContaining(['started', 'backend-skipped', 'backend-started', 'progress', 'finished']));
      // headless Chromium with --disable-gpu has no WebGPU adapter: skipped with a reason, not an error
      expect(skipped).toHaveLength(1);
      expect(skipped[0]).toMatch(/webgpu/);

      // the page: each backend's outcome, the summary with the file and the command, no error
      await page.waitForFunction(() => document.title === 'fbnet lut: done');
      expect(await page.locator('#status').textContent()).toBe('done: 1 table written, 1 backend unavailable');
      expect(await page.locator('#messages').textContent()).toBe('');
      expect(await page.locator('#backend-webgpu .reason').textContent()).toBe(`unavailable in this browser: ${skipped[0]}`);
      expect(await page.locator('#backend-wasm .counts').textContent()).toMatch(new RegExp(`^${total} / ${total} blocks · took `));
      expect(await page.locator('#backend-wasm tbody tr').count()).toBe(total);
      const summary = page.locator('#summary');
      expect(await summary.isVisible()).toBe(true);
      const wasmLine = await summary.locator('li[data-backend=wasm]').textContent();
      expect(wasmLine).toMatch(new RegExp(`^wasm: ${total} entries, median block \\d[\\d.e-]* ms → `));
      expect(await summary.locator('li[data-backend=wasm] code.path').textContent()).toBe(got.path);
      expect(await summary.locator('li[data-backend=webgpu]').textContent()).toBe(`webgpu: unavailable — ${skipped[0]}`);
      expect(await summary.locator('pre.command').textContent()).toBe(`fbnet search v1 --lut ${got.path} --force-lut`);
      expect(await summary.locator('.note').textContent()).toBe('measured in the browser');
      await expectFitsPhone(page, 'done');
    } finally {
      sub.unsubscribe();
      await page.close();
      await server.close();
    }
  });

  it('shows, on a phone-width screen, blocks measured / total with an ETA, the live table and an unavailable backend with its reason (fake job state)', async () => {
    // The real page (HTML, styles) with the view alone as its script, driven with a made-up job and a fake clock.
    const server = await serveLut({ space: tinySpace(), outDir: mkdtempSync(join(tmpdir(), 'fbnet-serve-')), backends: ['webgpu', 'wasm'], timing: QUICK_TIMING });
    const view = await build({
      stdin: { contents: "export { LutPageView } from './page-view.ts';", resolveDir: fileURLToPath(new URL('.', import.meta.url)), loader: 'ts' },
      bundle: true,
      write: false,
      format: 'iife',
      globalName: 'fbnetView',
      logLevel: 'silent',
    });
    const page = await browser.newPage();
    try {
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.route('**/runner.js', (r) => r.fulfill({ contentType: 'text/javascript', body: view.outputFiles[0].text }));
      await page.goto(server.url);
      // Block keys as long as fbnet-v1-imagenet's longest, without a space to break at: the table must wrap them to fit.
      const keys = Array.from({ length: 13 }, (_, i) => `block:ir_k5[conv1s1p0,0g1:${i}>96+bn+relu|conv5s2p2,2g96:96>96+bn+relu|conv1s1p0,0g1:96>24+bn]+res@56x56x${i}`);
      const reason = 'tf.setBackend("webgpu") failed in this browser';
      const drive = (events: unknown[], clockMs: number) =>
        page.evaluate(
          ([events, clockMs]) => {
            const w = globalThis as unknown as { view?: { apply(e: unknown): void }; clock: number; fbnetView: { LutPageView: new (d: Document, now: () => number) => { apply(e: unknown): void } } };
            w.clock = clockMs;
            w.view ??= new w.fbnetView.LutPageView(document, () => w.clock);
            for (const e of events) w.view.apply(e);
          },
          [events, clockMs] as const,
        );
      await drive([{ type: 'job', backends: ['webgpu', 'wasm'], entries: 13, source: 'the space tiny' }, { type: 'browser', userAgent: 'Mozilla/5.0 (Linux; Android 14) Chrome/131', crossOriginIsolated: true, secureContext: true, cores: 8 }], 0);
      await drive([{ type: 'backend-skipped', backend: 'webgpu', reason }, { type: 'backend-started', backend: 'wasm', total: 13 }], 1000);
      expect(await page.locator('#backend-wasm .counts').textContent()).toBe('0 / 13 blocks · <1 s elapsed · ETA: estimating…');
      // 10 s after the start: 5 entries and 40% of the timing rounds done → 15 s left (10 s / 0.4 × 0.6)
      await drive([...keys.slice(0, 5).map((key, i) => ({ type: 'entry-measured', backend: 'wasm', done: i + 1, total: 13, key, medianMs: 0.125 * (i + 1) })), { type: 'timing-round', backend: 'wasm', fraction: 0.4 }], 11_000);

      expect(pageErrors).toEqual([]);
      expect(await page.locator('#status').textContent()).toBe('measuring wasm: 5 / 13');
      expect(await page.title()).toBe('fbnet lut: wasm 5/13');
      expect(await page.locator('#backend-wasm .counts').textContent()).toBe('5 / 13 blocks · 10 s elapsed · ETA 15 s · 40% of the timing rounds');
      expect(await page.locator('#backend-wasm .badge').textContent()).toBe('measuring');
      expect(await page.locator('#backend-wasm progress').evaluate((p: HTMLProgressElement) => [p.value, p.max])).toEqual([5, 13]);
      const rows = page.locator('#backend-wasm tbody tr');
      expect(await rows.count()).toBe(5);
      expect(await rows.first().locator('td').allTextContents()).toEqual([keys[4], '0.625']);
      expect(await page.locator('#backend-webgpu .badge').textContent()).toBe('unavailable');
      expect(await page.locator('#backend-webgpu .reason').textContent()).toBe(`unavailable in this browser: ${reason}`);
      expect(await page.locator('#backend-webgpu .reason').isVisible()).toBe(true);
      expect(await page.locator('#summary').isVisible()).toBe(false);
      await expectFitsPhone(page, 'progress');

      // the end: a long path and its command wrap too; an error is on the page, not swallowed
      const path = `/home/someone/profiling/${'phone-'.repeat(12)}luts/lut-wasm-0123456789abcdef.json`;
      const command = `fbnet search v1 --lut ${path} --force-lut`;
      await drive(
        [
          ...keys.slice(5).map((key, i) => ({ type: 'entry-measured', backend: 'wasm', done: i + 6, total: 13, key, medianMs: 0.5 })),
          { type: 'table-stored', backend: 'wasm', entries: 13, medianBlockMs: 0.5, reply: { path, next: { command, note: 'why --force-lut' } } },
        ],
        20_000,
      );
      expect(await page.locator('#backend-wasm .result pre.path').textContent()).toBe(path);
      expect(await page.locator('#backend-wasm .result pre.command').textContent()).toBe(command);
      expect(await page.locator('#backend-wasm .counts').textContent()).toBe('13 / 13 blocks · took 19 s');
      await drive([{ type: 'warning', message: 'this page was in the background for 3 s while measuring wasm' }, { type: 'finished' }], 20_000);
      expect(await page.locator('#status').textContent()).toBe('done: 1 table written, 1 backend unavailable');
      expect(await page.locator('#summary li[data-backend=wasm]').textContent()).toBe(`wasm: 13 entries, median block 0.5 ms → ${path}`);
      expect(await page.locator('#summary pre.command').textContent()).toBe(command);
      expect(await page.locator('#messages .warning').textContent()).toMatch(/background for 3 s/);
      await expectFitsPhone(page, 'summary');
      await drive([{ type: 'error', message: 'the server refused the table (400): entries: lacks 1', fatal: true }], 21_000);
      expect(await page.locator('#messages .error').textContent()).toBe('error: the server refused the table (400): entries: lacks 1');
      expect(await page.locator('#status').textContent()).toMatch(/^stopped by an error: /);
    } finally {
      await page.close();
      await server.close();
    }
  });

  it('shows an error that stops the page (job.json unreadable) and reports it to the server', async () => {
    const server = await serveLut({ space: tinySpace(), outDir: mkdtempSync(join(tmpdir(), 'fbnet-serve-')), backends: ['wasm'], timing: QUICK_TIMING });
    const reported = firstValueFrom(server.events$.pipe(filter((e) => e.type === 'lut/browser-message' && e.message.type === 'page-error'), timeout(30_000)));
    const page = await browser.newPage();
    try {
      await page.route('**/job.json', (r) => r.fulfill({ status: 500, contentType: 'text/plain', body: 'disk on fire' }));
      await page.goto(server.url);
      const got = await reported;
      const status = page.locator('#status');
      await page.waitForFunction(() => document.title === 'fbnet lut: error');
      expect(await status.textContent()).toBe('stopped by an error: job.json: the server answered 500: disk on fire');
      expect(await page.locator('#messages .error').textContent()).toBe('error: job.json: the server answered 500: disk on fire');
      expect(got.type === 'lut/browser-message' && got.message).toEqual({ type: 'page-error', message: 'job.json: the server answered 500: disk on fire' });
    } finally {
      await page.close();
      await server.close();
    }
  });
});
