/**
 * Make the class-balanced Fashion-MNIST subset bundled in packages/data/assets/fashion-mnist-subset.
 *
 *   npx tsx tools/make-fmnist-subset.ts --src /usr/share/datasets/fashion-mnist --out <dir>
 *     [--seed 20170825] [--train-per-class 1000] [--test-per-class 200]
 *
 * Draws `per-class` images of each of the 10 classes from the full train and t10k sets
 * (seeded, each class on its own forked stream; the picks keep their source order) and writes
 * them as gzip IDX files plus manifest.json. Output is deterministic: the same source and
 * options give byte-identical files (see gzipDeterministic), which a test in packages/data checks.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  FASHION_MNIST_CLASSES,
  FASHION_MNIST_FILES,
  SUBSET_MANIFEST_FILE,
  SUBSET_MANIFEST_VERSION,
  classCounts,
  encodeIdx,
  gzipDeterministic,
  loadFashionMnist,
  readFileBytes,
  selectClassBalanced,
  serializeSubsetManifest,
  sha256Hex,
  takeSamples,
  type FashionMnistSplit,
  type SubsetManifest,
} from '@fbnet/data';

/** Default seed: Fashion-MNIST's release date (2017-08-25). */
const DEFAULT_SEED = 20170825;

function intArg(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${value}"`);
  return n;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      src: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      'train-per-class': { type: 'string' },
      'test-per-class': { type: 'string' },
    },
    strict: true,
  });
  if (!values.src || !values.out) throw new Error('usage: make-fmnist-subset --src <full Fashion-MNIST dir> --out <dir> [--seed N] [--train-per-class N] [--test-per-class N]');
  const seed = intArg('seed', values.seed, DEFAULT_SEED);
  const perClass: Record<FashionMnistSplit, number> = {
    train: intArg('train-per-class', values['train-per-class'], 1000),
    test: intArg('test-per-class', values['test-per-class'], 200),
  };
  const out = values.out;
  mkdirSync(out, { recursive: true });

  const manifest: SubsetManifest = {
    version: SUBSET_MANIFEST_VERSION,
    dataset: 'fashion-mnist',
    tool: 'tools/make-fmnist-subset.ts',
    seed,
    source: {},
    splits: {} as SubsetManifest['splits'],
    files: {},
  };

  for (const split of ['train', 'test'] as const) {
    const full = loadFashionMnist({ dataDir: values.src, split });
    for (const path of [full.files.images, full.files.labels]) {
      const bytes = readFileBytes(path);
      manifest.source[basename(path)] = { sha256: sha256Hex(bytes), bytes: bytes.length };
    }
    // Seed per split, so changing one split's size leaves the other's picks unchanged.
    const picked = takeSamples(full, selectClassBalanced(full.labels, FASHION_MNIST_CLASSES.length, perClass[split], seed + (split === 'train' ? 0 : 1)));

    const names = { images: `${FASHION_MNIST_FILES[split].images}.gz`, labels: `${FASHION_MNIST_FILES[split].labels}.gz` };
    const encoded = {
      images: encodeIdx({ dtype: 'ubyte', dims: [picked.count, picked.height, picked.width], data: picked.images }),
      labels: encodeIdx({ dtype: 'ubyte', dims: [picked.count], data: picked.labels }),
    };
    for (const k of ['images', 'labels'] as const) {
      const gz = gzipDeterministic(encoded[k]);
      writeFileSync(join(out, names[k]), gz);
      manifest.files[names[k]] = { sha256: sha256Hex(gz), bytes: gz.length };
    }
    manifest.splits[split] = {
      images: names.images,
      labels: names.labels,
      from: basename(full.files.images),
      count: picked.count,
      countsPerClass: classCounts(picked.labels, FASHION_MNIST_CLASSES.length),
    };
  }

  writeFileSync(join(out, SUBSET_MANIFEST_FILE), serializeSubsetManifest(manifest));
  const total = Object.values(manifest.files).reduce((a, f) => a + f.bytes, 0);
  process.stdout.write(
    `wrote ${manifest.splits.train.count} train + ${manifest.splits.test.count} test images (seed ${seed}) to ${out}: ${(total / 1024).toFixed(0)} KiB\n`,
  );
}

try {
  main();
} catch (e) {
  process.stderr.write(`make-fmnist-subset: ${(e as Error).message}\n`);
  process.exit(1);
}
