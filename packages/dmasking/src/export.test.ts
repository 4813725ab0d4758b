import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { archFromChoice, Rng } from '@fbnet/core';
import { crossEntropy, Net, serializeLayersModel } from '@fbnet/nn';
import { resizeDataset, toResizingLayersModel } from './export.ts';
import { subsample } from './resample.ts';
import { tinyV2Space28 } from './_test-space.ts';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

describe('export of a derived arch at a lower resolution', () => {
  it('the saved model takes raw 28x28 pixels, resizes inside and predicts softmax(net(subsample(x))); it reloads with tf.loadLayersModel', async () => {
    const space = tinyV2Space28();
    const def = archFromChoice(space, { ops: [0, 1], channels: [1, 2], expansions: [1, 0], resolution: 0 });
    expect(def.input_size).toBe(20);
    const net = new Net(def, { seed: 1, normalization: { mean: [0.3], std: [0.4] } });
    const rng = new Rng(2);
    const x = tf.tensor4d(Array.from({ length: 3 * 28 * 28 }, () => Math.floor(rng.next() * 256)), [3, 28, 28, 1]);
    // move BN statistics and weights off their initial values
    const opt = tf.train.sgd(0.05);
    const y = tf.tensor1d([1, 2, 3], 'int32');
    for (let i = 0; i < 2; i++) opt.minimize(() => crossEntropy(net.forward(subsample(x, [20, 20]), { training: true }), y), false, net.trainableVariables());
    opt.dispose();
    const want = tf.tidy(() => tf.softmax(net.forward(subsample(x, [20, 20]))).dataSync());
    const model = toResizingLayersModel(net, 28);
    expect(model.inputs[0].shape).toEqual([null, 28, 28, 1]);
    const got = tf.tidy(() => (model.predict(x) as tf.Tensor).dataSync());
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    const { modelJson, weights } = await serializeLayersModel(model);
    const json = modelJson as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
    const loaded = await tfl.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: json.weightsManifest[0].weights, weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer }));
    const again = tf.tidy(() => (loaded.predict(x) as tf.Tensor).dataSync());
    for (let i = 0; i < want.length; i++) expect(again[i]).toBeCloseTo(want[i], 5);
    model.dispose();
    loaded.dispose();
    net.dispose();
  });

  it('resizeDataset subsamples every image as subsample() does', () => {
    const rng = new Rng(3);
    const images = Uint8Array.from({ length: 2 * 28 * 28 }, () => Math.floor(rng.next() * 256));
    const ds = { images, labels: Uint8Array.from([0, 1]), count: 2, height: 28, width: 28, channels: 1, classNames: ['a', 'b'] };
    const r = resizeDataset(ds, 24);
    const want = tf.tidy(() => subsample(tf.tensor4d(Float32Array.from(images), [2, 28, 28, 1]), [24, 24]).dataSync());
    expect(Array.from(r.images)).toEqual(Array.from(want));
    expect(r.height).toBe(24);
  });
});
