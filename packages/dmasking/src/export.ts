import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { FbnetError } from '@fbnet/core';
import { serializeLayersModel, toLayersModel, type Net } from '@fbnet/nn';
import { writeFileAtomic, writeJsonAtomic } from '@fbnet/runs';
import { imageSize, type ImageDataset } from '@fbnet/data';
import { nearestPositions } from './resample.ts';

export interface ExportedV2Model {
  dir: string;
  modelJson: string;
  weights: string;
  bytes: number;
  /** What the model takes: raw pixels at this size (resized inside to the arch's resolution). */
  inputSize: number;
  resolution: number;
}

/**
 * A stock TF.js Layers model of a derived V2 arch that takes the raw input a user has
 * (`inputSize`², e.g. 28x28 Fashion-MNIST, float32 NHWC 0..255) and returns class probabilities:
 * when the search chose a smaller resolution, stock layers first subsample the input (nearest
 * neighbour, corners aligned) exactly as the supernet and the final training did, then the
 * arch's net runs. Without resizing, the same model as `@fbnet/train`'s export.
 */
export function toResizingLayersModel(net: Net, inputSize: number): tfl.LayersModel {
  const inner = toLayersModel(net);
  const [r, , c] = net.inputShape;
  if (r === inputSize) return inner;
  if (r > inputSize) throw new FbnetError('USAGE', `cannot export a ${r}x${r} arch for smaller ${inputSize}x${inputSize} inputs`);
  const input = tfl.input({ shape: [inputSize, inputSize, c], name: 'raw_pixels' });
  // Nearest-neighbour subsampling as two 0/1 selection matmuls (Dense without bias on the last
  // axis, between Permutes): stock layers, exact, and the supernet's positions. (The stock
  // Resizing layer would do the same, but tfjs-layers 4.22 hands it its input wrapped in an array.)
  const select = tf.tidy(() => {
    const m = new Float32Array(inputSize * r);
    nearestPositions(inputSize, r).forEach((p, i) => (m[p * r + i] = 1));
    return tf.tensor2d(m, [inputSize, r]);
  });
  const rowsLayer = tfl.layers.dense({ units: r, useBias: false, trainable: false, name: `resize_rows_${r}` });
  const colsLayer = tfl.layers.dense({ units: r, useBias: false, trainable: false, name: `resize_cols_${r}` });
  let y = tfl.layers.permute({ dims: [3, 2, 1], name: 'resize_to_cwh' }).apply(input) as tfl.SymbolicTensor; // [C, W, H]
  y = rowsLayer.apply(y) as tfl.SymbolicTensor; // [C, W, r]
  y = tfl.layers.permute({ dims: [1, 3, 2], name: 'resize_to_crw' }).apply(y) as tfl.SymbolicTensor; // [C, r, W]
  y = colsLayer.apply(y) as tfl.SymbolicTensor; // [C, r, r]
  y = tfl.layers.permute({ dims: [2, 3, 1], name: 'resize_to_hwc' }).apply(y) as tfl.SymbolicTensor; // [r, r, C]
  rowsLayer.setWeights([select]);
  colsLayer.setWeights([select]);
  select.dispose();
  const out = inner.apply(y) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: `fbnet_v2_${r}` });
}

/** Write the model (model.json + weights.bin) and the arch def beside it. */
export async function exportV2Model(net: Net, dir: string, inputSize: number): Promise<ExportedV2Model> {
  mkdirSync(dir, { recursive: true });
  const model = toResizingLayersModel(net, inputSize);
  try {
    const { modelJson, weights } = await serializeLayersModel(model);
    const weightsPath = join(dir, 'weights.bin');
    writeFileAtomic(weightsPath, weights);
    const jsonPath = join(dir, 'model.json');
    writeJsonAtomic(jsonPath, modelJson);
    writeJsonAtomic(join(dir, 'arch.json'), net.resolved.def);
    return { dir, modelJson: jsonPath, weights: weightsPath, bytes: weights.length, inputSize, resolution: net.inputShape[0] };
  } finally {
    model.dispose();
  }
}

/** A data set subsampled to `size` (nearest neighbour, corners aligned): what a derived arch at that resolution trains on. */
export function resizeDataset(ds: ImageDataset, size: number): ImageDataset {
  if (ds.height === size && ds.width === size) return ds;
  const rows = nearestPositions(ds.height, size);
  const cols = nearestPositions(ds.width, size);
  const c = ds.channels;
  const src = imageSize(ds);
  const dst = size * size * c;
  const images = new Uint8Array(ds.count * dst);
  for (let n = 0; n < ds.count; n++)
    for (let i = 0; i < size; i++)
      for (let j = 0; j < size; j++)
        for (let k = 0; k < c; k++) images[n * dst + (i * size + j) * c + k] = ds.images[n * src + (rows[i] * ds.width + cols[j]) * c + k];
  return { ...ds, images, height: size, width: size };
}

