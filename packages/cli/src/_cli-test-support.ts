import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Test helpers for spawning the real `fbnet` binary (tests only). */
export const FBNET_BIN = fileURLToPath(new URL('../bin/fbnet.js', import.meta.url));
export const BENCH_ARCH = fileURLToPath(new URL('../../../benchmarks/nets/fbnet-bench-28.json', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  /** The last non-empty stdout line. */
  last: string;
}

export function fbnetAsync(args: string[], cwd?: string, env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FBNET_BIN, ...args], { cwd, env: { ...process.env, FBNET_DEBUG: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, last: stdout.trim().split('\n').at(-1) ?? '' }));
  });
}

/** Map over items with at most `limit` running at once (each CLI start loads TF.js: a few seconds of CPU). */
export async function pooled<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

function idx(dims: number[], data: Uint8Array): Buffer {
  const head = Buffer.alloc(4 + 4 * dims.length);
  head.writeUInt8(0x08, 2);
  head.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => head.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([head, Buffer.from(data)]);
}

/** A tiny Fashion-MNIST-shaped data dir (`train` and `test` images of 28×28, labels cycling 0..9): trains in a second. */
export function writeTinyData(dir: string, counts = { train: 200, test: 20 }): string {
  mkdirSync(dir, { recursive: true });
  const files = { train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'], test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'] };
  for (const split of ['train', 'test'] as const) {
    const n = counts[split];
    const images = new Uint8Array(n * 28 * 28);
    for (let i = 0; i < images.length; i++) images[i] = (i * 2654435761) >>> 24;
    writeFileSync(join(dir, files[split][0]), idx([n, 28, 28], images));
    writeFileSync(join(dir, files[split][1]), idx([n], Uint8Array.from({ length: n }, (_, i) => i % 10)));
  }
  return dir;
}
