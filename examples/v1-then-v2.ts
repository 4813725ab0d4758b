/**
 * V1 finds the blocks, V2 refines widths, expansions and the input resolution around them, and
 * the result is trained and exported — composed from the stages' library API (no CLI, no
 * pipeline file): each step is `runStage(stage(input, context))`, the next step takes the
 * previous result.
 *
 *   npx tsx examples/v1-then-v2.ts [out-dir] [smoke|quick]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setupPlugin } from '@fbnet/bench';
import { getSearchSpacePreset, runStage, type StageContext } from '@fbnet/core';
import type { StageData } from '@fbnet/data';
import { dmaskingStage, SEARCH_V2_PRESETS } from '@fbnet/dmasking';
import { gumbelSupernetStage } from '@fbnet/gumbel-supernet';
import { measureLutStage } from '@fbnet/latency-lut';
import { loadFashionMnistData, SEARCH_V1_PRESETS } from '@fbnet/pipeline';
import { RunDir } from '@fbnet/runs';
import { exportStage, trainStage } from '@fbnet/train';

export interface Outcome {
  v1: string[];
  v2: { ops: string[]; channels: number[]; resolution: number };
  testAccuracy?: number;
  modelPath: string;
}

export async function v1ThenV2(dir: string, preset: 'smoke' | 'quick' = 'smoke', log: (line: string) => void = console.log): Promise<Outcome> {
  const v1 = SEARCH_V1_PRESETS[preset];
  const { plugin, plan } = await setupPlugin({ backend: 'wasm', plan: 'auto' });
  const run = RunDir.create(dir, { command: 'example v1-then-v2', seed: 7, options: { preset } });
  try {
    const data: StageData = loadFashionMnistData(v1, undefined, 7);
    const ctx: StageContext<StageData> = { seed: 7, backend: { id: plugin.id, plugin, plan }, data, run };
    const space = getSearchSpacePreset(v1.space);

    const lut = await runStage(measureLutStage({ space, timing: v1.lutTiming }, ctx));
    log(`latency table: ${lut.table.entries.length} entries on ${plugin.id}`);

    const found = await runStage(gumbelSupernetStage({ space, table: lut.table, options: v1.supernet }, ctx), {
      onEvent: (e) => e.type === 'supernet/epoch-ended' && log(`V1 epoch ${e.epoch}: E[LAT] ${e.latencyMs.toFixed(3)} ms`),
    });
    log(`V1 arch: ${found.derived.ops.join(' ')}`);

    // V2 around V1's arch: its blocks stay, widths / expansions / resolution are searched.
    const v2 = SEARCH_V2_PRESETS[preset];
    const refined = await runStage(dmaskingStage({ arch: found.arch, options: { ...v2.supernet, resource: v2.resource, loss: v2.loss } }, { ...ctx, prefix: 'v2-' }));
    const d = refined.derived;
    log(`V2 arch @${d.resolution}: ${d.ops.map((op, i) => `${op}:${d.channels[i]}`).join(' ')}`);

    // The refined net takes d.resolution x d.resolution inputs: train on the data at that size.
    const { resizeDataset } = await import('@fbnet/dmasking');
    const at = (ds: StageData['train'] | undefined) => (ds ? resizeDataset(ds, refined.arch.input_size) : undefined);
    const small = { ...ctx, data: { ...data, train: at(data.train)!, val: at(data.val), test: at(data.test) } };
    const trained = await runStage(trainStage({ arch: refined.arch, recipe: v1.final, name: 'final' }, small));
    const model = await runStage(exportStage({ arch: refined.arch, weights: trained.weights }, ctx));
    log(`trained: test accuracy ${((trained.testAccuracy ?? NaN) * 100).toFixed(2)}%, model ${model.modelPath}`);
    return { v1: found.derived.ops, v2: { ops: d.ops, channels: d.channels, resolution: d.resolution }, testAccuracy: trained.testAccuracy, modelPath: run.file(model.modelPath) };
  } finally {
    run.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'fbnet-example-'));
  v1ThenV2(join(dir, 'run'), (process.argv[3] as 'smoke' | 'quick') ?? 'smoke').catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
