import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeClassFolder } from '@fbnet/data/testing';
import { FBNET_BIN, fbnetAsync, pooled } from './_cli-test-support.ts';

/**
 * `fbnet run`: every shipped pipeline (the three searches and the combinations) runs at smoke
 * size through the real binary and ends with a model that loads and the figures the result
 * promises; Ctrl-C during a stage leaves a run that `--resume` finishes to the same arch.
 */
const PIPELINES = fileURLToPath(new URL('../../../pipelines/', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'fbnet-run-'));
const json = (s: string) => JSON.parse(s.trim().split('\n').at(-1)!);
const files = readdirSync(PIPELINES).filter((f) => f.endsWith('.json')).sort();

describe('fbnet run: the shipped pipelines', () => {
  it('ships the three searches and at least four other combinations', () => {
    expect(files).toEqual(expect.arrayContaining(['v1.json', 'v2.json', 'v3.json']));
    expect(files.length).toBeGreaterThanOrEqual(7);
  });

  it('runs every one at smoke size to an exported, reported model', { timeout: 900_000 }, async () => {
    const runs = await pooled(files, 2, (f) => fbnetAsync(['run', join(PIPELINES, f), '--preset', 'smoke', '--seed', '1', '--out', join(root, f.replace('.json', '')), '--json']));
    runs.forEach((r, i) => {
      const what = `${files[i]}: ${r.stderr.slice(-1500)}`;
      expect(r.code, what).toBe(0);
      const res = json(r.stdout);
      const own = JSON.parse(readFileSync(join(PIPELINES, files[i]), 'utf8')) as { stages: { stage: string }[] };
      expect(res.stages.map((s: { stage: string }) => s.stage), what).toEqual(own.stages.map((s) => s.stage));
      for (const s of res.stages) expect(s.seconds, what).toBeGreaterThanOrEqual(0);
      expect(res.preset).toBe('smoke');
      expect(existsSync(res.modelPath), what).toBe(true);
      expect(existsSync(res.archPath), what).toBe(true);
      expect(existsSync(res.reportPath), what).toBe(true);
      expect(res.testAccuracy, what).toBeGreaterThanOrEqual(0);
      expect(res.testAccuracy, what).toBeLessThanOrEqual(1);
      expect(res.params, what).toBeGreaterThan(0);
      expect(res.flops, what).toBeGreaterThan(0);
      expect(res.latencyMs, what).toBeGreaterThan(0);
    });
    // The pipeline report: its stages, and the sections of each search it ran (V1 and V2 here).
    const html = readFileSync(join(root, 'v1-then-v2', 'report.html'), 'utf8');
    for (const h of ['Pipeline', 'FBNetV1: Architecture distribution', 'FBNetV2: Channel widths', 'Architecture (from the last search stage)', 'Final training']) expect(html).toContain(h);
    expect(html).not.toContain('FBNetV3');
    expect(readFileSync(join(root, 'v3-stages', 'report.html'), 'utf8')).toContain('FBNetV3: ');
  });
});

describe('fbnet run --data', () => {
  it('runs a shipped pipeline on your image folder: the space follows the data', { timeout: 300_000 }, async () => {
    const data = join(root, 'rgb3');
    writeClassFolder(join(data, 'train'), [14, 16, 12], 12);
    writeClassFolder(join(data, 'test'), [5, 5, 5], 12, { seed: 1000 });
    const out = join(root, 'on-data');
    const r = await fbnetAsync(['run', join(PIPELINES, 'v1-then-v2.json'), '--preset', 'smoke', '--data', data, '--out', out, '--json'], undefined, { XDG_CACHE_HOME: join(root, 'cache') });
    expect(r.code, r.stderr).toBe(0);
    const space = JSON.parse(readFileSync(join(out, 'space.json'), 'utf8'));
    expect([space.input_size, space.input_channels, space.num_classes]).toEqual([12, 3, 3]);
    expect(JSON.parse(readFileSync(join(out, 'pipeline.json'), 'utf8')).data).toEqual({ source: 'path', path: data });
    const model = JSON.parse(readFileSync(json(r.stdout).modelPath, 'utf8'));
    expect(JSON.stringify(model.modelTopology)).toContain('[null,12,12,3]');
    const bad = await fbnetAsync(['run', join(PIPELINES, 'v1.json'), '--data-size', '12', '--json']);
    expect(bad.code).toBe(2);
  });
});

/** Start `fbnet run` and send SIGINT once `events.jsonl` shows `when`; resolves with its exit. */
function interrupted(args: string[], dir: string, when: (line: string) => boolean): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [FBNET_BIN, ...args], { env: { ...process.env, FBNET_DEBUG: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setInterval(() => {
      const log = join(dir, 'events.jsonl');
      if (existsSync(log) && readFileSync(log, 'utf8').split('\n').some(when)) {
        clearInterval(timer);
        child.kill('SIGINT');
      }
    }, 50);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('fbnet run: Ctrl-C and --resume', () => {
  const table = join(root, 'table');
  const pipeline = (lut: string) => ({
    name: 'cut',
    preset: 'smoke',
    backend: 'wasm',
    seed: 2,
    stages: [
      { stage: 'latency-lut', reuse: lut },
      { stage: 'gumbel-supernet', epochs: 4, stepsPerEpoch: 3 },
      { stage: 'train' },
      { stage: 'export' },
    ],
  });
  beforeAll(async () => {
    // One table for both runs, so the search sees the same latencies.
    writeFileSync(join(root, 'lut-only.json'), JSON.stringify({ preset: 'smoke', seed: 2, stages: [{ stage: 'latency-lut' }] }));
    const r = await fbnetAsync(['run', join(root, 'lut-only.json'), '--out', table, '--json']);
    if (r.code !== 0) throw new Error(r.stderr);
    writeFileSync(join(root, 'cut.json'), JSON.stringify(pipeline(join(table, 'lut.json'))));
  }, 120_000);

  it('an interrupted stage resumes from its checkpoint to the arch an uninterrupted run finds', { timeout: 300_000 }, async () => {
    const whole = join(root, 'whole');
    const cut = join(root, 'cut');
    const [full, stopped] = await Promise.all([
      fbnetAsync(['run', join(root, 'cut.json'), '--out', whole, '--json']),
      interrupted(['run', join(root, 'cut.json'), '--out', cut, '--json'], cut, (l) => l.includes('"supernet/epoch-ended"') && l.includes('"epoch":2')),
    ]);
    expect(full.code, full.stderr).toBe(0);
    expect(stopped.code, stopped.stderr).toBe(1);
    expect(json(stopped.stdout).error.code).toBe('CHECKPOINT');
    expect(stopped.stderr).toMatch(/resume with: fbnet run --resume/);
    // The finished stage is recorded, the running one left its checkpoint, nothing after it ran.
    expect(existsSync(join(cut, 'stage-1-latency-lut.json'))).toBe(true);
    expect(existsSync(join(cut, 'checkpoints', 'supernet.ckpt'))).toBe(true);
    expect(existsSync(join(cut, 'stage-2-gumbel-supernet.json'))).toBe(false);
    expect(existsSync(join(cut, 'result.json'))).toBe(false);

    const resumed = await fbnetAsync(['run', '--resume', cut, '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const a = JSON.parse(readFileSync(join(whole, 'search.json'), 'utf8'));
    const b = JSON.parse(readFileSync(join(cut, 'search.json'), 'utf8'));
    expect(b.derived.ops).toEqual(a.derived.ops);
    expect(b.sampled).toEqual(a.sampled);
    expect(json(resumed.stdout).stages.map((s: { stage: string }) => s.stage)).toEqual(['latency-lut', 'gumbel-supernet', 'train', 'export']);

    // A finished run is reported as it is; another pipeline file is refused.
    const again = await fbnetAsync(['run', '--resume', cut, '--json']);
    expect(again.code).toBe(0);
    expect(json(again.stdout).stages).toEqual(json(resumed.stdout).stages);
    const other = await fbnetAsync(['run', join(PIPELINES, 'v1.json'), '--resume', cut, '--json']);
    expect(other.code).toBe(2);
    expect(other.stderr).toMatch(/is not the pipeline of/);
  });
});
