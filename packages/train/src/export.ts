import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { serializeLayersModel, toLayersModel, type Net } from '@fbnet/nn';
import { writeFileAtomic, writeJsonAtomic } from '@fbnet/runs';

export interface ExportedModel {
  dir: string;
  modelJson: string;
  weights: string;
  bytes: number;
}

/**
 * Write the net as a stock TF.js Layers model (model.json + weights.bin) that takes raw
 * pixels (float32 NHWC, 0..255) and returns class probabilities; plus the arch def beside it.
 */
export async function exportModel(net: Net, dir: string): Promise<ExportedModel> {
  mkdirSync(dir, { recursive: true });
  const model = toLayersModel(net);
  try {
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
}

