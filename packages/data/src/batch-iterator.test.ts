import { describe, expect, it } from 'vitest';
import { BatchIterator, type Batch } from './batch-iterator.ts';
import type { ImageDataset } from './dataset.ts';
import { expectFbnetError } from './test-helpers.ts';

/** N samples of 2×2×1 images; sample i's pixels are 10i..10i+3, its label i % 3. */
function dataset(n = 10): ImageDataset {
  return {
    images: Uint8Array.from({ length: n * 4 }, (_, k) => 10 * Math.floor(k / 4) + (k % 4)),
    labels: Uint8Array.from({ length: n }, (_, i) => i % 3),
    count: n,
    height: 2,
    width: 2,
    channels: 1,
    classNames: ['a', 'b', 'c'],
  };
}

const raw = { kind: 'raw' } as const;
const take = (it: BatchIterator, k: number): Batch[] => Array.from({ length: k }, () => it.next());
const ids = (bs: Batch[]) => bs.map((b) => [...b.indices]);

describe('BatchIterator', () => {
  it('an epoch is a permutation of the data set in batches of batchSize, the last one smaller', () => {
    const it = new BatchIterator(dataset(), { batchSize: 3, seed: 1, normalization: raw });
    expect(it.batchesPerEpoch).toBe(4);
    const bs = [...it.epochBatches()];
    expect(bs.map((b) => b.size)).toEqual([3, 3, 3, 1]);
    expect(bs.map((b) => [b.epoch, b.index])).toEqual([[0, 0], [0, 1], [0, 2], [0, 3]]);
    expect(ids(bs).flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(ids(bs).flat()).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(it.position()).toMatchObject({ epoch: 1, batch: 0 });
  });

  it('x is NHWC float32 of the right pixels and y the labels', () => {
    const it = new BatchIterator(dataset(), { batchSize: 4, seed: 2, normalization: raw });
    const b = it.next();
    expect(b.x).toBeInstanceOf(Float32Array);
    expect(b.y).toBeInstanceOf(Int32Array);
    expect(b.x.length).toBe(4 * 2 * 2 * 1);
    b.indices.forEach((j, i) => {
      expect([...b.x.subarray(i * 4, i * 4 + 4)]).toEqual([10 * j, 10 * j + 1, 10 * j + 2, 10 * j + 3]);
      expect(b.y[i]).toBe(j % 3);
    });
  });

  it('applies the normalization', () => {
    const it = new BatchIterator(dataset(), { batchSize: 10, seed: 0, shuffle: false, normalization: { kind: 'standardize', mean: 0.2, std: 0.5 } });
    const b = it.next();
    // pixel 93 (sample 9, last pixel): (93/255 − 0.2) / 0.5
    expect(b.x[39]).toBeCloseTo((93 / 255 - 0.2) / 0.5, 6);
    expect(b.x[0]).toBeCloseTo(-0.4, 6);
  });

  it('dropLast skips the short batch', () => {
    const it = new BatchIterator(dataset(), { batchSize: 3, seed: 1, dropLast: true, normalization: raw });
    expect(it.batchesPerEpoch).toBe(3);
    expect([...it.epochBatches()].map((b) => b.size)).toEqual([3, 3, 3]);
    expect(it.next().epoch).toBe(1);
  });

  it('shuffle: false keeps data set order every epoch', () => {
    const it = new BatchIterator(dataset(), { batchSize: 4, seed: 1, shuffle: false, normalization: raw });
    expect(ids(take(it, 6))).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9], [0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
  });

  it('same seed, same order over several epochs; another seed, another order; epochs reshuffle', () => {
    const a = ids(take(new BatchIterator(dataset(), { batchSize: 3, seed: 42, normalization: raw }), 12));
    const b = ids(take(new BatchIterator(dataset(), { batchSize: 3, seed: 42, normalization: raw }), 12));
    const c = ids(take(new BatchIterator(dataset(), { batchSize: 3, seed: 43, normalization: raw }), 12));
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
    const epochs = [0, 1, 2].map((e) => a.slice(4 * e, 4 * e + 4).flat());
    expect(epochs[1]).not.toEqual(epochs[0]);
    expect(epochs[2]).not.toEqual(epochs[1]);
  });

  it('resumes from a saved position (through JSON) with exactly the batches that would have followed', () => {
    for (const [seen, dropLast] of [[6, false], [4, false], [0, false], [5, true]] as const) {
      const opts = { batchSize: 3, seed: 9, dropLast, normalization: raw };
      const a = new BatchIterator(dataset(), opts);
      take(a, seen);
      const saved = JSON.stringify(a.position());
      const rest = take(a, 11);
      const b = new BatchIterator(dataset(), { ...opts, position: JSON.parse(saved) });
      const resumed = take(b, 11);
      expect(ids(resumed)).toEqual(ids(rest));
      expect(resumed.map((x) => [x.epoch, x.index])).toEqual(rest.map((x) => [x.epoch, x.index]));
      expect(resumed.map((x) => [...x.x])).toEqual(rest.map((x) => [...x.x]));
    }
  });

  it('epochBatches after a resume yields only the rest of that epoch', () => {
    const a = new BatchIterator(dataset(), { batchSize: 3, seed: 5, normalization: raw });
    take(a, 5); // epoch 0 (4 batches) + batch 0 of epoch 1
    const b = new BatchIterator(dataset(), { batchSize: 3, seed: 5, normalization: raw, position: a.position() });
    expect([...b.epochBatches()].map((x) => [x.epoch, x.index])).toEqual([[1, 1], [1, 2], [1, 3]]);
  });

  it('batchRng depends only on (seed, epoch, index), so resumed runs augment alike', () => {
    const a = new BatchIterator(dataset(), { batchSize: 3, seed: 5, normalization: raw });
    const b = new BatchIterator(dataset(), { batchSize: 3, seed: 5, normalization: raw });
    take(a, 3);
    expect(a.batchRng({ epoch: 2, index: 1 }).state()).toEqual(b.batchRng({ epoch: 2, index: 1 }).state());
    expect(a.batchRng({ epoch: 2, index: 1 }).state()).not.toEqual(a.batchRng({ epoch: 2, index: 2 }).state());
    expect(a.batchRng({ epoch: 2, index: 1 }, 'mixup').state()).not.toEqual(a.batchRng({ epoch: 2, index: 1 }).state());
  });

  it('refuses a position saved under other settings, or malformed', () => {
    const a = new BatchIterator(dataset(), { batchSize: 3, seed: 5, normalization: raw });
    const p = a.position();
    expectFbnetError(() => new BatchIterator(dataset(), { batchSize: 4, seed: 5, normalization: raw, position: p }), 'CHECKPOINT', 'batchSize was 3', 'is 4');
    expectFbnetError(() => new BatchIterator(dataset(11), { batchSize: 3, seed: 5, normalization: raw, position: p }), 'CHECKPOINT', 'count was 10');
    expectFbnetError(() => new BatchIterator(dataset(), { batchSize: 3, seed: 6, normalization: raw, position: p }), 'CHECKPOINT', 'seed');
    expectFbnetError(() => new BatchIterator(dataset(), { batchSize: 3, seed: 5, normalization: raw, position: { ...p, batch: 4 } }), 'CHECKPOINT', 'batch 4');
    expectFbnetError(
      () => new BatchIterator(dataset(), { batchSize: 3, seed: 5, normalization: raw, position: { ...p, epochRngState: [1, 2, 3] } }),
      'CHECKPOINT',
      'epochRngState',
    );
  });

  it('refuses settings that make no batch', () => {
    expectFbnetError(() => new BatchIterator(dataset(2), { batchSize: 3, seed: 0, dropLast: true, normalization: raw }), 'USAGE', 'no batch');
    expectFbnetError(() => new BatchIterator(dataset(), { batchSize: 0, seed: 0, normalization: raw }), 'USAGE', 'batchSize');
    expect(new BatchIterator(dataset(2), { batchSize: 3, seed: 0, normalization: raw }).next().size).toBe(2);
  });
});
