import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { FbnetError } from '@fbnet/core';
import { toLayersModel } from './export-layers.ts';
import type { Net } from './net.ts';

/** How the raw input is resized to the net's resolution, and what the layers and the model are called. */
export interface MatmulResize {
  /** An [inputSize, r] matrix: output cell o is Σ_i x[i]·m[i·r + o], applied to rows, then to columns. */
  matrix: (inputSize: number, r: number) => Float32Array;
  /** Prefix of the resizing layers' names (`${prefix}_rows_${r}`, `${prefix}_to_cwh`, ...). */
  layerPrefix: string;
  modelName: (inputSize: number, r: number) => string;
}

/**
 * A stock TF.js Layers model of `net` that takes raw pixels (`inputSize`², float32 NHWC): when the
 * net's resolution r is smaller, the input is first resized by two fixed matmuls with `resize.matrix`
 * (Dense without bias on the last axis, between Permutes: rows, then columns) — stock layers only,
 * since tfjs-layers 4.22's Resizing layer gets its input wrapped in an array. At the net's own size,
 * the plain export.
 */
export function toMatmulResizingLayersModel(net: Net, inputSize: number, resize: MatmulResize): tfl.LayersModel {
  const inner = toLayersModel(net);
  const [r, , c] = net.inputShape;
  if (r === inputSize) return inner;
  if (r > inputSize) throw new FbnetError('USAGE', `cannot export a ${r}x${r} arch for smaller ${inputSize}x${inputSize} inputs`);
  const p = resize.layerPrefix;
  const input = tfl.input({ shape: [inputSize, inputSize, c], name: 'raw_pixels' });
  const weights = tf.tensor2d(resize.matrix(inputSize, r), [inputSize, r]);
  const rows = tfl.layers.dense({ units: r, useBias: false, trainable: false, name: `${p}_rows_${r}` });
  const cols = tfl.layers.dense({ units: r, useBias: false, trainable: false, name: `${p}_cols_${r}` });
  let y = tfl.layers.permute({ dims: [3, 2, 1], name: `${p}_to_cwh` }).apply(input) as tfl.SymbolicTensor; // [C, W, H]
  y = rows.apply(y) as tfl.SymbolicTensor; // [C, W, r]
  y = tfl.layers.permute({ dims: [1, 3, 2], name: `${p}_to_crw` }).apply(y) as tfl.SymbolicTensor; // [C, r, W]
  y = cols.apply(y) as tfl.SymbolicTensor; // [C, r, r]
  y = tfl.layers.permute({ dims: [2, 3, 1], name: `${p}_to_hwc` }).apply(y) as tfl.SymbolicTensor; // [r, r, C]
  rows.setWeights([weights]);
  cols.setWeights([weights]);
  weights.dispose();
  return tfl.model({ inputs: input, outputs: inner.apply(y) as tfl.SymbolicTensor, name: resize.modelName(inputSize, r) });
}
