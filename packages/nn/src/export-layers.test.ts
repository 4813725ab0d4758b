import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { serializeLayersModel, toLayersModel } from './export-layers.ts';
import { crossEntropy } from './loss.ts';
import { Net } from './net.ts';

const fixtures = JSON.parse(readFileSync(new URL('../fixtures/torch-nn-reference.json', import.meta.url), 'utf8'));
const arch = fixtures['all-nodes'].arch;

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

/** A net whose BN running stats and weights are not at their initial values. */
function trainedNet(normalization = { mean: [0.3, 0.6], std: [0.4, 0.2] }): { net: Net; x: tf.Tensor4D } {
  const net = new Net(arch, { seed: 5, normalization });
  const x = tf.randomUniform([6, 16, 16, 2], 0, 255, 'float32', 1) as tf.Tensor4D;
  const y = tf.tensor1d([0, 1, 2, 3, 4, 0], 'int32');
  const opt = tf.train.sgd(0.05);
  for (let i = 0; i < 3; i++) opt.minimize(() => crossEntropy(net.forward(x, { training: true }), y), false, net.trainableVariables());
  opt.dispose();
  y.dispose();
  return { net, x };
}

describe('Layers-model export', () => {
  it('the exported model computes softmax(net logits) exactly (per-channel normalisation, every node kind)', () => {
    const { net, x } = trainedNet();
    const model = toLayersModel(net);
    const want = tf.tidy(() => tf.softmax(net.forward(x)).dataSync());
    const got = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    model.dispose();
    x.dispose();
    net.dispose();
  });

  it('loads with tf.loadLayersModel in a plain Node process with no fbnet-ts code and predicts the same', async () => {
    const { net, x } = trainedNet({ mean: [0.5, 0.5], std: [0.25, 0.25] });
    const model = toLayersModel(net);
    const { modelJson, weights } = await serializeLayersModel(model);
    const dir = mkdtempSync(join(tmpdir(), 'fbnet-export-'));
    writeFileSync(join(dir, 'model.json'), JSON.stringify(modelJson));
    writeFileSync(join(dir, 'weights.bin'), weights);
    writeFileSync(join(dir, 'input.json'), JSON.stringify({ shape: x.shape, data: Array.from(x.dataSync()) }));
    const script = fileURLToPath(new URL('../test-support/load-plain.mjs', import.meta.url));
    const out = execFileSync(process.execPath, [script, dir, join(dir, 'input.json')], { encoding: 'utf8', cwd: dir });
    const got: number[] = JSON.parse(out.trim().split('\n').at(-1)!);
    const want = tf.tidy(() => tf.softmax(net.forward(x)).dataSync());
    expect(got.length).toBe(want.length);
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    model.dispose();
    x.dispose();
    net.dispose();
  });
});
