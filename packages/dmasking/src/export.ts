import type * as tfl from '@tensorflow/tfjs-layers';
import { toMatmulResizingLayersModel, type Net } from '@fbnet/nn';
import { exportLayersModel, type ExportedResizingModel } from '@fbnet/train';
import { imageSize, type ImageDataset } from '@fbnet/data';
import { nearestPositions } from './resample.ts';

/** What the model takes: raw pixels at `inputSize` (resized inside to the arch's resolution). */
export type ExportedV2Model = ExportedResizingModel;

/**
 * A stock TF.js Layers model of a derived V2 arch that takes the raw input a user has
 * (`inputSize`², e.g. 28x28 Fashion-MNIST, float32 NHWC 0..255) and returns class probabilities:
 * when the search chose a smaller resolution, stock layers first subsample the input (nearest
 * neighbour, corners aligned) exactly as the supernet and the final training did, then the
 * arch's net runs. Without resizing, the same model as `@fbnet/train`'s export.
 */
export function toResizingLayersModel(net: Net, inputSize: number): tfl.LayersModel {
  return toMatmulResizingLayersModel(net, inputSize, {
    // Nearest-neighbour subsampling as 0/1 selection matrices: exact, and the supernet's positions.
    matrix: (n, r) => {
      const m = new Float32Array(n * r);
      nearestPositions(n, r).forEach((p, i) => (m[p * r + i] = 1));
      return m;
    },
    layerPrefix: 'resize',
    modelName: (_n, r) => `fbnet_v2_${r}`,
  });
}

/** Write the model (model.json + weights.bin) and the arch def beside it. */
export async function exportV2Model(net: Net, dir: string, inputSize: number): Promise<ExportedV2Model> {
  const out = await exportLayersModel(net, dir, () => toResizingLayersModel(net, inputSize));
  return { ...out, inputSize, resolution: net.inputShape[0] };
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

