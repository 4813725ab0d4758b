import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RunDir } from '@fbnet/runs';
import { BENCH_ARCH, fbnetAsync, pooled, writeTinyData } from './_cli-test-support.ts';

/**
 * `--resume`: what each flag may do (refused, or changed and recorded), a finished run is
 * reported unchanged, and paths inside a run are relative to it (a copied run is whole).
 */
const root = mkdtempSync(join(tmpdir(), 'fbnet-resume-'));
const data = writeTinyData(join(root, 'data'));
const trained = join(root, 'trained');
const json = (s: string) => JSON.parse(s.trim().split('\n').at(-1)!);
const read = (...p: string[]) => readFileSync(join(...p), 'utf8');
let first: Record<string, unknown>;

const config = (command: string, options: Record<string, unknown>) =>
  JSON.stringify({ version: 1, command, createdAt: '2026-01-01T00:00:00.000Z', seed: 0, options });
const v1Options = { preset: 'smoke', dataDir: null, lut: null, forceLut: false, backend: 'cpu', threads: null, queue: null };

describe('fbnet train --resume', () => {
  beforeAll(async () => {
    const r = await fbnetAsync(['train', BENCH_ARCH, '--epochs', '1', '--seed', '3', '--data-dir', data, '--out', trained, '--json']);
    if (r.code !== 0) throw new Error(`train failed (${r.code}): ${r.stderr}`);
    first = json(r.stdout);
  }, 120_000);

  it('stores paths relative to the run and reports them resolved', () => {
    const stored = JSON.parse(read(trained, 'result.json'));
    expect(stored).toMatchObject({ modelPath: 'model/model.json', archPath: 'arch.json' });
    expect(stored.runDir).toBeUndefined();
    expect(first).toMatchObject({ modelPath: join(trained, 'model', 'model.json'), archPath: join(trained, 'arch.json'), runDir: trained });
  });

  it('a finished run is reported as it is: nothing trained, nothing rewritten; a copy reports its own files', { timeout: 120_000 }, async () => {
    const before = { result: read(trained, 'result.json'), events: read(trained, 'events.jsonl'), model: statSync(join(trained, 'model', 'weights.bin')).mtimeMs };
    const copy = join(root, 'copy');
    cpSync(trained, copy, { recursive: true });
    const [again, same, fromCopy] = await pooled(
      [['--resume', trained], ['--resume', trained, '--seed', '3', '--backend', 'wasm'], ['--resume', copy]],
      3,
      (a) => fbnetAsync(['train', ...a, '--json']),
    );
    expect(again.code, again.stderr).toBe(0);
    expect(json(again.stdout)).toEqual(first);
    expect(same.code, same.stderr).toBe(0);
    expect(read(trained, 'result.json')).toBe(before.result);
    expect(read(trained, 'events.jsonl')).toBe(before.events);
    expect(statSync(join(trained, 'model', 'weights.bin')).mtimeMs).toBe(before.model);
    expect(fromCopy.code, fromCopy.stderr).toBe(0);
    expect(json(fromCopy.stdout)).toMatchObject({ modelPath: join(copy, 'model', 'model.json'), runDir: copy, testAccuracy: first.testAccuracy });
  });

  it('a finished run is reported even while another process holds its lock (reporting only reads)', { timeout: 120_000 }, async () => {
    const holder = RunDir.open(trained);
    try {
      const r = await fbnetAsync(['train', '--resume', trained, '--json']);
      expect(r.code, r.stderr).toBe(0);
      expect(json(r.stdout)).toEqual(first);
      // Work on a locked run is still refused, naming the holder.
      const more = await fbnetAsync(['train', '--resume', trained, '--epochs', '9', '--json']);
      expect(more.code).toBe(2);
      expect(more.stderr).toMatch(/in use by process/);
    } finally {
      holder.close();
    }
  });

  it('refuses a flag that would change what the run computes, naming it', { timeout: 120_000 }, async () => {
    const cases: [string[], RegExp][] = [
      [['--backend', 'cpu'], /--backend cpu differs from the run's wasm/],
      [['--seed', '4'], /--seed 4 differs from the run's 3/],
      [['--lr', '0.5'], /drop --lr/],
      [['--batch', '8'], /drop --batch/],
      [['--out', join(root, 'elsewhere')], /drop --out/],
      [['--epochs', '0'], /--epochs must be a positive integer/],
    ];
    const runs = await pooled(cases, 3, ([a]) => fbnetAsync(['train', '--resume', trained, ...a, '--json']));
    runs.forEach((r, i) => {
      expect(r.code, r.stderr).toBe(2);
      expect(json(r.stdout).error.code).toBe('USAGE');
      expect(r.stderr).toMatch(cases[i][1]);
    });
  });

  it('--epochs extends a finished run, recorded in config.json; it cannot shrink it', { timeout: 120_000 }, async () => {
    const run = join(root, 'extend');
    cpSync(trained, run, { recursive: true });
    const r = await fbnetAsync(['train', '--resume', run, '--epochs', '2', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout).epochs).toBe(2);
    const cfg = JSON.parse(read(run, 'config.json'));
    expect(cfg.options.recipe.epochs).toBe(2);
    expect(cfg.resumes).toHaveLength(1);
    expect(cfg.resumes[0].changed.recipe.epochs).toBe(2);
    const shrink = await fbnetAsync(['train', '--resume', run, '--epochs', '1', '--json']);
    expect(shrink.code).toBe(2);
    expect(shrink.stderr).toMatch(/--epochs 1 is fewer than the run's 2/);
  });

  it('the report of a run with relative paths is written', { timeout: 120_000 }, async () => {
    const r = await fbnetAsync(['report', trained, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(join(trained, 'report.html'))).toBe(true);
    expect(read(trained, 'report.html')).toContain('<svg');
  });
});

describe('fbnet search --resume', () => {
  it('a finished search is reported, not measured or written again', { timeout: 120_000 }, async () => {
    const run = join(root, 'finished-v1');
    mkdirSync(join(run, 'model'), { recursive: true });
    writeFileSync(join(run, 'config.json'), config('search v1', v1Options));
    const result = { testAccuracy: 0.8, latencyMs: 0.3, backend: 'cpu', archPath: 'arch.json', modelPath: 'model/model.json', reportPath: 'report.html' };
    writeFileSync(join(run, 'result.json'), JSON.stringify(result));
    const [r, otherBackend] = await pooled([[], ['--backend', 'wasm']], 2, (a) => fbnetAsync(['search', 'v1', '--resume', run, ...a, '--json']));
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout)).toEqual({ ...result, archPath: join(run, 'arch.json'), modelPath: join(run, 'model', 'model.json'), reportPath: join(run, 'report.html'), runDir: run });
    expect(read(run, 'result.json')).toBe(JSON.stringify(result));
    for (const f of ['lut.json', 'events.jsonl', 'report.html']) expect(existsSync(join(run, f)), f).toBe(false);
    expect(otherBackend.code).toBe(2);
    expect(otherBackend.stderr).toMatch(/--backend wasm differs from the run's cpu/);
  });

  it('--threads and --force-lut may change on resume and are recorded in config.json', { timeout: 120_000 }, async () => {
    const run = join(root, 'unfinished-v1');
    mkdirSync(join(run, 'checkpoints'), { recursive: true });
    // The run's table is gone, so the resumed run stops in its first phase, after taking the new options.
    writeFileSync(join(run, 'config.json'), config('search v1', { ...v1Options, lut: join(root, 'gone.json') }));
    const r = await fbnetAsync(['search', 'v1', '--resume', run, '--threads', '2', '--force-lut', '--json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/gone\.json/);
    const cfg = JSON.parse(read(run, 'config.json'));
    expect(cfg.options).toMatchObject({ threads: 2, forceLut: true, preset: 'smoke' });
    expect(cfg.resumes[0].changed).toEqual({ threads: 2, forceLut: true });
  });
});
