import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fbnetAsync } from './_cli-test-support.ts';
import { bestAtOrBelow, paretoFront, type BaselinesFile } from './pipelines/baselines.ts';

async function fbnetJson(args: string[]) {
  const r = await fbnetAsync(args);
  if (r.code !== 0) throw new Error(`fbnet ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.last);
}

describe('fbnet bench baselines → fbnet search v1 --baselines (smoke preset)', () => {
  it('trains the uniform and random nets, and the search result says how it compares; reruns skip finished nets', { timeout: 900_000 }, async () => {
    const root = mkdtempSync(join(tmpdir(), 'fbnet-baselines-'));
    const file = join(root, 'baselines.json');
    const args = ['bench', 'baselines', '--preset', 'smoke', '--random', '2', '--backend', 'cpu', '--out', file, '--json'];
    const r = await fbnetJson(args);
    const b = JSON.parse(readFileSync(file, 'utf8')) as BaselinesFile;
    expect(r.nets).toBe(11);
    expect(b.nets.map((n) => n.name).slice(0, 9)).toEqual(['k3_e1', 'k3_e1_g2', 'k3_e3', 'k3_e6', 'k5_e1', 'k5_e1_g2', 'k5_e3', 'k5_e6', 'skip'].map((k) => `uniform ${k}`));
    expect(b.nets.filter((n) => n.kind === 'random')).toHaveLength(2);
    for (const n of b.nets) {
      expect(n.testAccuracy).toBeGreaterThanOrEqual(0);
      expect(n.latencyMs).toBeGreaterThan(0);
      expect(n.params).toBeGreaterThan(0);
    }
    expect(b.front).toEqual(paretoFront(b.nets).map((n) => n.name));
    // A rerun of the same command trains nothing again.
    const again = await fbnetAsync(args);
    expect(again.code).toBe(0);
    expect(again.stderr).not.toMatch(/\[\d+\/11\]/);

    const run = join(root, 'run');
    const s = await fbnetJson(['search', 'v1', '--preset', 'smoke', '--backend', 'cpu', '--baselines', file, '--out', run, '--json']);
    expect(existsSync(join(run, 'baselines.json'))).toBe(true);
    const best = bestAtOrBelow(b.nets, s.latencyMs);
    expect(s.baseline.name).toBe(best?.name ?? null);
    if (best) expect(s.baseline.marginPts).toBeCloseTo((s.testAccuracy - best.testAccuracy) * 100, 10);
    const html = readFileSync(s.reportPath, 'utf8');
    expect(html).toMatch(/id="baselines" data-status="ok"/);
  });
});
