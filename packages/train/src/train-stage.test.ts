import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { createCpuPlugin } from '@fbnet/backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertSerializable, parseArchDef, runStage, stagesSettled, type ArchDef, type EventBase, type StageContext } from '@fbnet/core';
import { loadFashionMnist, takeSamples, type ImageDataset, type StageData } from '@fbnet/data';
import { Net } from '@fbnet/nn';
import { loadCheckpoint, RunDir } from '@fbnet/runs';
import { archCost } from '@fbnet/shape-propagation';
import { parseRecipe, type TrainRecipeInput } from './recipe.ts';
import { exportStage, trainStage, type TrainStageInput, type TrainStageResult } from './train-stage.ts';
import { Trainer } from './trainer.ts';

const arch: ArchDef = {
  input_size: 28,
  input_channels: 1,
  num_classes: 10,
  basic_args: { width_divisor: 1 },
  blocks: [[['conv_k3', 8, 2, 1]], [['ir_k3', 8, 2, 1, { expansion: 2 }]], [['conv_k1', 16, 1, 1]]],
};
const normalization = { mean: [0.286], std: [0.353] };
// Every stateful part of the loop is on: momentum, mixup (rng), crop + flip (rng), EMA, dropout.
const recipe: TrainRecipeInput = { epochs: 2, batchSize: 16, lr: 0.1, mixup: 0.2, ema: 0.9, dropout: 0.1, augment: { crop: 2, flip: true } };
let data: StageData;

beforeAll(async () => {
  tf.env().set('PROD', true);
  await createCpuPlugin().init({ threads: 2 });
  const full = loadFashionMnist({ split: 'train' });
  const slice = (from: number, n: number): ImageDataset => takeSamples(full, Array.from({ length: n }, (_, i) => from + i));
  // 96 training images in batches of 16: 6 steps per epoch.
  data = { train: slice(0, 96), val: slice(1000, 40), test: slice(2000, 40), normalization, source: 'fashion-mnist' };
});

const newRun = (): RunDir => RunDir.create(join(mkdtempSync(join(tmpdir(), 'fbnet-train-stage-')), 'run'), { command: 'test', seed: 3, options: {} });
const ctxOf = (run: RunDir): StageContext<StageData> => ({ seed: 3, backend: { id: 'cpu' }, data, run });

/** Run the stage, unsubscribing when the `done`-th step's progress event arrives; resolves once the body has stopped. */
async function cancelAtStep(input: TrainStageInput, ctx: StageContext<StageData>, done: number, seen: EventBase[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const sub = trainStage(input, ctx).subscribe({
      next: (e) => {
        seen.push(e);
        if (e.type === 'stage/progress' && (e as { done: number }).done === done) {
          sub.unsubscribe();
          resolve();
        }
      },
      error: reject,
      complete: () => reject(new Error('the stage finished before it was cancelled')),
    });
  });
  await stagesSettled();
}

function weightsOf(run: RunDir, result: TrainStageResult) {
  return loadCheckpoint(run.file(result.weights)).tensors;
}

describe('trainStage', () => {
  it('cancelled three times (mid-epoch, before an epoch’s validation, mid-epoch), resumed on the same run: ends bit-identical to an uninterrupted run, leaks no tensor', async () => {
    const before = tf.memory().numTensors;
    const input = { arch, recipe };

    const runA = newRun();
    const eventsA: EventBase[] = [];
    const a = await runStage(trainStage(input, ctxOf(runA)), { onEvent: (e) => eventsA.push(e) });
    expect(tf.memory().numTensors).toBe(before);
    expect(eventsA[0]).toEqual({ type: 'stage/started', stage: 'train' });
    expect(eventsA.at(-1)).toEqual({ type: 'stage/result', stage: 'train', result: a });
    eventsA.forEach((e) => assertSerializable(e));
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
    const probe = new Net(arch, { seed: 0, normalization });
    expect(a).toMatchObject({ weights: 'train.weights.ckpt', epochs: 2, params: probe.store.count() });
    probe.dispose();
    expect(a.valAccuracy).toBeGreaterThanOrEqual(0);
    expect(a.testAccuracy).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(a.trainLoss)).toBe(true);

    // B: cancelled after step 5 of epoch 1 (the loop stops before step 6), after step 6 (before epoch 1's
    // validation), and after step 5 of epoch 2; each session resumes where the last one stopped.
    const runB = newRun();
    const first: EventBase[] = [];
    await cancelAtStep(input, ctxOf(runB), 5, first);
    expect(tf.memory().numTensors).toBe(before);
    expect(first.some((e) => e.type === 'stage/result' || e.type === 'train/epoch-ended')).toBe(false);
    expect(existsSync(runB.file('train.weights.ckpt'))).toBe(false);

    const second: EventBase[] = [];
    await cancelAtStep(input, ctxOf(runB), 6, second);
    expect(tf.memory().numTensors).toBe(before);
    expect(second.find((e) => e.type === 'train/started')).toMatchObject({ resumedAtEpoch: 0, resumedAtBatch: 5 });
    expect(second.some((e) => e.type === 'train/epoch-ended')).toBe(false);

    const third: EventBase[] = [];
    await cancelAtStep(input, ctxOf(runB), 11, third);
    expect(tf.memory().numTensors).toBe(before);
    expect(third.find((e) => e.type === 'train/started')).toMatchObject({ resumedAtEpoch: 0, resumedAtBatch: 6 });
    expect(third.filter((e) => e.type === 'train/epoch-ended')).toHaveLength(1);

    const fourth: EventBase[] = [];
    const b = await runStage(trainStage(input, ctxOf(runB)), { onEvent: (e) => fourth.push(e) });
    expect(tf.memory().numTensors).toBe(before);
    expect(fourth.find((e) => e.type === 'train/started')).toMatchObject({ resumedAtEpoch: 1, resumedAtBatch: 5 });

    // Same figures (the epoch's loss sums were carried through the cancellations) and the same weights, bit for bit.
    const { seconds: _sa, ...restA } = a;
    const { seconds: _sb, ...restB } = b;
    expect(restB).toEqual(restA);
    const epochsOf = (evs: EventBase[]) => evs.filter((e) => e.type === 'train/epoch-ended').map((e) => { const { seconds: _s, imagesPerSec: _i, ...rest } = e as unknown as Record<string, number>; return rest; });
    expect([...epochsOf(third), ...epochsOf(fourth)]).toEqual(epochsOf(eventsA));
    expect(epochsOf(eventsA)).toHaveLength(2);
    const wa = weightsOf(runA, a);
    const wb = weightsOf(runB, b);
    expect(Object.keys(wb).sort()).toEqual(Object.keys(wa).sort());
    const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    for (const k of Object.keys(wa)) expect(bytes(wb[k].data).equals(bytes(wa[k].data)), k).toBe(true);

    // A finished training is not repeated: the same stage on the run returns its result at once.
    const fifth: EventBase[] = [];
    const again = await runStage(trainStage(input, ctxOf(runB)), { onEvent: (e) => fifth.push(e) });
    expect(again).toEqual(b);
    expect(fifth.some((e) => e.type === 'train/started')).toBe(false);
    // …unless the recipe changed: more epochs continue from the last checkpoint.
    const sixth: EventBase[] = [];
    const longer = await runStage(trainStage({ arch, recipe: { ...recipe, epochs: 3 } }, ctxOf(runB)), { onEvent: (e) => sixth.push(e) });
    expect(sixth.find((e) => e.type === 'train/started')).toMatchObject({ resumedAtEpoch: 2 });
    expect(longer.epochs).toBe(3);
    expect(tf.memory().numTensors).toBe(before);
    runA.close();
    runB.close();
  });

  it('refuses to run without data or a run directory', async () => {
    const run = newRun();
    await expect(runStage(trainStage({ arch, recipe }, { seed: 1, backend: { id: 'cpu' }, run }))).rejects.toThrow(/needs a data set/);
    await expect(runStage(trainStage({ arch, recipe }, { seed: 1, backend: { id: 'cpu' }, data }))).rejects.toThrow(/needs a run directory/);
    run.close();
  });
});

describe('exportStage', () => {
  it('exports the trained weights: the Layers model predicts softmax of the trained net’s logits; result paths are relative to the run', async () => {
    const r = { epochs: 1, batchSize: 32, lr: 0.1, ema: 0.9, augment: { crop: 0, flip: false } };
    const run = newRun();
    const ctx = ctxOf(run);
    const trained = await runStage(trainStage({ arch, recipe: r, name: 'final' }, ctx));
    expect(trained.weights).toBe('final.weights.ckpt');

    // The same training through the Trainer: its net is the trained net the export must reproduce.
    const t = new Trainer({ arch, train: data.train, val: data.val, test: data.test, recipe: parseRecipe(r), seed: 3, normalization });
    await t.run();
    const snap = t.net.store.snapshot();
    const stored = weightsOf(run, trained);
    for (const k of Object.keys(snap)) expect(Array.from(stored[k].data), k).toEqual(Array.from(snap[k].data));

    const before = tf.memory().numTensors;
    const events: EventBase[] = [];
    const out = await runStage(exportStage({ arch, weights: trained.weights }, ctx), { onEvent: (e) => events.push(e) });
    expect(tf.memory().numTensors).toBe(before);
    events.forEach((e) => assertSerializable(e));
    const cost = archCost(arch);
    expect(out).toEqual({ modelPath: 'model/model.json', archPath: 'model/arch.json', params: cost.params, flops: cost.flops, bytes: expect.any(Number) });
    expect(out.bytes).toBe(readFileSync(run.file('model/weights.bin')).length);
    expect(JSON.parse(readFileSync(run.file(out.archPath), 'utf8')).blocks).toEqual(arch.blocks);

    const json = JSON.parse(readFileSync(run.file(out.modelPath), 'utf8'));
    const bin = readFileSync(run.file('model/weights.bin'));
    const model = await tfl.loadLayersModel(
      tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer }),
    );
    const x = tf.tensor4d(data.test!.images.slice(0, 8 * 28 * 28), [8, 28, 28, 1], 'float32');
    const want = tf.tidy(() => tf.softmax(t.net.forward(x, { training: false })).dataSync());
    const got = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
    expect(got.length).toBe(80);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    model.dispose();
    x.dispose();
    t.dispose();
    run.close();
  });

  it('takes the arch parsed or not (defaults filled in), and refuses weights trained for another arch', async () => {
    const run = newRun();
    const ctx = ctxOf(run);
    const { basic_args: _b, ...bare } = arch;
    const trained = await runStage(trainStage({ arch: bare as ArchDef /* as read from JSON, without defaults */, recipe: { epochs: 1, batchSize: 32 } }, ctx));
    const out = await runStage(exportStage({ arch: parseArchDef(bare), weights: trained.weights }, ctx));
    expect(out.modelPath).toBe('model/model.json');
    const other: ArchDef = { ...arch, blocks: [[['conv_k3', 8, 2, 1]], [['conv_k1', 16, 1, 1]]] };
    await expect(runStage(exportStage({ arch: other, weights: trained.weights }, ctx))).rejects.toThrow(/another architecture/);
    run.close();
  });
});
