import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Subject, type Observable } from 'rxjs';
import { FbnetError, type SearchSpace } from '@fbnet/core';
import { fileSlug, safeJoin } from '@fbnet/core/node';
import { planContexts } from '../context-plan.ts';
import { sourceEntries } from '../enumerate.ts';
import { hashJson } from '../hash.ts';
import { resolveSource } from '../measure-lut.ts';
import { parseLut, type LatencyTable, type LutDevice } from '../schema.ts';
import { saveLut } from '../storage.ts';
import { resolveTiming, type TimingOptions } from '../timing.ts';
import { bundleBrowserRunner } from './bundle.ts';
import type { BrowserJob, BrowserMessage, LutNextStep, LutStoredReply } from './job.ts';
import { parseBrowserMessage } from './message-schema.ts';
import { lutPage } from './page.ts';
import { checkJsonBody, checkOrigin, HttpRefusal, MAX_EVENT_BODY, MAX_TABLE_BODY, readBody } from './request-guard.ts';

export type BrowserBackend = 'wasm' | 'webgl' | 'webgpu' | 'cpu';

export interface ServeLutOptions {
  /** What to measure: a search space (object, preset name or file) or arch defs. */
  space?: SearchSpace | string;
  archs?: unknown[];
  /**
   * Where received tables go: `<outDir>/lut-<backend>-<fingerprint hash>.json`, the backend one
   * of `backends` (slugged) — no part of the name is taken from the posted table as sent.
   */
  outDir: string;
  /** Backends to measure, in order, where the browser has them (default webgpu, webgl, wasm). */
  backends?: BrowserBackend[];
  timing?: Partial<TimingOptions>;
  /** Default 127.0.0.1 and a free port. */
  host?: string;
  port?: number;
  /**
   * How to use a stored table (the CLI's `fbnet search … --lut <path>` line): sent back with
   * the table's path, so the page can show the exact next step. The library knows no command.
   */
  nextStep?: (stored: { path: string; backend: string }) => LutNextStep | undefined;
}

export type LutServeEvent =
  | { type: 'lut/browser-message'; message: BrowserMessage }
  | { type: 'lut/table-received'; path: string; backend: string; entries: number; device: LutDevice; next?: LutNextStep }
  | { type: 'lut/table-refused'; reason: string }
  /** A request refused before it was looked at: another origin, not JSON, too large, wrong method. */
  | { type: 'lut/request-refused'; status: number; method: string; path: string; reason: string }
  /** A request the server failed to answer (500), e.g. the page's script did not bundle. */
  | { type: 'lut/request-failed'; method: string; path: string; reason: string };

export interface LutServer {
  url: string;
  port: number;
  readonly events$: Observable<LutServeEvent>;
  /** Paths of the tables received so far. */
  readonly tables: string[];
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);
function distOf(pkg: string): string {
  return dirname(require.resolve(`${pkg}/package.json`)) + '/dist';
}

/** TF.js files the page may load, from node_modules: the UMD bundles and the wasm binaries. */
function staticFiles(): Map<string, { path: string; type: string }> {
  const m = new Map<string, { path: string; type: string }>();
  const add = (name: string, dir: string, type: string) => m.set(name, { path: join(dir, name), type });
  add('tf-core.min.js', distOf('@tensorflow/tfjs-core'), 'text/javascript');
  add('tf-backend-cpu.min.js', distOf('@tensorflow/tfjs-backend-cpu'), 'text/javascript');
  add('tf-backend-webgl.min.js', distOf('@tensorflow/tfjs-backend-webgl'), 'text/javascript');
  add('tf-backend-webgpu.min.js', distOf('@tensorflow/tfjs-backend-webgpu'), 'text/javascript');
  const wasm = distOf('@tensorflow/tfjs-backend-wasm');
  add('tf-backend-wasm.min.js', wasm, 'text/javascript');
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']) add(f, wasm, 'application/wasm');
  return m;
}

/**
 * `fbnet lut serve`: a small node:http server whose page measures the table in the
 * visitor's browser (WebGPU, WebGL, WASM — whatever it has) and POSTs it back; each table
 * is validated (zod, keys, coverage of the job) and stored with the browser's fingerprint.
 * Responses carry COOP/COEP so the page is cross-origin isolated (threaded WASM).
 */
export async function serveLut(options: ServeLutOptions): Promise<LutServer> {
  const source = resolveSource(options);
  const refs = sourceEntries(source);
  const sourceRec = 'space' in source ? { kind: 'space' as const, name: source.space.name, hash: hashJson(source.space), space: source.space } : { kind: 'archs' as const, hash: hashJson(source.archs), archs: [...source.archs] };
  const backends = options.backends ?? ['webgpu', 'webgl', 'wasm'];
  const job: BrowserJob = {
    backends,
    timing: resolveTiming(options.timing),
    sources: [sourceRec],
    entries: refs.map((r) => ({ key: r.key, config: r.config })),
    plan: planContexts(source, new Set(refs.map((r) => r.key))),
  };
  const wanted = new Set(refs.map((r) => r.key));
  const files = staticFiles();
  const events = new Subject<LutServeEvent>();
  const tables: string[] = [];
  const runner = bundleBrowserRunner();
  runner.catch(() => undefined);

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer) => {
    res.writeHead(status, {
      'content-type': type,
      'cache-control': 'no-store',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
      'cross-origin-resource-policy': 'same-origin',
    });
    res.end(body);
  };

  const receiveTable = async (text: string): Promise<LutStoredReply> => {
    const lut: LatencyTable = parseLut(text, 'posted latency table');
    const missing = [...wanted].filter((k) => !lut.entries.some((e) => e.key === k));
    if (missing.length) throw new FbnetError('FILE_INVALID', `posted latency table: entries: lacks ${missing.length} of the ${wanted.size} entries served (first: ${missing[0]})`);
    const backend = backends.find((b) => b === lut.device.backend);
    if (!backend) {
      const got = JSON.stringify(lut.device.backend.slice(0, 80));
      throw new FbnetError('FILE_INVALID', `posted latency table: device.backend ${got} is not one of the backends served (${backends.join(', ')})`);
    }
    // The name is built from server-side values only (the served backend id, a hash), then checked again after resolution.
    const path = safeJoin(options.outDir, `lut-${fileSlug(backend)}-${hashJson(lut.device)}.json`);
    await saveLut(path, lut);
    tables.push(path);
    const next = options.nextStep?.({ path, backend });
    events.next({ type: 'lut/table-received', path, backend: lut.device.backend, entries: lut.entries.length, device: lut.device, ...(next ? { next } : {}) });
    return { path, ...(next ? { next } : {}) };
  };

  const host = options.host ?? '127.0.0.1';
  let port = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname;
    void (async () => {
      try {
        checkOrigin(req, host, port);
        if (req.method === 'POST') checkJsonBody(req);
        else if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpRefusal(405, `method ${req.method} not allowed`);
        if (req.method === 'GET' && (p === '/' || p === '/index.html')) return send(res, 200, 'text/html; charset=utf-8', lutPage(backends));
        if (req.method === 'GET' && p === '/runner.js') return send(res, 200, 'text/javascript', await runner);
        if (req.method === 'GET' && p === '/job.json') return send(res, 200, 'application/json', JSON.stringify(job));
        if (req.method === 'GET' && p.startsWith('/tfjs/')) {
          const f = files.get(p.slice('/tfjs/'.length));
          if (!f) return send(res, 404, 'text/plain', 'not found');
          res.writeHead(200, {
            'content-type': f.type,
            'content-length': String(statSync(f.path).size),
            'cross-origin-resource-policy': 'same-origin',
            'cross-origin-embedder-policy': 'require-corp',
          });
          createReadStream(f.path).pipe(res);
          return;
        }
        if (req.method === 'POST' && p === '/event') {
          let body: unknown;
          try {
            body = JSON.parse(await readBody(req, MAX_EVENT_BODY));
          } catch (e) {
            if (e instanceof HttpRefusal) throw e;
            throw new HttpRefusal(400, `event body is not valid JSON: ${(e as Error).message}`);
          }
          const message: BrowserMessage | string = parseBrowserMessage(body);
          if (typeof message === 'string') throw new HttpRefusal(400, message);
          events.next({ type: 'lut/browser-message', message });
          return send(res, 204, 'text/plain', '');
        }
        if (req.method === 'POST' && p === '/lut') {
          const body = await readBody(req, MAX_TABLE_BODY);
          try {
            return send(res, 200, 'application/json', JSON.stringify(await receiveTable(body)));
          } catch (e) {
            events.next({ type: 'lut/table-refused', reason: (e as Error).message });
            return send(res, 400, 'text/plain', (e as Error).message);
          }
        }
        return send(res, 404, 'text/plain', 'not found');
      } catch (e) {
        if (e instanceof HttpRefusal) {
          events.next({ type: 'lut/request-refused', status: e.status, method: req.method ?? '?', path: p, reason: e.message });
          if (e.status === 405) res.setHeader('allow', 'GET, HEAD, POST');
          // An unread body is not drained: the connection closes once the refusal is sent.
          if (!req.readableEnded) res.setHeader('connection', 'close');
          if (!res.headersSent) send(res, e.status, 'text/plain', e.message);
          return;
        }
        // The page sees only that a request failed: the terminal gets the reason (a runner that does not bundle, …).
        events.next({ type: 'lut/request-failed', method: req.method ?? '?', path: p, reason: (e as Error).message });
        if (!res.headersSent) send(res, 500, 'text/plain', (e as Error).message);
      }
    })();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    port,
    events$: events.asObservable(),
    tables,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => {
          events.complete();
          resolve();
        });
      }),
  };
}
