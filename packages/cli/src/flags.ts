import { parseArgs } from 'node:util';
import { z } from 'zod';
import { FbnetError } from '@fbnet/core';

/**
 * Command-line grammar shared by every command: each flag is a zod schema over its raw text
 * (or boolean), a command's flags form one `z.object`, and the whole command line is checked
 * before the command loads TF.js or touches a file, so a typo costs a fraction of a second and
 * always ends as a USAGE error (exit 2) that names the flag.
 *
 * This module stays light on purpose (node:util, zod, core): `main` parses with it before it
 * imports a command's implementation.
 */
export interface FlagDef<S extends z.ZodType = z.ZodType> {
  type: 'string' | 'boolean';
  schema: S;
  /** What a valid value looks like, for the error ("a positive integer"). */
  expects: string;
}

export type FlagDefs = Record<string, FlagDef>;
export type FlagValues<D extends FlagDefs> = { [K in keyof D]: z.output<D[K]['schema']> };

export interface Grammar<D extends FlagDefs> {
  flags: D;
  /** Positional argument names in order; a trailing `?` marks an optional one (`'file?'`). */
  args?: readonly string[];
  /** Rules across flags (exclusive flags, flags that apply to one variant); throw `usage(...)`. */
  check?(flags: FlagValues<D>, args: string[]): void;
}

export interface CommandLine<D extends FlagDefs> {
  flags: FlagValues<D>;
  args: string[];
}

/** A usage error (exit 2): why, then the command's usage. */
export function usage(why: string): FbnetError {
  return new FbnetError('USAGE', why);
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)(e[+-]?\d+)?$/i;

/** A flag that takes a value; `.required()` and `.default(v)` make the variants. */
function valued<T>(expects: string, value: z.ZodType<T, string>) {
  return {
    type: 'string' as const,
    expects,
    schema: value.optional(),
    required: (): FlagDef<z.ZodType<T, string>> => ({ type: 'string', expects, schema: value }),
    default: (d: T): FlagDef<z.ZodType<T, string | undefined>> => ({
      type: 'string',
      expects,
      schema: value.optional().transform((v) => (v === undefined ? d : v)),
    }),
  };
}

function numeric(expects: string, ok: (n: number) => boolean) {
  return valued(expects, z.string().refine((s) => NUMBER.test(s.trim()) && ok(Number(s))).transform(Number));
}

/** Flag constructors; every one yields `undefined` when the flag is absent unless `.default()` is used. */
export const flag = {
  bool: (): FlagDef<z.ZodOptional<z.ZodBoolean>> => ({
    type: 'boolean',
    expects: 'no value',
    schema: z.boolean().optional(),
  }),
  text: (expects = 'a value') => valued(expects, z.string().min(1)),
  /** A file or directory path (existence is the command's business: it names the file when it fails). */
  path: () => valued('a path', z.string().min(1)),
  positiveInt: () => numeric('a positive integer', (n) => Number.isInteger(n) && n > 0),
  /** A count that may be 0 (e.g. `--calibration 0`: no calibration archs). */
  count: () => numeric('an integer >= 0', (n) => Number.isInteger(n) && n >= 0),
  positiveNumber: () => numeric('a positive number', (n) => Number.isFinite(n) && n > 0),
  /** A seed: the RNG takes 32-bit unsigned integers (splitmix32 seeding). */
  seed: () => numeric('an integer from 0 to 4294967295', (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff),
  port: () => numeric('a port number 0..65535', (n) => Number.isInteger(n) && n >= 0 && n <= 65535),
  oneOf: <const T extends readonly [string, ...string[]]>(choices: T) =>
    valued(`one of ${choices.join(', ')}`, z.enum(choices)),
  /** A comma-separated list whose items are each one of `choices`. */
  listOf: <const T extends readonly [string, ...string[]]>(choices: T) =>
    valued(
      `a comma-separated list of ${choices.join(', ')}`,
      z.string().transform((s) => s.split(',').map((x) => x.trim())).pipe(z.array(z.enum(choices)).min(1)),
    ),
  /** A Redis URL for the BullMQ queues. */
  redisUrl: () => valued('a redis://host:port URL', z.string().regex(/^rediss?:\/\/[^\s/]+/)),
};

/** `--json`: every command takes it (machine output, the last stdout line is one JSON object). */
export const JSON_FLAG = { json: flag.bool() };

/**
 * Parse and validate a command line: unknown flags, flags without a value, values given to
 * switches, missing or stray positional arguments and invalid values are USAGE errors naming
 * the flag or argument.
 */
export function parseCommandLine<D extends FlagDefs>(argv: string[], g: Grammar<D>): CommandLine<D> {
  const options = Object.fromEntries(Object.entries(g.flags).map(([k, d]) => [k, { type: d.type }]));
  // Non-strict tokens so every mistake gets a message in our words (node's strict mode also reads `--epochs -1` as
  // a missing value).
  const { tokens } = parseArgs({ args: argv, options, strict: false, allowPositionals: true, tokens: true });
  const raw: Record<string, string | boolean> = {};
  const args: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'positional') args.push(t.value);
    if (t.kind !== 'option') continue;
    const def = Object.hasOwn(g.flags, t.name) ? g.flags[t.name] : undefined;
    if (!def) {
      const known = Object.keys(g.flags).map((k) => `--${k}`).join(', ');
      throw usage(`unknown flag ${t.rawName}; known: ${known}`);
    }
    if (def.type === 'boolean') {
      if (t.value !== undefined) throw usage(`${t.rawName} takes no value, got "${t.value}"`);
      raw[t.name] = true;
    } else {
      const missing = t.value === undefined || (!t.inlineValue && t.value.startsWith('--'));
      if (missing) throw usage(`${t.rawName} needs a value`);
      raw[t.name] = t.value;
    }
  }
  const names = g.args ?? [];
  const required = names.filter((n) => !n.endsWith('?')).length;
  if (args.length < required) throw usage(`missing <${names[args.length].replace(/\?$/, '')}>`);
  if (args.length > names.length) throw usage(`unexpected argument "${args[names.length]}"`);

  const schema = z.object(Object.fromEntries(Object.entries(g.flags).map(([k, d]) => [k, d.schema])));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => {
      const k = String(i.path[0]);
      const def = g.flags[k];
      return raw[k] === undefined ? `--${k} is required` : `--${k} must be ${def.expects}, got "${raw[k]}"`;
    });
    throw usage([...new Set(problems)].join('; '));
  }
  const flags = parsed.data as FlagValues<D>;
  g.check?.(flags, args);
  return { flags, args };
}

/**
 * A command with subcommands (`lut measure`, `bench train`): the first argument picks the grammar,
 * and each subcommand has its own flags.
 */
export function parseSubcommand<G extends Record<string, Grammar<FlagDefs>>>(
  argv: string[],
  grammars: G,
): { [K in keyof G]: { sub: K } & CommandLine<G[K]['flags']> }[keyof G] {
  const [sub, ...rest] = argv;
  const known = Object.keys(grammars).join(', ');
  if (sub === undefined || sub.startsWith('-')) throw usage(`missing subcommand (${known})`);
  if (!Object.hasOwn(grammars, sub)) throw usage(`unknown subcommand "${sub}"; known: ${known}`);
  return { sub, ...parseCommandLine(rest, grammars[sub]) } as never;
}
