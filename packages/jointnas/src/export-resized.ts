import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { FbnetError } from '@fbnet/core';
import { serializeLayersModel, toLayersModel, type Net } from '@fbnet/nn';
import { writeFileAtomic, writeJsonAtomic } from '@fbnet/runs';

/**
 * Area-averaging weights from `inSize` to `outSize` cells as an [inSize, outSize] matrix: output
 * cell o averages the input span [o·s, (o+1)·s), s = in/out — the weights of `@fbnet/autotrain`'s
 * `resizeDataset` (OpenCV INTER_AREA), which the candidates and the final training resize with.
 */
export function areaMatrix(inSize: number, outSize: number): Float32Array {
  const m = new Float32Array(inSize * outSize);
  const s = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const a = o * s, b = (o + 1) * s;
    for (let i = Math.floor(a); i < Math.min(inSize, Math.ceil(b)); i++) m[i * outSize + o] = (Math.min(b, i + 1) - Math.max(a, i)) / s;
  }
  return m;
}

/**
 * A stock TF.js Layers model of `net` that takes the data's raw pixels (`inputSize`², float32 NHWC,
 * 0..255): when the search chose a smaller resolution, the input is first area-resized to it by
 * two fixed matmuls (Dense without bias on the last axis, between Permutes: rows, then columns),
 * as the training data was; then the net runs. At the net's own size, the plain export.
 */
export function toAreaResizingLayersModel(net: Net, inputSize: number): tfl.LayersModel {
  const inner = toLayersModel(net);
  const [r, , c] = net.inputShape;
  if (r === inputSize) return inner;
  if (r > inputSize) throw new FbnetError('USAGE', `cannot export a ${r}x${r} arch for smaller ${inputSize}x${inputSize} inputs`);
  const input = tfl.input({ shape: [inputSize, inputSize, c], name: 'raw_pixels' });
  const weights = tf.tensor2d(areaMatrix(inputSize, r), [inputSize, r]);
  const rows = tfl.layers.dense({ units: r, useBias: false, trainable: false, name: `area_rows_${r}` });
  const cols = tfl.layers.dense({ units: r, useBias: false, trainable: false, name: `area_cols_${r}` });
  let y = tfl.layers.permute({ dims: [3, 2, 1], name: 'area_to_cwh' }).apply(input) as tfl.SymbolicTensor; // [C, W, H]
  y = rows.apply(y) as tfl.SymbolicTensor; // [C, W, r]
  y = tfl.layers.permute({ dims: [1, 3, 2], name: 'area_to_crw' }).apply(y) as tfl.SymbolicTensor; // [C, r, W]
  y = cols.apply(y) as tfl.SymbolicTensor; // [C, r, r]
  y = tfl.layers.permute({ dims: [2, 3, 1], name: 'area_to_hwc' }).apply(y) as tfl.SymbolicTensor; // [r, r, C]
  rows.setWeights([weights]);
  cols.setWeights([weights]);
  weights.dispose();
  return tfl.model({ inputs: input, outputs: inner.apply(y) as tfl.SymbolicTensor, name: `fbnet_v3_${inputSize}_to_${r}` });
}

/** Top-1 accuracy of a Layers model on raw NHWC pixels (what a user of the exported model measures). */
export function layersModelAccuracy(model: tfl.LayersModel, images: Uint8Array, labels: Uint8Array, shape: [number, number, number], batch = 256): number {
  const per = shape[0] * shape[1] * shape[2];
  let right = 0;
  for (let at = 0; at < labels.length; at += batch) {
    const n = Math.min(batch, labels.length - at);
    const pred = tf.tidy(() => {
      const x = tf.tensor4d(Float32Array.from(images.subarray(at * per, (at + n) * per)), [n, ...shape]);
      return tf.argMax(model.predict(x) as tf.Tensor, -1).dataSync();
    });
    for (let i = 0; i < n; i++) if (pred[i] === labels[at + i]) right++;
  }
  return right / Math.max(1, labels.length);
}

export interface ExportedResizingModel {
  dir: string;
  modelJson: string;
  weights: string;
  bytes: number;
  /** What the model takes: raw pixels at this size (area-resized inside to `resolution`). */
  inputSize: number;
  resolution: number;
  /** The model's accuracy on the test images it was given, at `inputSize`. */
  testAccuracy?: number;
}

/** Write the model (model.json + weights.bin) and the arch def beside it; scores `test` (raw pixels at `inputSize`) on the model first. */
export async function exportResizingModel(
  net: Net,
  dir: string,
  inputSize: number,
  test?: { images: Uint8Array; labels: Uint8Array; channels: number },
): Promise<ExportedResizingModel> {
  mkdirSync(dir, { recursive: true });
  const model = toAreaResizingLayersModel(net, inputSize);
  try {
    const testAccuracy = test ? layersModelAccuracy(model, test.images, test.labels, [inputSize, inputSize, test.channels]) : undefined;
    const { modelJson, weights } = await serializeLayersModel(model);
    const weightsPath = join(dir, 'weights.bin');
    writeFileAtomic(weightsPath, weights);
    const jsonPath = join(dir, 'model.json');
    writeJsonAtomic(jsonPath, modelJson);
    writeJsonAtomic(join(dir, 'arch.json'), net.resolved.def);
    return { dir, modelJson: jsonPath, weights: weightsPath, bytes: weights.length, inputSize, resolution: net.inputShape[0], ...(testAccuracy !== undefined ? { testAccuracy } : {}) };
  } finally {
    model.dispose();
  }
}
