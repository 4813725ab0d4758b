import { mkdirSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { join } from 'node:path';
import { serializeLayersModel, toLayersModel, type Net } from '@fbnet/nn';
import { writeFileAtomic, writeJsonAtomic } from '@fbnet/runs';
import { readVariables } from './read-back.ts';

export interface ExportedModel {
  dir: string;
  modelJson: string;
  weights: string;
  bytes: number;
}

/** An export of an arch for larger inputs: it takes raw pixels at `inputSize` and resizes them inside to `resolution`. */
export interface ExportedResizingModel extends ExportedModel {
  inputSize: number;
  resolution: number;
}

/** A stock TF.js Layers model, as `@fbnet/nn` builds them. */
export type LayersModel = ReturnType<typeof toLayersModel>;

/**
 * Write the net as a stock TF.js Layers model (model.json + weights.bin) that takes raw
 * pixels (float32 NHWC, 0..255) and returns class probabilities; plus the arch def beside it.
 */
export async function exportModel(net: Net, dir: string): Promise<ExportedModel> {
  return exportLayersModel(net, dir, () => toLayersModel(net));
}

/**
 * Write the Layers model `build` makes of `net` (model.json + weights.bin) and the arch def beside it;
 * `inspect` sees the model before it is written (to score it), and the model is disposed after.
 */
export async function exportLayersModel(
  net: Net,
  dir: string,
  build: () => LayersModel,
  inspect?: (model: LayersModel) => void,
): Promise<ExportedModel> {
  mkdirSync(dir, { recursive: true });
  // Building the Layers model reads weights synchronously (BN folded into convs, grouped kernels
  // made block-diagonal: @fbnet/nn's toLayersModel). Where the backend cannot (webgpu in Node),
  // the model is built on the cpu backend from host copies of the variables.
  await readVariables();
  const back = await hostBackendIfNeeded();
  try {
    const model = build();
    try {
      inspect?.(model);
      const { modelJson, weights } = await serializeLayersModel(model);
      const weightsPath = join(dir, 'weights.bin');
      writeFileAtomic(weightsPath, weights);
      const jsonPath = join(dir, 'model.json');
      writeJsonAtomic(jsonPath, modelJson);
      writeJsonAtomic(join(dir, 'arch.json'), net.resolved.def);
      return { dir, modelJson: jsonPath, weights: weightsPath, bytes: weights.length };
    } finally {
      model.dispose();
    }
  } finally {
    await back?.();
  }
}

/**
 * tfjs-backend-webgpu reads synchronously through an `OffscreenCanvas`, which Node lacks. There,
 * switch to the cpu backend (the variables' values are already on the host, so TF.js moves them
 * without a GPU read) and return how to switch back; elsewhere do nothing.
 */
async function hostBackendIfNeeded(): Promise<(() => Promise<void>) | undefined> {
  const active = tf.getBackend();
  if (active !== 'webgpu' || typeof (globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas !== 'undefined') return undefined;
  if (!tf.findBackendFactory('cpu')) await import('@tensorflow/tfjs-backend-cpu');
  await tf.setBackend('cpu');
  return async () => void (await tf.setBackend(active));
}
