import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { archFromChoice, assertSerializable, parseArchDef, resolveArch } from '@fbnet/core';
import { loadFashionMnist, takeSamples, type ImageDataset } from '@fbnet/data';
import { RunDir } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import type { DMaskingEvent } from './events.ts';
import { DMaskingSearch, type DMaskingSearchOptions } from './search.ts';
import { tinyV2Space28 } from './_test-space.ts';

let weights: ImageDataset;
let theta: ImageDataset;

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const full = loadFashionMnist({ split: 'train' });
  weights = takeSamples(full, Array.from({ length: 64 }, (_, i) => i * 5));
  theta = takeSamples(full, Array.from({ length: 24 }, (_, i) => i * 5 + 1));
});

const options = (run?: RunDir): DMaskingSearchOptions => ({
  space: tinyV2Space28(),
  data: { weights, theta },
  normalization: { mean: [0.286], std: [0.353] },
  seed: 3,
  epochs: 3,
  warmupEpochs: 1,
  batchSize: 8,
  stepsPerEpoch: 2,
  samples: 2,
  bnRecalibrationBatches: 1,
  thetaLr: 0.05,
  run,
});

describe('DMaskingSearch', () => {
  it('a tiny end-to-end search derives a valid arch, emits serializable events, and a training step leaks no tensors', async () => {
    const search = new DMaskingSearch(options());
    const events: DMaskingEvent[] = [];
    const tensorsAtEpochEnd: number[] = [];
    search.events$.subscribe((e) => {
      assertSerializable(e);
      events.push(e);
      if (e.type === 'dmasking/epoch-ended') tensorsAtEpochEnd.push(tf.memory().numTensors);
    });
    const r = await search.run();
    expect(r).not.toBeNull();
    const space = tinyV2Space28();
    const arch = parseArchDef(r!.derived.arch);
    expect(resolveArch(arch).blocks).toHaveLength(4);
    expect(arch).toEqual(archFromChoice(space, r!.derived.choice));
    expect([20, 28]).toContain(r!.derived.resolution);
    expect(r!.derived.flops).toBe(archCost(arch).flops);
    expect(r!.derived.supernetAccuracy).toBeGreaterThanOrEqual(0);
    // epochs 2 and 3 both train weights and α (every optimizer slot exists by then): same tensor count
    expect(tensorsAtEpochEnd).toHaveLength(3);
    expect(tensorsAtEpochEnd[2]).toBe(tensorsAtEpochEnd[1]);
    const types = events.map((e) => e.type);
    expect(types.filter((t) => t === 'dmasking/distributions')).toHaveLength(3);
    expect(types).toContain('search/arch-derived');
    const dist = events.find((e) => e.type === 'dmasking/distributions');
    if (dist?.type === 'dmasking/distributions') {
      expect(dist.layers[1].channels).toHaveLength(3);
      expect(dist.resolution).toHaveLength(2);
    }
    const ended = events.filter((e) => e.type === 'dmasking/epoch-ended');
    for (const e of ended) if (e.type === 'dmasking/epoch-ended') expect(e.effectiveFlops).toBeGreaterThan(0);
    search.dispose();
  });

  it('resume after cancel gives identical α and the same derived arch', async () => {
    const base = mkdtempSync(join(tmpdir(), 'dmasking-'));
    const straight = new DMaskingSearch(options(RunDir.create(join(base, 'a'), { command: 'test', seed: 3, options: {} })));
    const ra = await straight.run();
    straight.dispose();

    const runB = RunDir.create(join(base, 'b'), { command: 'test', seed: 3, options: {} });
    const first = new DMaskingSearch(options(runB));
    first.events$.subscribe((e) => {
      if (e.type === 'dmasking/checkpoint-saved' && e.epoch === 2) first.cancel();
    });
    expect(await first.run()).toBeNull();
    first.dispose();
    const second = new DMaskingSearch(options(RunDir.open(join(base, 'b'))));
    let resumedAt = -1;
    second.events$.subscribe((e) => {
      if (e.type === 'dmasking/started') resumedAt = e.resumedAtEpoch;
    });
    const rb = await second.run();
    second.dispose();
    expect(resumedAt).toBe(2);
    expect(rb!.alphas).toEqual(ra!.alphas);
    expect(rb!.derived.choice).toEqual(ra!.derived.choice);
  });
});
