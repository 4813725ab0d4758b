import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadLut } from '../storage.ts';
import { spaceEntries } from '../enumerate.ts';
import { QUICK_TIMING, tinySpace } from '../_test-fixtures.ts';
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
    const bad = await fetch(new URL('lut', server.url), { method: 'POST', body: JSON.stringify({ kind: 'fbnet-latency-lut', version: 1 }) });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/posted latency table: createdAt/);
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
