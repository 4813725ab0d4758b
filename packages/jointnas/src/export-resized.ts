import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { toMatmulResizingLayersModel, type Net } from '@fbnet/nn';
import { exportLayersModel, type ExportedResizingModel as ResizingExport } from '@fbnet/train';

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
  return toMatmulResizingLayersModel(net, inputSize, {
    matrix: areaMatrix,
    layerPrefix: 'area',
    modelName: (n, r) => `fbnet_v3_${n}_to_${r}`,
  });
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

/** What the model takes: raw pixels at `inputSize` (area-resized inside to `resolution`). */
export interface ExportedResizingModel extends ResizingExport {
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
  let testAccuracy: number | undefined;
  const out = await exportLayersModel(net, dir, () => toAreaResizingLayersModel(net, inputSize), (model) => {
    if (test) testAccuracy = layersModelAccuracy(model, test.images, test.labels, [inputSize, inputSize, test.channels]);
  });
  return { ...out, inputSize, resolution: net.inputShape[0], ...(testAccuracy !== undefined ? { testAccuracy } : {}) };
}
