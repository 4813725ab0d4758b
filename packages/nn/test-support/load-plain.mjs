// A plain TF.js consumer: no fbnet-ts code. Loads an exported Layers model and predicts.
// usage: node load-plain.mjs <model-dir> <input.json>  -> prints JSON probabilities
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import * as tfl from '@tensorflow/tfjs-layers';

const [dir, inputPath] = process.argv.slice(2);
tf.env().set('PROD', true);
await tf.setBackend('cpu');
const modelJson = JSON.parse(readFileSync(`${dir}/model.json`, 'utf8'));
const weights = readFileSync(`${dir}/${modelJson.weightsManifest[0].paths[0]}`);
const model = await tfl.loadLayersModel(
  tf.io.fromMemory({
    modelTopology: modelJson.modelTopology,
    weightSpecs: modelJson.weightsManifest[0].weights,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
  }),
);
const input = JSON.parse(readFileSync(inputPath, 'utf8'));
const probs = model.predict(tf.tensor4d(input.data, input.shape));
console.log(JSON.stringify(Array.from(probs.dataSync())));
