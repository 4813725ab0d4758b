import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { parseArchDef, type BackendPlugin, type EventBase } from '@fbnet/core';
import { RunDir } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { searchV2 } from './pipeline.ts';
import { SEARCH_V2_PRESETS } from './presets.ts';
import { tinyV2Space28 } from './_test-space.ts';

/** The stock TF.js CPU backend as a plugin (tests only). */
const stockCpu: BackendPlugin = {
  id: 'cpu',
  tfBackend: 'cpu',
  description: 'stock tfjs-backend-cpu',
  availability: async () => ({ available: true }),
  init: async () => {
    tf.env().set('PROD', true);
    await tf.setBackend('cpu');
  },
  variants: () => [],
  version: () => tf.version_core,
};

describe('searchV2 pipeline (smoke preset on a tiny space)', () => {
  it('LUT-free FLOPs-aware search → derived arch → train → export → latency; a second call reuses every phase', async () => {
    await stockCpu.init();
    const dir = mkdtempSync(join(tmpdir(), 'fbnet-v2-'));
    const run = RunDir.create(join(dir, 'run'), { command: 'search v2', seed: 1, options: { preset: 'smoke' } });
    const events: EventBase[] = [];
    const lines: string[] = [];
    const t0 = Date.now();
    const ctx = { backend: stockCpu, log: (e: EventBase) => events.push(e), info: (l: string) => lines.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${l}`) };
    const r = await searchV2(run, ctx, { preset: SEARCH_V2_PRESETS.smoke, presetName: 'smoke', space: tinyV2Space28() });
    if (process.env.DMASKING_TEST_VERBOSE) console.log(lines.join('\n'));
    const arch = parseArchDef(run.readJson('arch.json'));
    expect(r.flops).toBe(archCost(arch).flops);
    expect(r.resolution).toBe(arch.input_size);
    expect([20, 28]).toContain(r.resolution);
    expect(r.modelInputSize).toBe(28);
    expect(existsSync(r.modelPath)).toBe(true);
    expect(r.latencyMs).toBeGreaterThan(0);
    expect(r.predictedLatencyMs).toBeGreaterThan(0);
    expect(r.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(r.backend).toBe('cpu');
    const types = new Set(events.map((e) => e.type));
    for (const t of ['dmasking/started', 'dmasking/epoch-ended', 'dmasking/distributions', 'search/arch-derived', 'train/epoch-ended', 'stage/progress']) expect(types).toContain(t);
    // resume: search, training and the arch's latency table are all on disk
    const again = await searchV2(RunDir.open(run.path), { ...ctx, log: () => undefined }, { preset: SEARCH_V2_PRESETS.smoke, space: tinyV2Space28() });
    expect(again.arch).toEqual(r.arch);
    expect(again.testAccuracy).toBe(r.testAccuracy);
    expect(again.seconds.search).toBeLessThan(5);
  });
});
