/**
 * Loads the kernels in a real browser: src/ bundled for the browser (esbuild), served with
 * COOP/COEP (SharedArrayBuffer needs cross-origin isolation), run by headless Chromium with a
 * 2-thread pool of module Workers and a main thread that may not block. Skipped, with the
 * reason, when Chromium or esbuild is not installed.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkg = fileURLToPath(new URL('..', import.meta.url));
const esbuild = fileURLToPath(new URL('../../../../node_modules/.bin/esbuild', import.meta.url));

function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    const r = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return undefined;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };

describe('browser', () => {
  it('runs in headless Chromium with a worker pool (cross-origin isolated page)', async (ctx) => {
    const chromium = findChromium();
    if (!chromium) return ctx.skip('no chromium / google-chrome on PATH');
    if (!existsSync(esbuild)) return ctx.skip('esbuild (a dependency of the workspace tooling) not installed');
    const dir = mkdtempSync(join(tmpdir(), 'fbnet-native-browser-'));
    mkdirSync(join(dir, 'src'));
    mkdirSync(join(dir, 'wasm'));
    const b = spawnSync(esbuild, [join(pkg, 'src/index.ts'), '--bundle', '--format=esm', '--platform=browser',
      `--outfile=${join(dir, 'src/index.js')}`, '--external:node:*', '--log-level=error'], { encoding: 'utf8' });
    expect(b.status, b.stderr).toBe(0);
    copyFileSync(join(pkg, 'src/worker.mjs'), join(dir, 'src/worker.mjs'));
    copyFileSync(join(pkg, 'wasm/fbnet-kernels.wasm'), join(dir, 'wasm/fbnet-kernels.wasm'));
    copyFileSync(join(pkg, 'test/browser/smoke.html'), join(dir, 'smoke.html'));

    let resolveResult!: (s: string) => void;
    const posted = new Promise<string>((r) => (resolveResult = r));
    const server = createServer((req, res) => {
      if (req.method === 'POST') {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          res.end('ok');
          resolveResult(body);
        });
        return;
      }
      const path = join(dir, new URL(req.url ?? '/', 'http://x').pathname);
      if (!path.startsWith(dir) || !existsSync(path)) {
        res.writeHead(404).end();
        return;
      }
      res.writeHead(200, {
        'Content-Type': TYPES[extname(path)] ?? 'application/octet-stream',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Embedder-Policy': 'require-corp',
      });
      res.end(readFileSync(path));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const browser = spawn(chromium, ['--headless=new', '--no-sandbox', '--disable-gpu', '--no-first-run',
      `--user-data-dir=${join(dir, 'profile')}`, '--remote-debugging-port=0', `http://127.0.0.1:${port}/smoke.html`],
      { stdio: 'ignore', detached: true }); // own process group: its renderer/zygote children go with it
    const exited = new Promise<void>((r) => browser.once('exit', () => r()));
    try {
      const timeout = new Promise<string>((_, reject) => setTimeout(() => reject(new Error('no result from the page within 60 s')), 60_000));
      const result = JSON.parse(await Promise.race([posted, timeout])) as Record<string, unknown>;
      expect(result.error).toBeUndefined();
      expect(result.threads).toBe(2);
      expect(Math.abs((result.y0 as number) - (result.ref as number))).toBeLessThan(1e-4);
      expect(result.dwInterior).toBe(9);
      expect(result.caps).toMatchObject({ simd: true, sharedMemory: true, threads: true, atomicsWait: false, usable: true });
    } finally {
      if (browser.pid !== undefined) {
        try {
          process.kill(-browser.pid, 'SIGKILL');
        } catch {
          browser.kill('SIGKILL');
        }
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      server.close();
      rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
    }
  });
});
