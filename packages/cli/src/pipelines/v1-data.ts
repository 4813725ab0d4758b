import {
  classCounts,
  FASHION_MNIST_MEAN,
  FASHION_MNIST_STD,
  loadDataset,
  loadFashionMnist,
  numClasses,
  selectClassBalanced,
  splitTrainVal,
  takeSamples,
  type ImageDataset,
  type LoadedDataset,
} from '@fbnet/data';
import type { Output } from '../output.ts';
import { progressBar } from '../output.ts';
import type { UserDataSource } from '../user-data.ts';
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

/**
 * `--data`: the user's data set at its own image size (the space is adapted to it), with the
 * preset's validation fraction and image limits, and per-channel statistics of the training split.
 */
export function loadV1UserData(p: SearchV1Preset, src: UserDataSource, seed: number, out: Output) {
  const t0 = Date.now();
  const data: LoadedDataset = loadDataset(src.path, {
    format: src.format,
    size: src.size,
    seed,
    valFraction: p.valFraction,
    onProgress: (done, total) => {
      const rate = done / Math.max(1e-3, (Date.now() - t0) / 1000);
      out.progress(progressBar('decoding images', done, total, (total - done) / rate));
    },
  });
  out.endProgress();
  const cached = data.fromCache ? `; decoded images read from ${data.cacheFile}` : '';
  const shape = `${data.height}x${data.width}x${data.channels}`;
  out.info(`data ${src.path}: ${data.format}, ${data.classNames.length} classes, ${shape}${cached}`);
  const train = limit(data.train, p.maxTrainImages, seed);
  const test = limit(data.test, p.maxTestImages, seed);
  return { train, val: data.val, test, normalization: data.normalization, data };
}

/** At most `n` images, class-balanced and seeded (the whole set when n is undefined or larger). */
function limit(ds: ImageDataset, n: number | undefined, seed: number): ImageDataset {
  if (n === undefined || n >= ds.count) return ds;
  const k = numClasses(ds);
  // Uneven user data: no class gives more than the smallest has (a split missing a class is kept whole).
  const counts = classCounts(ds.labels, k);
  if (counts.some((c) => c === 0)) return ds;
  return takeSamples(ds, selectClassBalanced(ds.labels, k, Math.min(Math.min(...counts), Math.floor(n / k)), seed));
}
