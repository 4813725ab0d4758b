import { describe, expect, it } from 'vitest';
import { parseArchDef } from '@fbnet/core';
import { archCost } from '@fbnet/shape-propagation';
import { Rng } from '@fbnet/core';
import { archPart, checkPoint, encodePoint, encodingSizes, jointArch, jointDimensions, jointRecipe, parseJointSpace, pointFromUnit, pointKey, withDefaultRecipe } from './joint-space.ts';
import { getJointSpacePreset } from './presets.ts';
import { resizeDataset } from './resize.ts';

describe('joint architecture + recipe space', () => {
  const space = getJointSpacePreset('fbnet-v3-fmnist');

  it('lists every searched dimension, architecture first, recipe last', () => {
    const dims = jointDimensions(space);
    expect(dims.map((d) => d.key).slice(0, 3)).toEqual(['resolution', 'stem.channels', 'stage1.channels']);
    expect(dims.filter((d) => d.group === 'recipe').map((d) => d.key)).toEqual(['recipe.optimizer', 'recipe.lr', 'recipe.weightDecay', 'recipe.mixup', 'recipe.dropout', 'recipe.dropPath', 'recipe.ema']);
    expect(dims).toHaveLength(2 + 4 * 4 + 2 + 1 + 7);
  });

  it('fixes the schedule length (no epochs dimension, as FBNetV3); the legacy space still searches it', () => {
    expect(jointDimensions(space).some((d) => d.key === 'recipe.epochs')).toBe(false);
    const legacy = getJointSpacePreset('fbnet-v3-fmnist-epochs');
    const keys = jointDimensions(legacy).map((d) => d.key);
    expect(keys.filter((k) => k !== 'recipe.epochs')).toEqual(jointDimensions(space).map((d) => d.key));
    expect(legacy.recipe.epochs).toEqual({ kind: 'int', min: 4, max: 10 });
    // One int dimension less: one encoding value less, the arch part unchanged.
    expect(encodingSizes(legacy)).toEqual({ arch: encodingSizes(space).arch, recipe: encodingSizes(space).recipe + 1 });
  });

  it('accepts a space that searches only some recipe dimensions; the rest come from fixedRecipe', () => {
    const s = parseJointSpace({ ...getJointSpacePreset('fbnet-v3-tiny'), recipe: { lr: { kind: 'float', min: 0.01, max: 0.1 } }, fixedRecipe: { epochs: 3, optimizer: 'adam' } });
    expect(jointDimensions(s).filter((d) => d.group === 'recipe').map((d) => d.key)).toEqual(['recipe.lr']);
    const r = jointRecipe(s, pointFromUnit(s, jointDimensions(s).map(() => 0.5)));
    expect(r.epochs).toBe(3);
    expect(r.optimizer).toBe('adam');
    // lr at the middle of 0.01–0.1, times Adam's lr scale (0.01).
    expect(r.lr).toBeCloseTo(0.055 * 0.01, 8);
  });

  it('maps unit coordinates to valid arch defs and recipes; encodings have the advertised widths', () => {
    const rng = new Rng(1);
    const sizes = encodingSizes(space);
    for (let i = 0; i < 50; i++) {
      const p = pointFromUnit(space, jointDimensions(space).map(() => rng.next()));
      checkPoint(space, p);
      const arch = parseArchDef(jointArch(space, p));
      expect(arch.input_size).toBe(p.resolution);
      expect(archCost(arch).flops).toBeGreaterThan(0);
      const r = jointRecipe(space, p);
      expect(r.epochs).toBe(6);
      const e = encodePoint(space, p);
      expect(e.arch).toHaveLength(sizes.arch);
      expect(e.recipe).toHaveLength(sizes.recipe);
      for (const x of [...e.arch, ...e.recipe]) expect(x >= 0 && x <= 1).toBe(true);
    }
  });

  it('builds the V3 block list: stem, one IR entry per stage (depth = repeat, SE by flag), 1x1 head', () => {
    const p = pointFromUnit(space, jointDimensions(space).map(() => 0.99));
    const a = jointArch(space, p);
    expect(a.blocks[0]).toEqual([['conv_k3_hs', 16, 2, 1]]);
    expect(a.blocks[2]).toEqual([['ir_k5_hs', 32, 2, 3, { expansion: 6 }]]);
    expect(a.blocks[3]).toEqual([['ir_k5_se_hs', 48, 2, 3, { expansion: 6 }]]);
    expect(a.blocks.at(-1)).toEqual([['conv_k1_hs', 128, 1, 1]]);
  });

  it('ends the recipe encoding with lr-by-optimizer features: u and u² in the chosen optimizer\'s slot, zeros elsewhere', () => {
    const base = pointFromUnit(space, jointDimensions(space).map(() => 0.5));
    // lr 0.08 on the log range [0.01, 0.8]: u = ln(8) / ln(80), computed here by hand.
    const u = Math.log(8) / Math.log(80);
    const p = { ...base, 'recipe.optimizer': 'adam', 'recipe.lr': 0.08 };
    const e = encodePoint(space, p);
    expect(encodingSizes(space).recipe).toBe(4 + 1 + 1 + 1 + 1 + 1 + 1 + 2 * 4);
    expect(e.recipe.slice(0, 4)).toEqual([0, 0, 1, 0]); // sgd, rmsprop, adam, adamw
    expect(e.recipe[4]).toBeCloseTo(u, 12);
    const tail = e.recipe.slice(-8);
    [0, 0, 0, 0, u, u * u, 0, 0].forEach((x, i) => expect(tail[i]).toBeCloseTo(x, 12));
    // A space with one optimizer (or no searched lr) gets no such features.
    const sgdOnly = parseJointSpace({ ...space, recipe: { ...space.recipe, optimizer: { kind: 'choice', values: ['sgd'] } } });
    expect(encodingSizes(sgdOnly).recipe).toBe(1 + 1 + 1 + 1 + 1 + 1 + 1);
    expect(encodePoint(sgdOnly, { ...p, 'recipe.optimizer': 'sgd' }).recipe).toHaveLength(7);
  });

  it('scales lr for adaptive optimizers, maps EMA on/off to a decay', () => {
    const base = pointFromUnit(space, jointDimensions(space).map(() => 0.5));
    expect(jointRecipe(space, { ...base, 'recipe.optimizer': 'sgd', 'recipe.lr': 0.2 }).lr).toBeCloseTo(0.2, 12);
    expect(jointRecipe(space, { ...base, 'recipe.optimizer': 'adam', 'recipe.lr': 0.2 }).lr).toBeCloseTo(0.002, 12);
    expect(jointRecipe(space, { ...base, 'recipe.ema': true }).ema).toBe(0.95);
    expect(jointRecipe(space, { ...base, 'recipe.ema': false }).ema).toBe(0);
  });

  it('rejects bad spaces and points with messages that name the field', () => {
    expect(() => parseJointSpace({ ...space, recipe: { ...space.recipe, optimizer: { kind: 'choice', values: ['lion'] } } })).toThrow(/unknown optimizer "lion"/);
    expect(() => parseJointSpace({ ...space, arch: { ...space.arch, stages: [] } })).toThrow(/arch\.stages/);
    const p = pointFromUnit(space, jointDimensions(space).map(() => 0.5));
    expect(() => checkPoint(space, { ...p, 'stage2.kernel': 7 })).toThrow(/stage2\.kernel = 7/);
    const { resolution: _r, ...rest } = p;
    expect(() => checkPoint(space, rest)).toThrow(/lacks dimension "resolution"/);
  });

  it('a default recipe (V1\'s, at batch 32) turns any point into the same arch with that recipe; it must cover the searched dimensions in range', () => {
    const p = pointFromUnit(space, jointDimensions(space).map(() => 0.3));
    const q = withDefaultRecipe(space, p)!;
    checkPoint(space, q);
    expect(archPart(space, q)).toEqual(archPart(space, p));
    expect(jointArch(space, q)).toEqual(jointArch(space, p));
    const r = jointRecipe(space, q);
    expect([r.optimizer, r.lr, r.weightDecay, r.mixup, r.dropout, r.dropPath, r.ema, r.batchSize, r.epochs]).toEqual(['sgd', 0.05, 5e-5, 0, 0, 0, 0.95, 32, 6]);
    expect(withDefaultRecipe(getJointSpacePreset('fbnet-v3-tiny'), pointFromUnit(getJointSpacePreset('fbnet-v3-tiny'), jointDimensions(getJointSpacePreset('fbnet-v3-tiny')).map(() => 0.5)))).toBeUndefined();
    const d = space.defaultRecipe!;
    const { mixup: _m, ...noMixup } = d;
    expect(() => parseJointSpace({ ...space, defaultRecipe: noMixup })).toThrow(/defaultRecipe lacks the searched dimension "mixup"/);
    expect(() => parseJointSpace({ ...space, defaultRecipe: { ...d, lr: 2 } })).toThrow(/defaultRecipe\.lr = 2 is outside its range/);
    expect(() => parseJointSpace({ ...space, defaultRecipe: { ...d, optimizer: 'lion' } })).toThrow(/defaultRecipe\.optimizer = "lion" is outside its range/);
    expect(() => parseJointSpace({ ...space, defaultRecipe: { ...d, epochs: 6 } })).toThrow(/defaultRecipe\.epochs is not a searched dimension/);
    // The legacy space searches epochs: its default names the fixed schedule's 6.
    expect(jointRecipe(getJointSpacePreset('fbnet-v3-fmnist-epochs'), withDefaultRecipe(getJointSpacePreset('fbnet-v3-fmnist-epochs'), p)!).epochs).toBe(6);
  });

  it('point keys ignore key order', () => {
    expect(pointKey({ a: 1, b: 'x' })).toBe(pointKey({ b: 'x', a: 1 }));
  });
});

describe('resizeDataset', () => {
  it('shrinks by area averaging', () => {
    const images = Uint8Array.from([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120, 130, 140, 150]);
    const ds = { images, labels: Uint8Array.from([3]), count: 1, height: 4, width: 4, channels: 1, classNames: ['a'] };
    const r = resizeDataset(ds, 2);
    // each output pixel is the mean of a 2x2 block
    expect(Array.from(r.images)).toEqual([25, 45, 105, 125]);
    expect(r.height).toBe(2);
    const r3 = resizeDataset(ds, 3);
    expect(r3.images.length).toBe(9);
    // pixel (0,0) covers [0, 4/3)²: weights 3/4 and 1/4 per axis → 0.1875·10 + 0.1875·40 + 0.0625·50 = 12.5
    expect(Math.abs(r3.images[0] - 12.5)).toBeLessThanOrEqual(0.5);
  });
});
