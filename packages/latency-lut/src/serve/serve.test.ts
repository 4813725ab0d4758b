import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLut } from '../storage.ts';
import { spaceEntries } from '../enumerate.ts';
import { FAKE_DEVICE, fakeLut, QUICK_TIMING, tinySpace } from '../_test-fixtures.ts';
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
    server = await serveLut({ space: tinySpace(), outDir, backends: ['wasm'], timing: QUICK_TIMING });
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
    // its own page, with the Origin a browser sends, still works
    expect((await http(server.url, { headers: { origin: own } })).status).toBe(200);
    const posted = await http(new URL('event', server.url).href, { method: 'POST', headers: { origin: own, 'sec-fetch-site': 'same-origin', ...json }, body: '{"type":"progress"}' });
    expect(posted.status).toBe(204);
    expect((await http(`http://localhost:${server.port}/job.json`, {})).status).toBe(200);
  });
});

describe.skipIf(!existsSync(CHROMIUM))('serveLut in headless Chromium (skipped: no /usr/bin/chromium)', () => {
  it('measures the tiny space with WASM in the browser and stores the posted table with the browser fingerprint', async () => {
    const { chromium } = await import('playwright-core');
    const outDir = mkdtempSync(join(tmpdir(), 'fbnet-serve-'));
    const profile = mkdtempSync(join(tmpdir(), 'fbnet-chromium-'));
    const server = await serveLut({ space: tinySpace(), outDir, backends: ['webgpu', 'wasm'], timing: QUICK_TIMING });
    const skipped: string[] = [];
    const sub = server.events$.subscribe((e) => {
      if (e.type === 'lut/browser-message' && e.message.type === 'backend-skipped') skipped.push(`${e.message.backend}: ${e.message.reason}`);
    });
    const received = firstValueFrom(server.events$.pipe(filter((e) => e.type === 'lut/table-received'), timeout(90_000)));
    const finished = firstValueFrom(server.events$.pipe(filter((e) => e.type === 'lut/browser-message' && e.message.type === 'finished'), timeout(90_000)));
    const browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => pageErrors.push(e.message));
      await page.goto(server.url);
      const got = await received;
      await finished;
      expect(pageErrors).toEqual([]);
      if (got.type !== 'lut/table-received') throw new Error('unreachable');
      expect(got.backend).toBe('wasm');
      const lut = loadLut(got.path);
      expect(lut.entries.map((e) => e.key).sort()).toEqual(spaceEntries(tinySpace()).map((e) => e.key).sort());
      expect(lut.device.backend).toBe('wasm');
      if (process.env.LUT_DEBUG) console.log(JSON.stringify(lut.device), skipped);
      expect(lut.device.runtime).toMatch(/Chrome/);
      expect(lut.device.extra?.userAgent).toBe(lut.device.runtime);
      expect(lut.device.cores).toBeGreaterThan(0);
      expect(lut.sources[0]).toMatchObject({ kind: 'space', name: 'tiny' });
      expect(lut.entries.every((e) => e.samples >= 2)).toBe(true);
      // headless Chromium with --disable-gpu has no WebGPU adapter: skipped with a reason, not an error
      expect(skipped.join('\n')).toMatch(/webgpu/);
      expect(await page.locator('#status').textContent()).toBe('done');
    } finally {
      sub.unsubscribe();
      await browser.close();
      await server.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
