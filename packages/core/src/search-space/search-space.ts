import { z } from 'zod';
import { FbnetError } from '../errors.ts';
import { formatZodIssues, parseArchDef, type ArchDef, type BlockTuple } from '../arch-def/arch-def.ts';
import type { Rng } from '../rng.ts';

/**
 * A search space is data: a macro-architecture (stages of fixed blocks and searchable
 * layers), per-layer candidate blocks (V1), channel and expansion choices (V2), candidate
 * input resolutions (V2) and training-recipe ranges (V3).
 */
export const rangeSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('float'), min: z.number(), max: z.number(), log: z.boolean().optional() }).strict(),
  z.object({ kind: z.literal('int'), min: z.number().int(), max: z.number().int() }).strict(),
  z.object({ kind: z.literal('choice'), values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1) }).strict(),
]);
export type RangeSpec = z.infer<typeof rangeSpecSchema>;

const candidateSchema = z.object({ op: z.string(), kwargs: z.record(z.string(), z.unknown()).optional() }).strict();
export type CandidateDef = z.infer<typeof candidateSchema>;

const searchableSchema = z
  .object({
    /** Output channels (the largest when `channels` is given). */
    c: z.number().int().positive(),
    s: z.number().int().positive(),
    /** Number of searchable layers this entry expands to (the first has stride s). */
    n: z.number().int().positive(),
    candidates: z.array(z.string()).min(1),
    /** V2 channel choices for these layers' outputs; max must equal c. */
    channels: z.array(z.number().int().positive()).min(1).optional(),
    /** V2 expansion choices for the inverted-residual candidates' mid width. */
    expansions: z.array(z.number().positive()).min(1).optional(),
  })
  .strict();

const stageEntrySchema = z.union([
  z.object({ fixed: z.array(z.unknown()).min(4) }).strict(),
  z.object({ searchable: searchableSchema }).strict(),
]);

export const searchSpaceSchema = z
  .object({
    version: z.literal(1),
    name: z.string(),
    description: z.string().optional(),
    input_size: z.number().int().positive(),
    input_channels: z.number().int().positive().default(3),
    num_classes: z.number().int().positive().default(1000),
    basic_args: z.object({ width_divisor: z.number().int().positive().default(1) }).strict().default({ width_divisor: 1 }),
    candidates: z.record(z.string(), candidateSchema),
    stages: z.array(z.array(stageEntrySchema).min(1)).min(1),
    resolutions: z.array(z.number().int().positive()).min(1).optional(),
    recipe: z.record(z.string(), rangeSpecSchema).optional(),
  })
  .strict();

export type SearchSpace = z.infer<typeof searchSpaceSchema>;

export interface SearchLayer {
  /** Index among searchable layers. */
  index: number;
  stage: number;
  c: number;
  s: number;
  candidates: string[];
  channels?: number[];
  expansions?: number[];
}

export type SpaceSlot = { kind: 'fixed'; stage: number; block: BlockTuple } | { kind: 'search'; stage: number; layer: SearchLayer };

/** Which option each searchable dimension takes. Indices into the layer's lists. */
export interface ArchChoice {
  ops: number[];
  channels?: number[];
  expansions?: number[];
  /** Index into `resolutions`. */
  resolution?: number;
}

export function parseSearchSpace(input: unknown): SearchSpace {
  let json = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (e) {
      throw new FbnetError('SEARCH_SPACE_INVALID', `invalid search space: not valid JSON (${(e as Error).message})`);
    }
  }
  const r = searchSpaceSchema.safeParse(json);
  if (!r.success) throw new FbnetError('SEARCH_SPACE_INVALID', `invalid search space: ${formatZodIssues(r.error)}`);
  const space = r.data;
  for (const slot of spaceSlots(space)) {
    if (slot.kind !== 'search') continue;
    const l = slot.layer;
    for (const c of l.candidates) {
      if (!space.candidates[c]) {
        throw new FbnetError('SEARCH_SPACE_INVALID', `invalid search space: layer ${l.index} (stage ${l.stage}) names unknown candidate "${c}"; defined: ${Object.keys(space.candidates).join(', ')}`);
      }
    }
    if (l.channels && Math.max(...l.channels) !== l.c) {
      throw new FbnetError('SEARCH_SPACE_INVALID', `invalid search space: layer ${l.index} (stage ${l.stage}): max of channels [${l.channels}] must equal c=${l.c}`);
    }
  }
  if (space.resolutions && Math.max(...space.resolutions) !== space.input_size) {
    throw new FbnetError('SEARCH_SPACE_INVALID', `invalid search space: max of resolutions [${space.resolutions}] must equal input_size=${space.input_size}`);
  }
  // Every block the space can produce must be a valid arch def: check the largest choice.
  parseArchDef(archFromChoice(space, { ops: searchLayers(space).map(() => 0) }));
  return space;
}

export function spaceSlots(space: SearchSpace): SpaceSlot[] {
  const out: SpaceSlot[] = [];
  let index = 0;
  space.stages.forEach((stage, si) => {
    for (const entry of stage) {
      if ('fixed' in entry) {
        out.push({ kind: 'fixed', stage: si, block: entry.fixed as BlockTuple });
      } else {
        const e = entry.searchable;
        for (let r = 0; r < e.n; r++) {
          out.push({
            kind: 'search',
            stage: si,
            layer: { index: index++, stage: si, c: e.c, s: r === 0 ? e.s : 1, candidates: e.candidates, channels: e.channels, expansions: e.expansions },
          });
        }
      }
    }
  });
  return out;
}

export function searchLayers(space: SearchSpace): SearchLayer[] {
  return spaceSlots(space).flatMap((s) => (s.kind === 'search' ? [s.layer] : []));
}

/** The block tuple of one candidate at a layer, with optional channel/expansion overrides. */
export function candidateBlock(space: SearchSpace, candidateId: string, c: number, s: number, expansion?: number): BlockTuple {
  const cand = space.candidates[candidateId];
  if (!cand) throw new FbnetError('SEARCH_SPACE_INVALID', `unknown candidate "${candidateId}"`);
  const kwargs = { ...(cand.kwargs ?? {}) };
  if (expansion !== undefined && cand.op !== 'skip' && !cand.op.startsWith('conv')) kwargs.expansion = expansion;
  return Object.keys(kwargs).length ? [cand.op, c, s, 1, kwargs] : [cand.op, c, s, 1];
}

/** Build the concrete arch def an `ArchChoice` selects. */
export function archFromChoice(space: SearchSpace, choice: ArchChoice): ArchDef {
  const layers = searchLayers(space);
  if (choice.ops.length !== layers.length) {
    throw new FbnetError('USAGE', `arch choice has ${choice.ops.length} op choices, the space has ${layers.length} searchable layers`);
  }
  const blocks: BlockTuple[][] = space.stages.map(() => []);
  for (const slot of spaceSlots(space)) {
    if (slot.kind === 'fixed') {
      blocks[slot.stage].push(slot.block);
      continue;
    }
    const l = slot.layer;
    const opIdx = choice.ops[l.index];
    if (!(opIdx >= 0 && opIdx < l.candidates.length)) throw new FbnetError('USAGE', `layer ${l.index}: op choice ${opIdx} out of range 0..${l.candidates.length - 1}`);
    const c = l.channels && choice.channels ? l.channels[choice.channels[l.index]] : l.c;
    const e = l.expansions && choice.expansions ? l.expansions[choice.expansions[l.index]] : undefined;
    if (c === undefined) throw new FbnetError('USAGE', `layer ${l.index}: channel choice out of range`);
    blocks[l.stage].push(candidateBlock(space, l.candidates[opIdx], c, l.s, e));
  }
  const inputSize = space.resolutions && choice.resolution !== undefined ? space.resolutions[choice.resolution] : space.input_size;
  return {
    name: `${space.name}:${choice.ops.join('')}`,
    input_size: inputSize,
    input_channels: space.input_channels,
    num_classes: space.num_classes,
    basic_args: { width_divisor: space.basic_args.width_divisor },
    blocks: blocks.filter((b) => b.length > 0),
  };
}

/** log10 of the number of distinct choices the space encodes. */
export function spaceSizeLog10(space: SearchSpace): number {
  let s = 0;
  for (const l of searchLayers(space)) {
    s += Math.log10(l.candidates.length);
    if (l.channels) s += Math.log10(l.channels.length);
    if (l.expansions) s += Math.log10(l.expansions.length);
  }
  if (space.resolutions) s += Math.log10(space.resolutions.length);
  return s;
}

/** Uniform random choice over the space. */
export function sampleChoice(space: SearchSpace, rng: Rng): ArchChoice {
  const layers = searchLayers(space);
  const choice: ArchChoice = { ops: layers.map((l) => rng.int(l.candidates.length)) };
  if (layers.some((l) => l.channels)) choice.channels = layers.map((l) => (l.channels ? rng.int(l.channels.length) : 0));
  if (layers.some((l) => l.expansions)) choice.expansions = layers.map((l) => (l.expansions ? rng.int(l.expansions.length) : 0));
  if (space.resolutions) choice.resolution = rng.int(space.resolutions.length);
  return choice;
}
