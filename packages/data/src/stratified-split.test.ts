import { describe, expect, it } from 'vitest';
import { classCounts, type ImageDataset } from './dataset.ts';
import { FBNET_WEIGHTS_THETA_FRACTIONS, selectClassBalanced, splitDataset, splitTrainVal, stratifiedPartition } from './stratified-split.ts';
import { expectFbnetError } from './test-helpers.ts';

/** Interleaved labels: 10 of class 0, 20 of class 1, 30 of class 2. */
function labels(): number[] {
  const out: number[] = [];
  for (let i = 0; i < 60; i++) out.push(i < 30 ? [1, 2][i % 2] : i < 40 ? 0 : i < 50 ? 2 : [1, 2][i % 2]);
  return out;
}

/** 1×1 images whose pixel is the sample's own index, so a split's pixels show which samples it took. */
function dataset(l: number[]): ImageDataset {
  return {
    images: Uint8Array.from(l, (_, i) => i),
    labels: Uint8Array.from(l),
    count: l.length,
    height: 1,
    width: 1,
    channels: 1,
    classNames: ['a', 'b', 'c'],
  };
}

describe('stratifiedPartition', () => {
  it('keeps the class mix in every part and partitions all indices', () => {
    const l = labels();
    expect(classCounts(l, 3)).toEqual([10, 20, 30]);
    const [a, b] = stratifiedPartition(l, 3, [0.8, 0.2], 7);
    expect(classCounts([...a].map((i) => l[i]), 3)).toEqual([8, 16, 24]);
    expect(classCounts([...b].map((i) => l[i]), 3)).toEqual([2, 4, 6]);
    expect([...a, ...b].sort((x, y) => x - y)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    for (const p of [a, b]) expect([...p]).toEqual([...p].sort((x, y) => x - y));
  });

  it('is deterministic by seed and changes with it', () => {
    const l = labels();
    const s1 = stratifiedPartition(l, 3, [0.5, 0.3, 0.2], 1);
    expect(stratifiedPartition(l, 3, [0.5, 0.3, 0.2], 1)).toEqual(s1);
    expect(stratifiedPartition(l, 3, [0.5, 0.3, 0.2], 2)[0]).not.toEqual(s1[0]);
  });

  it('cuts a class by largest remainder, ties to the earlier part', () => {
    // 3 samples at 50/50: quotas 1.5/1.5, the spare one goes to part 0.
    const [a, b] = stratifiedPartition([0, 0, 0], 1, [0.5, 0.5], 3);
    expect([a.length, b.length]).toEqual([2, 1]);
    // 10 samples at 0.25/0.35/0.4: quotas 2.5/3.5/4 → floors 2/3/4, spare to part 0 (tie, earlier).
    expect(stratifiedPartition(new Array(10).fill(0), 1, [0.25, 0.35, 0.4], 3).map((p) => p.length)).toEqual([3, 3, 4]);
  });

  it("a class's assignment does not depend on the other classes", () => {
    const l = labels();
    const more = [...l, 2, 2, 2, 1, 2];
    const [a] = stratifiedPartition(l, 3, [0.8, 0.2], 5);
    const [a2] = stratifiedPartition(more, 3, [0.8, 0.2], 5);
    const ofClass0 = (p: Int32Array) => [...p].filter((i) => l[i] === 0);
    expect(ofClass0(a2)).toEqual(ofClass0(a));
  });

  it('rejects fractions that do not sum to 1 or lie outside [0, 1]', () => {
    expectFbnetError(() => stratifiedPartition([0], 1, [0.7, 0.2], 0), 'USAGE', 'sum to 1');
    expectFbnetError(() => stratifiedPartition([0], 1, [1.5, -0.5], 0), 'USAGE', '[0, 1]');
    expectFbnetError(() => stratifiedPartition([0], 1, [], 0), 'USAGE', 'empty');
  });
});

describe('splitTrainVal / splitDataset', () => {
  it('splits a data set stratified, carrying each sample’s pixels with its label', () => {
    const ds = dataset(labels());
    const { train, val } = splitTrainVal(ds, { valFraction: 0.1, seed: 3 });
    expect(train.count + val.count).toBe(60);
    expect(classCounts(val.labels, 3)).toEqual([1, 2, 3]);
    for (const part of [train, val]) {
      for (let i = 0; i < part.count; i++) expect(part.labels[i]).toBe(ds.labels[part.images[i]]);
      expect(part.classNames).toEqual(ds.classNames);
    }
    expect(splitTrainVal(ds, { valFraction: 0.1, seed: 3 }).val.images).toEqual(val.images);
  });

  it("FBNet's 80/20 weights/θ split", () => {
    const [w, theta] = splitDataset(dataset(labels()), { fractions: FBNET_WEIGHTS_THETA_FRACTIONS, seed: 0 });
    expect([w.count, theta.count]).toEqual([48, 12]);
    expect(classCounts(theta.labels, 3)).toEqual([2, 4, 6]);
  });

  it('rejects a valFraction outside [0, 1]', () =>
    expectFbnetError(() => splitTrainVal(dataset([0]), { valFraction: 1.2, seed: 0 }), 'USAGE', 'valFraction'));
});

describe('selectClassBalanced', () => {
  it('takes exactly perClass of each class, ascending, deterministic by seed', () => {
    const l = labels();
    const idx = selectClassBalanced(l, 3, 7, 11);
    expect(idx.length).toBe(21);
    expect(classCounts([...idx].map((i) => l[i]), 3)).toEqual([7, 7, 7]);
    expect([...idx]).toEqual([...idx].sort((x, y) => x - y));
    expect(new Set(idx).size).toBe(21);
    expect(selectClassBalanced(l, 3, 7, 11)).toEqual(idx);
    expect(selectClassBalanced(l, 3, 7, 12)).not.toEqual(idx);
  });

  it('refuses to take more than a class holds', () =>
    expectFbnetError(() => selectClassBalanced(labels(), 3, 11, 0), 'USAGE', 'class 0 has 10'));
});
