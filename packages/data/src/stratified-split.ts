import { FbnetError, Rng } from '@fbnet/core';
import { indicesByClass, numClasses, takeSamples, type ImageDataset } from './dataset.ts';

/**
 * FBNet (Wu et al. 2019, §4.1) trains the supernet's operator weights w_a on 80% of the
 * training set and the architecture distribution θ on the other 20%.
 */
export const FBNET_WEIGHTS_THETA_FRACTIONS: readonly [number, number] = [0.8, 0.2];

function checkFractions(fractions: readonly number[]): void {
  if (fractions.length < 1) throw new FbnetError('USAGE', 'split: fractions must not be empty');
  for (const f of fractions) {
    if (!Number.isFinite(f) || f < 0 || f > 1) throw new FbnetError('USAGE', `split: every fraction must be in [0, 1], got [${fractions.join(', ')}]`);
  }
  const sum = fractions.reduce((a, b) => a + b, 0);
  if (Math.abs(sum - 1) > 1e-9) throw new FbnetError('USAGE', `split: fractions must sum to 1, got [${fractions.join(', ')}] (sum ${sum})`);
}

/** Largest-remainder apportionment of n items to fractions; ties go to the earlier part. */
function apportion(n: number, fractions: readonly number[]): number[] {
  const quotas = fractions.map((f) => n * f);
  const sizes = quotas.map(Math.floor);
  let left = n - sizes.reduce((a, b) => a + b, 0);
  const order = quotas.map((q, k) => ({ k, r: q - Math.floor(q) })).sort((a, b) => b.r - a.r || a.k - b.k);
  for (let i = 0; left > 0; i = (i + 1) % order.length, left--) sizes[order[i].k]++;
  return sizes;
}

/**
 * Partition sample indices into parts of the given fractions, stratified by class: each class
 * is shuffled on its own stream (`seed`, forked by class) and cut by largest remainder, so
 * every part keeps the class mix and a class's assignment does not depend on the others.
 * Part sizes can therefore differ from round(N·f) by up to one per class.
 * Indices in each part are ascending.
 */
export function stratifiedPartition(
  labels: ArrayLike<number>,
  classCount: number,
  fractions: readonly number[],
  seed: number,
): Int32Array[] {
  checkFractions(fractions);
  const root = new Rng(seed);
  const parts: number[][] = fractions.map(() => []);
  indicesByClass(labels, classCount).forEach((idx, c) => {
    root.fork(`class/${c}`).shuffle(idx);
    let at = 0;
    apportion(idx.length, fractions).forEach((size, k) => {
      for (let i = 0; i < size; i++) parts[k].push(idx[at++]);
    });
  });
  return parts.map((p) => Int32Array.from(p).sort());
}

/** Split a data set into stratified parts, e.g. FBNET_WEIGHTS_THETA_FRACTIONS. */
export function splitDataset(ds: ImageDataset, options: { fractions: readonly number[]; seed: number }): ImageDataset[] {
  return stratifiedPartition(ds.labels, numClasses(ds), options.fractions, options.seed).map((idx) => takeSamples(ds, idx));
}

/** Stratified train/validation split. */
export function splitTrainVal(ds: ImageDataset, options: { valFraction: number; seed: number }): { train: ImageDataset; val: ImageDataset } {
  const { valFraction, seed } = options;
  if (!(valFraction >= 0 && valFraction <= 1)) throw new FbnetError('USAGE', `splitTrainVal: valFraction must be in [0, 1], got ${valFraction}`);
  const [train, val] = splitDataset(ds, { fractions: [1 - valFraction, valFraction], seed });
  return { train, val };
}

/**
 * Pick `perClass` samples of every class (seeded, each class on its own forked stream);
 * returns ascending indices so the subset keeps the source's order.
 */
export function selectClassBalanced(
  labels: ArrayLike<number>,
  classCount: number,
  perClass: number,
  seed: number,
): Int32Array {
  if (!Number.isInteger(perClass) || perClass < 0) throw new FbnetError('USAGE', `selectClassBalanced: perClass must be a non-negative integer, got ${perClass}`);
  const root = new Rng(seed);
  const picked: number[] = [];
  indicesByClass(labels, classCount).forEach((idx, c) => {
    if (idx.length < perClass) {
      throw new FbnetError('USAGE', `selectClassBalanced: class ${c} has ${idx.length} sample(s), fewer than the ${perClass} asked for`);
    }
    root.fork(`class/${c}`).shuffle(idx);
    for (let i = 0; i < perClass; i++) picked.push(idx[i]);
  });
  return Int32Array.from(picked).sort();
}
