import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { archFromChoice, assertSerializable, getSearchSpacePreset, parseArchDef, resolveArch, runStage, searchLayers, stagesSettled, type StageContext } from '@fbnet/core';
import { loadFashionMnist, takeSamples, type ImageDataset, type StageData } from '@fbnet/data';
import { cancelStageWhen, checkpointDifferences } from '@fbnet/gumbel-supernet';
import { RunDir } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import type { DMaskingEvent } from './events.ts';
import { dmaskingStage, type DMaskingInput } from './search.ts';
import { spaceAroundArch } from './seed-space.ts';
import { planSupernet } from './plan.ts';
import { DMaskingSupernet } from './supernet.ts';
import { tinyV2Space28 } from './_test-space.ts';

let train: ImageDataset;

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
  const full = loadFashionMnist({ split: 'train' });
  train = takeSamples(full, Array.from({ length: 96 }, (_, i) => i * 5));
});

const options = { epochs: 3, warmupEpochs: 1, batchSize: 8, stepsPerEpoch: 7, samples: 2, bnRecalibrationBatches: 1, thetaLr: 0.05 };
const input = (): DMaskingInput => ({ space: tinyV2Space28(), options });
const ctxOf = (run?: RunDir): StageContext<StageData> => ({ seed: 3, backend: { id: 'cpu' }, data: { train, normalization: { mean: [0.286], std: [0.353] }, source: 'test' }, run });
const newRun = (name: string) => RunDir.create(join(mkdtempSync(join(tmpdir(), 'dmasking-')), name), { command: 'test', seed: 3, options: {} });

describe('dmaskingStage', () => {
  it('a tiny end-to-end search derives a valid arch, emits serializable events, and a training step leaks no tensors', async () => {
    const events: DMaskingEvent[] = [];
    const tensorsAtEpochEnd: number[] = [];
    const r = await runStage(dmaskingStage(input(), ctxOf()), {
      onEvent: (e) => {
        assertSerializable(e);
        events.push(e as DMaskingEvent);
        if (e.type === 'dmasking/epoch-ended') tensorsAtEpochEnd.push(tf.memory().numTensors);
      },
    });
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    const space = tinyV2Space28();
    const arch = parseArchDef(r.derived.arch);
    expect(resolveArch(arch).blocks).toHaveLength(4);
    expect(arch).toEqual(archFromChoice(space, r.derived.choice));
    expect(r.arch).toEqual(parseArchDef({ ...arch, name: 'fbnet-v2-3' }));
    expect(r.space).toEqual(space);
    expect([20, 28]).toContain(r.derived.resolution);
    expect(r.derived.flops).toBe(archCost(arch).flops);
    expect(r.derived.supernetAccuracy).toBeGreaterThanOrEqual(0);
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
    for (const e of events) if (e.type === 'dmasking/epoch-ended') expect(e.effectiveFlops).toBeGreaterThan(0);
  });

  it('unsubscribed mid-epoch (weight phase, α phase, while deriving) and resubscribed, it ends bit-identical to an uninterrupted run', async () => {
    const runA = newRun('a');
    const ra = await runStage(dmaskingStage(input(), { ...ctxOf(runA), prefix: 'v2.' }));
    const runB = newRun('b');
    const stops: ((e: { type: string } & Record<string, unknown>) => boolean)[] = [
      // epoch 2, weight phase after its 5th of 7 steps (progress every 5 steps and at a phase's end)
      (e) => e.type === 'stage/progress' && e.phase === 'epoch 2/3 weights' && e.done === 7 + 5,
      // epoch 3, end of the α phase (its 2 batches), before the epoch's end
      (e) => e.type === 'stage/progress' && e.phase === 'epoch 3/3 α',
      (e) => e.type === 'dmasking/checkpoint-saved' && e.epoch === 3,
    ];
    const metas: unknown[] = [];
    let resumedAt = -1;
    for (const stop of stops) {
      const tensorsBefore = tf.memory().numTensors;
      await cancelStageWhen(dmaskingStage(input(), { ...ctxOf(RunDir.open(runB.path)), prefix: 'v2.' }), stop);
      await stagesSettled();
      // the cancelled body freed every tensor it made (supernet, optimizer slots, latency model)
      expect(tf.memory().numTensors).toBe(tensorsBefore);
      metas.push(runB.loadCheckpoint('v2.dmasking')!.meta);
    }
    expect(metas).toMatchObject([{ epoch: 1, at: { phase: 'weights', batch: 5 } }, { epoch: 2, at: { phase: 'arch', batch: 2 } }, { epoch: 3 }]);
    expect((metas[2] as { at?: unknown }).at).toBeUndefined();
    const rb = await runStage(dmaskingStage(input(), { ...ctxOf(RunDir.open(runB.path)), prefix: 'v2.' }), {
      onEvent: (e) => void (e.type === 'dmasking/started' && (resumedAt = e.resumedAtEpoch)),
    });
    expect(resumedAt).toBe(3);
    expect(rb.alphas).toEqual(ra.alphas);
    expect(rb.derived).toEqual(ra.derived);
    expect(rb.sampled).toEqual(ra.sampled);
    expect(checkpointDifferences(runA.loadCheckpoint('v2.dmasking')!, runB.loadCheckpoint('v2.dmasking')!)).toEqual([]);
  });

  it('seeded from an arch (e.g. V1\'s): searches widths, expansions and resolution around it', async () => {
    const v1 = parseArchDef({
      name: 'v1-found',
      input_size: 28,
      input_channels: 1,
      num_classes: 10,
      blocks: [[['conv_k3', 8, 2, 1]], [['ir_k3', 8, 2, 1, { expansion: 3 }], ['skip', 12, 1, 1]], [['ir_k5', 16, 2, 2, { expansion: 6 }]]],
    });
    const space = spaceAroundArch(v1);
    const layers = searchLayers(space);
    expect(layers).toHaveLength(4);
    expect(layers.map((l) => l.channels)).toEqual([[4, 6, 8], [6, 9, 12], [8, 12, 16], [8, 12, 16]]);
    expect(layers.map((l) => l.expansions)).toEqual([[2, 3], undefined, [3, 6], [3, 6]]);
    expect(space.resolutions).toEqual([20, 24, 28]);
    // the arch itself is the point of the space at every largest option
    const top = archFromChoice(space, { ops: [0, 0, 0, 0], channels: [2, 2, 2, 2], expansions: [1, 0, 1, 1], resolution: 2 });
    expect(resolveArch(parseArchDef(top)).blocks.map((b) => b.spec)).toEqual(resolveArch(v1).blocks.map((b) => b.spec));
    const r = await runStage(dmaskingStage({ arch: v1, options: { ...options, epochs: 2, stepsPerEpoch: 2 } }, ctxOf()));
    expect(r.space).toEqual(space);
    expect(r.arch.input_size).toBe(r.derived.resolution);
    expect(resolveArch(r.arch).blocks).toHaveLength(5);
  });

  it('a space around any arch of the V1 preset space (every candidate, grouped ones included) plans and runs as a supernet', () => {
    const v1 = getSearchSpacePreset('fbnet-v1-fmnist');
    const n = searchLayers(v1).length;
    for (const shift of [0, 3, 6]) {
      const arch = archFromChoice(v1, { ops: Array.from({ length: n }, (_, i) => (i + shift) % 9) });
      const space = spaceAroundArch(arch);
      expect(planSupernet(space).length).toBeGreaterThan(n);
      const net = new DMaskingSupernet(space, { mean: [0.286], std: [0.353] }, 1);
      const top = { ops: Array(n).fill(0), channels: searchLayers(space).map((l) => (l.channels?.length ?? 1) - 1), expansions: searchLayers(space).map((l) => (l.expansions?.length ?? 1) - 1), resolution: 2 };
      expect(resolveArch(parseArchDef(archFromChoice(space, top))).blocks.map((b) => b.spec)).toEqual(resolveArch(parseArchDef(arch)).blocks.map((b) => b.spec));
      const logits = tf.tidy(() => Array.from(net.forward(tf.zeros([2, 28, 28, 1]) as tf.Tensor4D, { kind: 'fixed', choice: top }, { training: false }).logits.shape));
      expect(logits).toEqual([2, 10]);
      net.dispose();
    }
  });

  it('refuses a latency-aware search without a table, and an input without space or arch', async () => {
    await expect(runStage(dmaskingStage({ space: tinyV2Space28(), options: { ...options, resource: 'latency' } }, ctxOf()))).rejects.toThrow(/needs a latency table/);
    await expect(runStage(dmaskingStage({ options }, ctxOf()))).rejects.toThrow(/give a search space/);
  });
});
