import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStage, getSearchSpacePreset } from '@fbnet/core';
import { gumbelSupernetStage } from '@fbnet/gumbel-supernet';
import { loadLut } from '@fbnet/latency-lut';
import { loadFashionMnistData, SEARCH_V1_PRESETS } from '@fbnet/pipeline';
import { RunDir } from '@fbnet/runs';
import { v1ThenV2 } from './v1-then-v2.ts';
import { watchAndResume } from './watch-and-resume.ts';

const root = mkdtempSync(join(tmpdir(), 'fbnet-examples-'));
const quiet = () => undefined;

describe('examples/ (the library API, no CLI)', () => {
  it('v1-then-v2: V1 blocks, V2 widths and resolution around them, trained and exported', { timeout: 300_000 }, async () => {
    const r = await v1ThenV2(join(root, 'a'), 'smoke', quiet);
    expect(r.v1).toHaveLength(7);
    expect(r.v2.ops).toHaveLength(7);
    expect(r.v2.resolution).toBeLessThanOrEqual(28);
    expect(existsSync(r.modelPath)).toBe(true);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0);
  });

  it('watch-and-resume: unsubscribing stops the search; resubscribing ends where an uninterrupted search ends', { timeout: 300_000 }, async () => {
    const dir = join(root, 'b');
    const r = await watchAndResume(dir, 2, quiet);
    expect(r.entropies).toHaveLength(2);
    // The same search uninterrupted, on the same table (latencies are measured, so reuse the example's).
    const preset = { ...SEARCH_V1_PRESETS.smoke, supernet: { ...SEARCH_V1_PRESETS.smoke.supernet, epochs: 4 } };
    const run = RunDir.create(join(root, 'c'), { command: 'example check', seed: 5, options: {} });
    try {
      const table = loadLut(join(dir, 'lut.json'), { force: true });
      const ctx = { seed: 5, backend: { id: 'wasm' }, data: loadFashionMnistData(preset, undefined, 5), run };
      const whole = await runStage(gumbelSupernetStage({ space: getSearchSpacePreset(preset.space), table, options: preset.supernet }, ctx));
      expect(r.arch).toEqual(whole.derived.ops);
      expect(r.thetas).toEqual(whole.thetas);
    } finally {
      run.close();
    }
  });
});
