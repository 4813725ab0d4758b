import { z } from 'zod';
import { ArchDefError, FbnetError } from '../errors.ts';
import { checkDwArgs, isPlainObject, KNOWN_KWARGS, KWARG_RULES, mergeKwargs, type BlockKwargs, type KwargName } from './kwargs.ts';
import { OPS } from './ops.ts';

/** `[op, out_channels, stride, repeat, ...kwarg dicts]` */
export type BlockTuple = [string, number, number, number, ...Record<string, unknown>[]];

/** The JSON form of a mobile-vision arch def, with defaults filled in. */
export interface ArchDef {
  name?: string;
  input_size: number;
  input_channels: number;
  num_classes: number;
  basic_args: { width_divisor: number };
  blocks: BlockTuple[][];
  meta?: Record<string, unknown>;
}

/** One block of a stage after validation: typed fields, merged kwargs. */
export interface ParsedBlock {
  stage: number;
  block: number;
  op: string;
  outChannels: number;
  stride: number;
  repeat: number;
  kwargs: BlockKwargs;
}

const topLevel = z
  .object({
    name: z.string().optional(),
    input_size: z.number().int().positive(),
    input_channels: z.number().int().positive().default(3),
    num_classes: z.number().int().positive().default(1000),
    basic_args: z
      .object({ width_divisor: z.number().int().positive().default(1) })
      .strict()
      .default({ width_divisor: 1 }),
    blocks: z.array(z.array(z.unknown())).min(1),
    meta: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export function formatZodIssues(error: z.ZodError, max = 6): string {
  const lines = error.issues.map((i) => {
    const path = i.path.length ? i.path.join('.') : '(root)';
    return i.code === 'unrecognized_keys' ? `${path}: unknown field(s) ${(i as { keys: string[] }).keys.map((k) => `"${k}"`).join(', ')}` : `${path}: ${i.message}`;
  });
  // A file from another version fails the same way in every entry: name a few, count the rest.
  const shown = lines.slice(0, max).join('; ');
  return lines.length > max ? `${shown}; … and ${lines.length - max} more` : shown;
}

function parseBlock(raw: unknown, stage: number, block: number): ParsedBlock {
  const loc = (field?: string) => ({ stage, block, field });
  if (!Array.isArray(raw)) throw new ArchDefError('a block must be an array [op, c, s, n, ...kwargs]', loc());
  if (raw.length < 4) throw new ArchDefError(`a block needs at least [op, c, s, n], got ${raw.length} element(s)`, loc());
  const [op, c, s, n, ...rest] = raw as unknown[];
  if (typeof op !== 'string') throw new ArchDefError('op must be a string', loc('op'));
  if (!OPS.has(op)) {
    throw new ArchDefError(`unknown op "${op}"; known ops: ${OPS.keys().sort().join(', ')}`, loc('op'));
  }
  if (!Number.isInteger(c) || (c as number) <= 0) throw new ArchDefError(`out_channels must be a positive integer, got ${JSON.stringify(c)}`, loc('out_channels'));
  if (!Number.isInteger(s) || (s as number) <= 0) throw new ArchDefError(`stride must be a positive integer, got ${JSON.stringify(s)}`, loc('stride'));
  if (!Number.isInteger(n) || (n as number) < 0) throw new ArchDefError(`repeat must be a non-negative integer, got ${JSON.stringify(n)}`, loc('repeat'));
  rest.forEach((kw, i) => {
    if (!isPlainObject(kw)) throw new ArchDefError(`kwargs entry ${i} must be an object, got ${JSON.stringify(kw)}`, loc(`kwargs[${i}]`));
  });
  const merged = mergeKwargs(rest as Record<string, unknown>[]);
  const def = OPS.get(op);
  for (const [k, v] of Object.entries(merged)) {
    if (!(KNOWN_KWARGS as readonly string[]).includes(k)) {
      throw new ArchDefError(`unknown kwarg "${k}"; known: ${KNOWN_KWARGS.join(', ')}`, loc(k));
    }
    const name = k as KwargName;
    if (!def.accepts.includes(name) && !def.ignores.includes(name)) {
      throw new ArchDefError(`kwarg "${k}" does not apply to op "${op}" (it takes: ${def.accepts.join(', ') || 'none'})`, loc(k));
    }
    if (name === 'dw_args') {
      const bad = checkDwArgs(v);
      if (bad) throw new ArchDefError(bad[1], loc(bad[0]));
    } else {
      const problem = KWARG_RULES[name].check(v);
      if (problem) throw new ArchDefError(`${problem}, got ${JSON.stringify(v)}`, loc(k));
    }
  }
  for (const k of def.ignores) delete merged[k];
  return { stage, block, op, outChannels: c as number, stride: s as number, repeat: n as number, kwargs: merged as BlockKwargs };
}

/**
 * Parse and validate an arch def (object or JSON text). Errors name the stage, the block
 * index within the stage and the field at fault.
 */
export function parseArchDef(input: unknown): ArchDef {
  let json = input;
  if (typeof input === 'string') {
    try {
      json = JSON.parse(input);
    } catch (e) {
      throw new FbnetError('ARCH_DEF_INVALID', `invalid arch def: not valid JSON (${(e as Error).message})`);
    }
  }
  const r = topLevel.safeParse(json);
  if (!r.success) throw new FbnetError('ARCH_DEF_INVALID', `invalid arch def: ${formatZodIssues(r.error)}`);
  const def = r.data;
  def.blocks.forEach((stage, si) => stage.forEach((b, bi) => parseBlock(b, si, bi)));
  return def as ArchDef;
}

/** The validated blocks of every stage, kwargs merged. */
export function archBlocks(def: ArchDef): ParsedBlock[] {
  const out: ParsedBlock[] = [];
  def.blocks.forEach((stage, si) => stage.forEach((b, bi) => out.push(parseBlock(b, si, bi))));
  return out;
}
