import { FASHION_MNIST_MEAN, FASHION_MNIST_STD, loadFashionMnist, numClasses, selectClassBalanced, splitTrainVal, takeSamples, type ImageDataset } from '@fbnet/data';
import type { SearchV1Preset } from './presets.ts';

/**
 * The data of a V1 search and of its baselines: the training set less a held-out validation part
 * (the final training's data; the search splits it again into weight and θ data), and the test set.
 */
export function loadV1Data(p: SearchV1Preset, dataDir: string | undefined, seed: number) {
  const full = limit(loadFashionMnist({ split: 'train', dataDir }), p.maxTrainImages, seed);
  const test = limit(loadFashionMnist({ split: 'test', dataDir }), p.maxTestImages, seed);
  const { train, val } = splitTrainVal(full, { valFraction: p.valFraction, seed });
  return { train, val, test, normalization: { mean: [FASHION_MNIST_MEAN], std: [FASHION_MNIST_STD] } };
}

/** At most `n` images, class-balanced and seeded (the whole set when n is undefined or larger). */
function limit(ds: ImageDataset, n: number | undefined, seed: number): ImageDataset {
  if (n === undefined || n >= ds.count) return ds;
  const k = numClasses(ds);
  return takeSamples(ds, selectClassBalanced(ds.labels, k, Math.floor(n / k), seed));
}
