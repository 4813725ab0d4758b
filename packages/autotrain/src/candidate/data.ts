import { numClasses, loadFashionMnist, selectClassBalanced, splitTrainVal, takeSamples, type ImageDataset, FASHION_MNIST_MEAN, FASHION_MNIST_STD } from '@fbnet/data';
import { FbnetError } from '@fbnet/core';
import type { InputNormalization } from '@fbnet/nn';
import { resizeDataset } from '../space/resize.ts';
import type { DataSpec } from './job.ts';

export interface CandidateData {
  train: ImageDataset;
  val: ImageDataset;
  normalization: InputNormalization;
}

const cache = new Map<string, CandidateData>();

/**
 * The data a job names, at the arch's input resolution. Deterministic (class-balanced pick and
 * stratified split from the spec's seed), so every worker trains on the same images; cached per process.
 */
export function loadCandidateData(spec: DataSpec, resolution: number): CandidateData {
  const key = JSON.stringify([spec, resolution]);
  const hit = cache.get(key);
  if (hit) return hit;
  let base: CandidateData;
  const baseKey = JSON.stringify([spec, 'base']);
  const b = cache.get(baseKey);
  if (b) base = b;
  else {
    const full = loadFashionMnist({ split: 'train', dataDir: spec.dataDir });
    const k = numClasses(full);
    const total = spec.trainImages + spec.valImages;
    const perClass = Math.floor(total / k);
    if (perClass * k > full.count) throw new FbnetError('USAGE', `data spec asks for ${total} images, the train split has ${full.count}`);
    const picked = takeSamples(full, selectClassBalanced(full.labels, k, perClass, spec.seed));
    const { train, val } = splitTrainVal(picked, { valFraction: spec.valImages / (perClass * k), seed: spec.seed });
    base = { train, val, normalization: { mean: [FASHION_MNIST_MEAN], std: [FASHION_MNIST_STD] } };
    cache.set(baseKey, base);
  }
  const out = { ...base, train: resizeDataset(base.train, resolution), val: resizeDataset(base.val, resolution) };
  cache.set(key, out);
  return out;
}
