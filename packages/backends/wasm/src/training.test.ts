import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import * as nn from '@fbnet/nn';
import { describeTrainingSuite } from '@fbnet/backend-common/testing';
import { wasmPlugin } from './plugin.ts';

tf.env().set('PROD', true);

// Whole-net gradients and SGD steps against stock TF.js, finite differences, PyTorch's running
// statistics, the V1 mix and V2 channel-scale kernel pairs, native results read back every way.
describeTrainingSuite(wasmPlugin, { nn, torchFixtures: new URL('../../../nn/fixtures/torch-nn-reference.json', import.meta.url) });

describe('the wasm plugin', () => {
  it('Identity shares the data of its input (no copy) and the share outlives the original', async () => {
    await wasmPlugin.init();
    const a = tf.tensor1d([1, 2, 3]);
    const before = tf.memory().numDataBuffers;
    const b = tf.clone(a);
    expect(tf.memory().numDataBuffers).toBe(before);
    a.dispose();
    expect(Array.from(await b.data())).toEqual([1, 2, 3]);
    b.dispose();
    await wasmPlugin.dispose();
  });
});
