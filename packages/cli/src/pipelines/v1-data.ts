import type { LoadedDataset } from '@fbnet/data';
import { loadFashionMnistData, loadUserStageData, type SearchV1Preset } from '@fbnet/pipeline';
import type { Output } from '../output.ts';
import { progressBar } from '../output.ts';
import type { UserDataSource } from '../user-data.ts';

/**
 * The data of a V1 search and of its baselines: the training set less a held-out validation part
 * (the final training's data; the search splits it again into weight and θ data), and the test set.
 */
export function loadV1Data(p: SearchV1Preset, dataDir: string | undefined, seed: number) {
  const { train, val, test, normalization } = loadFashionMnistData(p, dataDir, seed);
  return { train, val: val!, test: test!, normalization };
}

/**
 * `--data`: the user's data set at its own image size (the space is adapted to it), with the
 * preset's validation fraction and image limits, and per-channel statistics of the training split.
 */
export function loadV1UserData(p: SearchV1Preset, src: UserDataSource, seed: number, out: Output) {
  const t0 = Date.now();
  const d = loadUserStageData(src, p, seed, (done, total) => {
    const rate = done / Math.max(1e-3, (Date.now() - t0) / 1000);
    out.progress(progressBar('decoding images', done, total, (total - done) / rate));
  });
  out.endProgress();
  const data: LoadedDataset = d.loaded;
  const cached = data.fromCache ? `; decoded images read from ${data.cacheFile}` : '';
  const shape = `${data.height}x${data.width}x${data.channels}`;
  out.info(`data ${src.path}: ${data.format}, ${data.classNames.length} classes, ${shape}${cached}`);
  return { train: d.train, val: d.val!, test: d.test!, normalization: d.normalization, data };
}
