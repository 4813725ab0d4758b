import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { BackendPlugin } from '@fbnet/core';

/**
 * Test helpers (the `@fbnet/jointnas/testing` subpath) for searches run end to end on the stock
 * CPU backend and the models they export.
 */

/** The stock TF.js CPU backend as a plugin (stages never import the backend packages; the test imports tfjs-backend-cpu). */
export const stockCpu: BackendPlugin = {
  id: 'cpu',
  tfBackend: 'cpu',
  description: 'stock tfjs-backend-cpu',
  availability: async () => ({ available: true }),
  init: async () => {
    await tf.setBackend('cpu');
  },
  variants: () => [],
  version: () => tf.version_core,
};

/** Load an exported model.json and its weights (beside it) the way a user of the model would, from the files alone. */
export async function loadExportedModel(modelPath: string): Promise<tfl.LayersModel> {
  const json = JSON.parse(readFileSync(modelPath, 'utf8'));
  const weights = readFileSync(join(dirname(modelPath), json.weightsManifest[0].paths[0]));
  return tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer,
    }),
  );
}

/** Top-1 accuracy of `model` on raw 0..255 NHWC pixels, in one batch. */
export function top1(model: tfl.LayersModel, images: Uint8Array, labels: Uint8Array, shape: [number, number, number]): number {
  const pred = tf.tidy(() => tf.argMax(model.predict(tf.tensor4d(Float32Array.from(images), [labels.length, ...shape])) as tf.Tensor, -1).dataSync());
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (pred[i] === labels[i]) right++;
  return right / labels.length;
}
