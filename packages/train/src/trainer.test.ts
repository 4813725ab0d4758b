import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createCpuPlugin } from '@fbnet/backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { FbnetError, type ArchDef } from '@fbnet/core';
import { FASHION_MNIST_NORMALIZATION, loadFashionMnist, selectClassBalanced, takeSamples, type ImageDataset } from '@fbnet/data';
import { RunDir } from '@fbnet/runs';
import { parseRecipe } from './recipe.ts';
import { Trainer } from './trainer.ts';

const arch: ArchDef = {
  input_size: 28,
  input_channels: 1,
  num_classes: 10,
  basic_args: { width_divisor: 1 },
  blocks: [[['conv_k3', 8, 2, 1]], [['ir_k3', 8, 2, 1, { expansion: 2 }]], [['conv_k1', 16, 1, 1]]],
};
const norm = { mean: [0.286], std: [0.353] };
let train: ImageDataset;
let val: ImageDataset;

beforeAll(async () => {
  tf.env().set('PROD', true);
  // The cpu plugin: TF.js cpu backend with the fast (native WASM SIMD) training kernels.
  await createCpuPlugin().init({ threads: 2 });
  const full = loadFashionMnist({ split: 'train' });
  const pick = (n: number, offset: number) => {
    const idx: number[] = [];
    const perClass = new Array(10).fill(0);
    for (let i = 0; i < full.count && idx.length < n; i++) {
      const l = full.labels[i];
      if (perClass[l] < n / 10 + offset && perClass[l]++ >= offset) idx.push(i);
    }
    return takeSamples(full, idx);
  };
  train = pick(640, 0);
  val = pick(200, 70);
  void selectClassBalanced;
  void FASHION_MNIST_NORMALIZATION;
});

const recipe = parseRecipe({ epochs: 4, batchSize: 32, lr: 0.2, weightDecay: 1e-4, labelSmoothing: 0, ema: 0, augment: { crop: 0, flip: false } });

describe('Trainer', () => {
  it('learns: validation accuracy well above chance after a few epochs', async () => {
    const t = new Trainer({ arch, train, val, recipe, seed: 1, normalization: norm });
    const events: string[] = [];
    const losses: number[] = [];
    t.events$.subscribe((e) => {
      events.push(e.type);
      if (e.type === 'train/epoch-ended') losses.push(e.trainLoss);
    });
    const r = await t.run();
    expect(r.valAccuracy!).toBeGreaterThan(0.3); // chance is 0.1
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.8);
    expect(events.filter((e) => e === 'train/epoch-ended')).toHaveLength(4);
    expect(events.at(-1)).toBe('train/completed');
    t.dispose();
  });

  it('resumes after an interruption and ends with exactly the weights of an uninterrupted run', async () => {
    const r2 = parseRecipe({ epochs: 2, batchSize: 32, lr: 0.1, mixup: 0.2, ema: 0.9, augment: { crop: 2, flip: true } });
    const small = takeSamples(train, Array.from({ length: 96 }, (_, i) => i * 6));
    const a = new Trainer({ arch, train: small, recipe: r2, seed: 3, normalization: norm });
    await a.run();
    const want = a.net.store.snapshot();
    a.dispose();

    const dir = join(mkdtempSync(join(tmpdir(), 'fbnet-train-')), 'run');
    const run = RunDir.create(dir, { command: 'train', seed: 3, options: {} });
    const b = new Trainer({ arch, train: small, recipe: r2, seed: 3, normalization: norm, run });
    b.events$.subscribe((e) => {
      if (e.type === 'train/checkpoint-saved' && e.epoch === 1) b.cancel();
    });
    const partial = await b.run();
    expect(partial.epochs).toBe(1);
    b.dispose();

    const c = new Trainer({ arch, train: small, recipe: r2, seed: 3, normalization: norm, run: RunDir.open(dir) });
    const started: number[] = [];
    c.events$.subscribe((e) => e.type === 'train/started' && started.push(e.resumedAtEpoch));
    await c.run();
    expect(started).toEqual([1]);
    const got = c.net.store.snapshot();
    for (const k of Object.keys(want)) expect(Array.from(got[k].data), k).toEqual(Array.from(want[k].data));
    c.dispose();
  });

  it('cancel() mid-epoch: run() resolves with the epochs done, the checkpoint keeps the batch, a new Trainer resumes there and ends with the same weights', async () => {
    const r2 = parseRecipe({ epochs: 2, batchSize: 16, lr: 0.1, momentum: 0.9, augment: { crop: 2, flip: true } });
    const small = takeSamples(train, Array.from({ length: 96 }, (_, i) => i * 6 + 1)); // 6 steps an epoch
    const a = new Trainer({ arch, train: small, recipe: r2, seed: 4, normalization: norm });
    await a.run();
    const want = a.net.store.snapshot();
    a.dispose();

    const dir = join(mkdtempSync(join(tmpdir(), 'fbnet-train-')), 'run');
    const run = RunDir.create(dir, { command: 'train', seed: 4, options: {} });
    const b = new Trainer({ arch, train: small, recipe: r2, seed: 4, normalization: norm, run });
    const saved: unknown[] = [];
    b.events$.subscribe((e) => {
      if (e.type === 'stage/progress' && e.done === 5) b.cancel();
      if (e.type === 'train/checkpoint-saved') saved.push({ epoch: e.epoch, step: e.step, batch: e.batch });
    });
    const partial = await b.run();
    expect(partial.epochs).toBe(0);
    expect(partial.valAccuracy).toBeUndefined();
    expect(saved).toEqual([{ epoch: 0, step: 5, batch: 5 }]);
    b.dispose();

    const c = new Trainer({ arch, train: small, recipe: r2, seed: 4, normalization: norm, run });
    const started: unknown[] = [];
    c.events$.subscribe((e) => e.type === 'train/started' && started.push([e.resumedAtEpoch, e.resumedAtBatch]));
    const done = await c.run();
    expect(done.epochs).toBe(2);
    expect(started).toEqual([[0, 5]]);
    const got = c.net.store.snapshot();
    for (const k of Object.keys(want)) expect(Array.from(got[k].data), k).toEqual(Array.from(want[k].data));
    c.dispose();
    run.close();
  });

  it('a NaN loss stops with a clear error and keeps the last checkpoint', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'fbnet-train-')), 'run');
    const run = RunDir.create(dir, { command: 'train', seed: 1, options: {} });
    const t = new Trainer({ arch, train, recipe: parseRecipe({ epochs: 3, batchSize: 32, lr: 1e30, momentum: 0 }), seed: 1, normalization: norm, run });
    await expect(t.run()).rejects.toThrow(FbnetError);
    await expect(new Trainer({ arch, train, recipe: parseRecipe({ epochs: 1, batchSize: 32, lr: 1e30, momentum: 0 }), seed: 1, normalization: norm }).run()).rejects.toThrow(/training loss became (NaN|Infinity|-Infinity) at epoch 1/);
    t.dispose();
  });

  it('a run stopped by a NaN loss leaves no tensors behind after dispose (optimizer slots, EMA shadows)', async () => {
    const before = tf.memory().numTensors;
    const small = takeSamples(train, Array.from({ length: 96 }, (_, i) => i));
    for (const optimizer of ['sgd', 'adamw'] as const) {
      const recipe = parseRecipe({ epochs: 2, batchSize: 32, lr: 1e30, momentum: 0.9, optimizer, ema: 0.9 });
      const t = new Trainer({ arch, train: small, val, recipe, seed: 1, normalization: norm });
      await expect(t.run()).rejects.toThrow(/training loss became/);
      t.dispose();
      expect(tf.memory().numTensors, optimizer).toBe(before);
    }
  });

  it('leaves no tensors behind beyond the net parameters', async () => {
    const before = tf.memory().numTensors;
    const t = new Trainer({ arch, train: takeSamples(train, Array.from({ length: 64 }, (_, i) => i)), val, recipe: parseRecipe({ epochs: 1, batchSize: 32, ema: 0.99 }), seed: 1, normalization: norm });
    const params = t.net.store.names().length;
    await t.run();
    expect(tf.memory().numTensors).toBe(before + params);
    t.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
