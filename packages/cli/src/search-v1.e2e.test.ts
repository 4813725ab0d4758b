import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/fbnet.js', import.meta.url));

function fbnet(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`fbnet ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
}

describe('fbnet search v1 (smoke preset, end to end)', () => {
  it('runs every phase, and after kill -9 --resume ends with exactly the uninterrupted result', { timeout: 900_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'fbnet-e2e-'));
    const a = join(root, 'a');
    const ra = fbnet(['search', 'v1', '--preset', 'smoke', '--backend', 'cpu', '--out', a, '--json']);
    for (const k of ['testAccuracy', 'params', 'flops', 'latencyMs', 'backend', 'archPath', 'modelPath', 'reportPath']) expect(ra[k], k).toBeDefined();
    expect(ra.backend).toBe('cpu');
    for (const f of [ra.archPath, ra.modelPath, ra.reportPath, join(a, 'lut.json'), join(a, 'events.jsonl')]) expect(existsSync(f), f).toBe(true);
    expect(readFileSync(ra.reportPath, 'utf8')).toContain('<svg');
    // Paths inside the run are relative to it (a copied run is whole); the CLI shows them resolved.
    expect(JSON.parse(readFileSync(join(a, 'result.json'), 'utf8'))).toMatchObject({ modelPath: 'model/model.json', archPath: 'arch.json', reportPath: 'report.html' });
    expect(JSON.parse(readFileSync(join(a, 'final.json'), 'utf8')).modelPath).toBe('model/model.json');
    expect(ra.modelPath).toBe(join(a, 'model', 'model.json'));

    // Same seed and the same latency table; killed right after the first supernet checkpoint.
    const b = join(root, 'b');
    const child = spawn(process.execPath, [bin, 'search', 'v1', '--preset', 'smoke', '--backend', 'cpu', '--lut', join(a, 'lut.json'), '--out', b, '--json'], { stdio: 'ignore' });
    const exited = new Promise<void>((res) => child.on('exit', () => res()));
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        const log = join(b, 'events.jsonl');
        if (existsSync(log) && readFileSync(log, 'utf8').includes('"supernet/checkpoint-saved"')) {
          clearInterval(timer);
          child.kill('SIGKILL');
          resolve();
        }
      }, 20);
      child.on('exit', () => {
        clearInterval(timer);
        reject(new Error('the run finished before it could be killed'));
      });
    });
    await exited;
    expect(existsSync(join(b, 'result.json'))).toBe(false);
    const rb = fbnet(['search', 'v1', '--resume', b, '--json']);
    expect(rb.arch).toEqual(ra.arch);
    expect(rb.testAccuracy).toBe(ra.testAccuracy);
    expect(rb.params).toBe(ra.params);
    expect(readFileSync(join(b, 'model', 'weights.bin')).equals(readFileSync(join(a, 'model', 'weights.bin')))).toBe(true);
  });
});
