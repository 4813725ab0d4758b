import { z } from 'zod';
import { FbnetError, formatZodIssues, parseArchDef, rangeSpecSchema, type ArchDef, type BlockTuple, type RangeSpec } from '@fbnet/core';
import { parseRecipe, type TrainRecipe, type TrainRecipeInput } from '@fbnet/train';
import { encodeValue, encodingWidth, fromUnit, inRange, toUnit, type DimValue } from './range.ts';

/**
 * FBNetV3's joint search space (JointNAS, eq. 1: Ω = architectures × training recipes), as data.
 *
 * Architecture: input resolution, a stride-2 stem conv, stages of inverted-residual blocks
 * (per stage: output channels, depth, kernel size, expansion, optionally squeeze-excite), a
 * 1x1 head conv before the implicit pool + classifier — the V3 macro-architecture, per-stage.
 * Recipe: optimizer, initial lr, weight decay, mixup, dropout, stochastic depth, EMA, epochs.
 * Every dimension is a `RangeSpec` (float [log], int, choice), so a point of the space is a
 * plain record `{ "stage2.kernel": 5, "recipe.lr": 0.12, ... }`.
 */
const stageSchema = z
  .object({
    stride: z.number().int().positive(),
    channels: rangeSpecSchema,
    depth: rangeSpecSchema,
    kernel: rangeSpecSchema,
    expansion: rangeSpecSchema,
    se: rangeSpecSchema.optional(),
  })
  .strict();

/** Recipe dimensions the space may search; anything else is fixed by `fixedRecipe`. */
export const RECIPE_DIMENSIONS = ['optimizer', 'lr', 'weightDecay', 'mixup', 'dropout', 'dropPath', 'ema', 'epochs'] as const;
export type RecipeDimension = (typeof RECIPE_DIMENSIONS)[number];

export const jointSpaceSchema = z
  .object({
    version: z.literal(1),
    name: z.string(),
    description: z.string().optional(),
    input_channels: z.number().int().positive(),
    num_classes: z.number().int().positive(),
    /** Activation suffix of every op (mobile-vision: `_hs` h-swish, `_relu`). */
    act: z.enum(['hs', 'relu']).default('hs'),
    arch: z
      .object({
        resolution: rangeSpecSchema,
        stem: z.object({ channels: rangeSpecSchema, kernel: z.number().int().positive().default(3), stride: z.number().int().positive().default(2) }).strict(),
        stages: z.array(stageSchema).min(1),
        head: z.object({ channels: rangeSpecSchema }).strict(),
      })
      .strict(),
    recipe: z.partialRecord(z.enum(RECIPE_DIMENSIONS), rangeSpecSchema),
    /** Recipe fields that are not searched (batch size, momentum, label smoothing, augmentation, …). */
    fixedRecipe: z.record(z.string(), z.unknown()).default({}),
    /** EMA decay used when the `ema` dimension is on. */
    emaDecay: z.number().min(0).max(1).default(0.99),
    /**
     * `lr` is searched as an SGD-scale learning rate; adaptive optimizers take lr × this
     * factor (Adam-family rates are ~100x smaller), so one lr range serves every optimizer.
     */
    optimizerLrScale: z.record(z.string(), z.number().positive()).default({ sgd: 1, adam: 0.01, adamw: 0.01, rmsprop: 0.01 }),
    /**
     * The recipe a user would train with without searching (a value for every searched recipe
     * dimension, inside its range): SMAC's default configuration. A search preset's `horizon` step
     * trains the found arch with it next to the searched recipes, at the final training's length,
     * so a recipe tuned to the candidates' short schedule is not kept when the default does better.
     */
    defaultRecipe: z.partialRecord(z.enum(RECIPE_DIMENSIONS), z.union([z.number(), z.string(), z.boolean()])).optional(),
  })
  .strict();

export type JointSpace = z.infer<typeof jointSpaceSchema>;
export type JointSpaceInput = z.input<typeof jointSpaceSchema>;

/** One searched dimension. `key` names it in a point: `resolution`, `stem.channels`, `stage2.kernel`, `recipe.lr`, … */
export interface JointDimension {
  key: string;
  group: 'arch' | 'recipe';
  range: RangeSpec;
}

/** A point of the joint space: a value per dimension key. Plain data (jobs, events, checkpoints). */
export type JointPoint = Record<string, DimValue>;

export function parseJointSpace(input: unknown): JointSpace {
  const r = jointSpaceSchema.safeParse(input);
  if (!r.success) throw new FbnetError('SEARCH_SPACE_INVALID', `invalid joint search space: ${formatZodIssues(r.error)}`);
  const space = r.data;
  for (const d of jointDimensions(space)) {
    const bad = d.range.kind === 'float' && (d.range.min > d.range.max || (d.range.log && d.range.min <= 0));
    if (bad || (d.range.kind === 'int' && d.range.min > d.range.max)) throw new FbnetError('SEARCH_SPACE_INVALID', `invalid joint search space: ${d.key}: empty or non-positive log range`);
    if (d.group === 'arch' && d.range.kind === 'choice' && d.key !== 'se' && !d.key.endsWith('.se') && d.range.values.some((v) => typeof v !== 'number')) {
      throw new FbnetError('SEARCH_SPACE_INVALID', `invalid joint search space: ${d.key}: architecture choices must be numbers`);
    }
  }
  if (space.recipe.optimizer?.kind === 'choice') {
    for (const o of space.recipe.optimizer.values) {
      if (!['sgd', 'adam', 'adamw', 'rmsprop'].includes(String(o))) throw new FbnetError('SEARCH_SPACE_INVALID', `invalid joint search space: recipe.optimizer: unknown optimizer "${o}"`);
    }
  }
  if (space.defaultRecipe) {
    for (const d of jointDimensions(space).filter((x) => x.group === 'recipe')) {
      const k = d.key.slice('recipe.'.length) as RecipeDimension;
      const v = space.defaultRecipe[k];
      if (v === undefined) throw new FbnetError('SEARCH_SPACE_INVALID', `invalid joint search space: defaultRecipe lacks the searched dimension "${k}"`);
      if (!inRange(d.range, v)) throw new FbnetError('SEARCH_SPACE_INVALID', `invalid joint search space: defaultRecipe.${k} = ${JSON.stringify(v)} is outside its range`);
    }
    for (const k of Object.keys(space.defaultRecipe)) {
      if (!space.recipe[k as RecipeDimension]) throw new FbnetError('SEARCH_SPACE_INVALID', `invalid joint search space: defaultRecipe.${k} is not a searched dimension (fixed fields go in fixedRecipe)`);
    }
  }
  // Every corner of the space must give a valid arch def and recipe.
  for (const u of [0, 0.999999]) {
    const p = pointFromUnit(space, jointDimensions(space).map(() => u));
    parseArchDef(jointArch(space, p));
    jointRecipe(space, p);
  }
  return space;
}

/** The searched dimensions, architecture first, in a fixed order (the QMC coordinates follow it). */
export function jointDimensions(space: JointSpace): JointDimension[] {
  const a = space.arch;
  const dims: JointDimension[] = [
    { key: 'resolution', group: 'arch', range: a.resolution },
    { key: 'stem.channels', group: 'arch', range: a.stem.channels },
  ];
  a.stages.forEach((s, i) => {
    const p = `stage${i + 1}`;
    dims.push({ key: `${p}.channels`, group: 'arch', range: s.channels });
    dims.push({ key: `${p}.depth`, group: 'arch', range: s.depth });
    dims.push({ key: `${p}.kernel`, group: 'arch', range: s.kernel });
    dims.push({ key: `${p}.expansion`, group: 'arch', range: s.expansion });
    if (s.se) dims.push({ key: `${p}.se`, group: 'arch', range: s.se });
  });
  dims.push({ key: 'head.channels', group: 'arch', range: a.head.channels });
  for (const k of RECIPE_DIMENSIONS) {
    const r = space.recipe[k];
    if (r) dims.push({ key: `recipe.${k}`, group: 'recipe', range: r });
  }
  return dims;
}

/** A point from coordinates in [0, 1)^d (one per dimension, in `jointDimensions` order): the QMC map. */
export function pointFromUnit(space: JointSpace, u: readonly number[]): JointPoint {
  const dims = jointDimensions(space);
  if (u.length !== dims.length) throw new FbnetError('USAGE', `point needs ${dims.length} coordinates, got ${u.length}`);
  const p: JointPoint = {};
  dims.forEach((d, i) => (p[d.key] = roundFloat(fromUnit(d.range, u[i]))));
  return p;
}

/** Floats are kept to 4 significant digits: points stay readable and survive JSON unchanged. */
function roundFloat(v: DimValue): DimValue {
  return typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(4)) : v;
}

/** Throws naming the first dimension that is missing or out of range. */
export function checkPoint(space: JointSpace, p: JointPoint): void {
  for (const d of jointDimensions(space)) {
    if (!(d.key in p)) throw new FbnetError('USAGE', `point lacks dimension "${d.key}"`);
    if (!inRange(d.range, p[d.key])) throw new FbnetError('USAGE', `point: ${d.key} = ${JSON.stringify(p[d.key])} is outside its range`);
  }
}

const num = (p: JointPoint, k: string) => {
  const v = p[k];
  if (typeof v !== 'number') throw new FbnetError('USAGE', `point: ${k} must be a number, got ${JSON.stringify(v)}`);
  return v;
};

/** `p`'s architecture with the space's `defaultRecipe` (undefined when the space has none): a point of the space. */
export function withDefaultRecipe(space: JointSpace, p: JointPoint): JointPoint | undefined {
  if (!space.defaultRecipe) return undefined;
  const q: JointPoint = {};
  for (const d of jointDimensions(space)) q[d.key] = d.group === 'arch' ? p[d.key] : space.defaultRecipe[d.key.slice('recipe.'.length) as RecipeDimension]!;
  return q;
}

/** The arch def a point selects (mobile-vision JSON form). */
export function jointArch(space: JointSpace, p: JointPoint): ArchDef {
  const act = `_${space.act}`;
  const a = space.arch;
  const blocks: BlockTuple[][] = [[[`conv_k${a.stem.kernel}${act}`, num(p, 'stem.channels'), a.stem.stride, 1]]];
  a.stages.forEach((s, i) => {
    const k = `stage${i + 1}`;
    const se = s.se && p[`${k}.se`] === true ? '_se' : '';
    blocks.push([[`ir_k${num(p, `${k}.kernel`)}${se}${act}`, num(p, `${k}.channels`), s.stride, num(p, `${k}.depth`), { expansion: num(p, `${k}.expansion`) }]]);
  });
  blocks.push([[`conv_k1${act}`, num(p, 'head.channels'), 1, 1]]);
  return {
    name: space.name,
    input_size: num(p, 'resolution'),
    input_channels: space.input_channels,
    num_classes: space.num_classes,
    basic_args: { width_divisor: 1 },
    blocks,
  };
}

/** The training recipe a point selects: fixed fields, then the searched ones. */
export function jointRecipe(space: JointSpace, p: JointPoint): TrainRecipe {
  const r: Record<string, unknown> = { ...space.fixedRecipe };
  const get = (k: RecipeDimension) => (`recipe.${k}` in p ? p[`recipe.${k}`] : undefined);
  const optimizer = (get('optimizer') ?? r.optimizer ?? 'sgd') as TrainRecipeInput['optimizer'];
  r.optimizer = optimizer;
  const lr = get('lr');
  if (lr !== undefined) r.lr = Number(lr) * (space.optimizerLrScale[optimizer!] ?? 1);
  for (const k of ['weightDecay', 'mixup', 'dropout', 'dropPath', 'epochs'] as const) {
    const v = get(k);
    if (v !== undefined) r[k] = v;
  }
  const ema = get('ema');
  if (ema !== undefined) r.ema = typeof ema === 'boolean' ? (ema ? space.emaDecay : 0) : Number(ema);
  if (r.epochs === undefined) r.epochs = 1;
  return parseRecipe(r);
}

/** Width of the architecture / recipe encodings (the predictor's input sizes). */
export function encodingSizes(space: JointSpace): { arch: number; recipe: number } {
  let arch = 0, recipe = 0;
  for (const d of jointDimensions(space)) {
    if (d.group === 'arch') arch += encodingWidth(d.range);
    else recipe += encodingWidth(d.range);
  }
  return { arch, recipe: recipe + lrByOptimizerWidth(space) };
}

/** The optimizers whose lr gets its own features (a searched `optimizer` choice of 2+ values next to a searched `lr`). */
function lrOptimizers(space: JointSpace): string[] {
  const o = space.recipe.optimizer;
  return o && space.recipe.lr && o.kind === 'choice' && o.values.length > 1 ? o.values.map(String) : [];
}

const lrByOptimizerWidth = (space: JointSpace) => 2 * lrOptimizers(space).length;

/**
 * The recipe's encoding: every searched recipe dimension (see `encodePoint`), then — where the
 * optimizer and the learning rate are both searched — the lr's position u and u² once per
 * optimizer, zero for the others ("lr by optimizer"). Each optimizer has its own good lr range
 * (SGD's lr is not Adam's, even after `optimizerLrScale`), and accuracy peaks inside it; with a
 * few dozen trained candidates a predictor does not find that interaction from a one-hot and one
 * lr input. Measured on four sets of 96 trained fbnet-v3-fmnist candidates (4-fold CV,
 * benchmarks/v3-encoding.ts): held-out Kendall τ 0.53× → 0.78× the noise ceiling on average.
 */
export function encodeRecipe(space: JointSpace, p: JointPoint, dims: JointDimension[] = jointDimensions(space).filter((d) => d.group === 'recipe')): number[] {
  const recipe: number[] = [];
  for (const d of dims) encodeValue(d.range, p[d.key], recipe);
  const opts = lrOptimizers(space);
  if (opts.length) {
    const u = toUnit(space.recipe.lr!, p['recipe.lr'] as DimValue);
    const o = String(p['recipe.optimizer']);
    for (const v of opts) recipe.push(...(v === o ? [u, u * u] : [0, 0]));
  }
  return recipe;
}

/**
 * The predictor's inputs (FBNetV3 fig. 3 "architecture / recipe representation"):
 * ordinal dimensions as their position in [0, 1] (log position for log ranges),
 * categorical ones one-hot; the recipe part ends with its lr-by-optimizer features (`encodeRecipe`).
 */
export function encodePoint(space: JointSpace, p: JointPoint): { arch: number[]; recipe: number[] } {
  const arch: number[] = [];
  const dims = jointDimensions(space);
  for (const d of dims) if (d.group === 'arch') encodeValue(d.range, p[d.key], arch);
  return { arch, recipe: encodeRecipe(space, p, dims.filter((d) => d.group === 'recipe')) };
}

/** Canonical string of a point (sorted keys): equal points, equal keys. */
export function pointKey(p: JointPoint): string {
  return JSON.stringify(Object.keys(p).sort().map((k) => [k, p[k]]));
}

/** Only the architecture part of a point (its key identifies the network, whatever the recipe). */
export function archPart(space: JointSpace, p: JointPoint): JointPoint {
  const out: JointPoint = {};
  for (const d of jointDimensions(space)) if (d.group === 'arch') out[d.key] = p[d.key];
  return out;
}
