import { z } from 'zod';
import { FbnetError, formatZodIssues, searchSpaceSchema, type BlockSpec, type DeviceFingerprint, type SearchSpace } from '@fbnet/core';
import { entryKey, entryOpType, type EntryConfig, type Hwc } from './block-key.ts';

/** Version of the LUT file format; a table with another version is refused with its version named. */
export const LUT_FORMAT_VERSION = 1;
export const LUT_KIND = 'fbnet-latency-lut';

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
const ms = z.number().finite().nonnegative();
const hwc = z.tuple([posInt, posInt, posInt]);
const activation = z.enum(['relu', 'hswish', 'none']);

const convNodeSchema = z
  .object({
    kind: z.literal('conv'),
    name: z.string(),
    inChannels: posInt,
    outChannels: posInt,
    kernel: posInt,
    stride: posInt,
    padding: z.tuple([nonNegInt, nonNegInt]),
    groups: posInt,
    bias: z.boolean(),
    bn: z.boolean(),
    act: activation,
    zeroGamma: z.boolean(),
  })
  .strict();
const nodeSchema = z.discriminatedUnion('kind', [
  convNodeSchema,
  z.object({ kind: z.literal('shuffle'), name: z.string(), channels: posInt, groups: posInt }).strict(),
  z.object({ kind: z.literal('se'), name: z.string(), channels: posInt, midChannels: posInt, act: activation, gate: z.enum(['sigmoid', 'hsigmoid']) }).strict(),
  z.object({ kind: z.literal('gpool'), name: z.string(), channels: posInt }).strict(),
]);
export const blockSpecSchema = z
  .object({ op: z.string(), inChannels: posInt, outChannels: posInt, stride: posInt, residual: z.boolean(), nodes: z.array(nodeSchema) })
  .strict();

/** Distribution of one entry's forward time at batch 1, in milliseconds. */
const statsShape = {
  /**
   * What this entry adds to a net's latency — the number LAT(a) sums. Timed inside nets: its
   * share of a typical (median) whole-net iteration; timed alone: the median, plus for the
   * head the net's one read-back.
   */
  ms,
  /** Median of the entry's own step time (read-back not included). */
  medianMs: ms,
  p10Ms: ms,
  p90Ms: ms,
  samples: posInt,
  /** Median time of the read-back alone (`await data()` of the result), subtracted above. */
  syncMs: ms,
  /**
   * Timed in lockstep (`timing.context: 'lockstep'`): the factor the entry's share was scaled by
   * so that its context arch's entries add up to that net's `Net.forward` median in the same round.
   */
  netScale: z.number().finite().positive().optional(),
};

export const lutEntrySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('input'), key: z.string(), opType: z.string(), input: hwc, ...statsShape }).strict(),
  z.object({ kind: z.literal('block'), key: z.string(), opType: z.string(), input: hwc, output: hwc, spec: blockSpecSchema, ...statsShape }).strict(),
  z.object({ kind: z.literal('head'), key: z.string(), opType: z.string(), input: hwc, numClasses: posInt, ...statsShape }).strict(),
]);

export const deviceFingerprintSchema = z
  .object({
    cpuModel: z.string(),
    cores: nonNegInt,
    os: z.string(),
    runtime: z.string(),
    backend: z.string(),
    backendVersion: z.string(),
    planHash: z.string(),
    /** Browsers: the user agent string (also in `runtime`), GPU adapter, etc. */
    extra: z.record(z.string(), z.string()).optional(),
  })
  .strict();

export const timingSchema = z
  .object({
    method: z.literal('tinybench'),
    batch: z.literal(1),
    timeMs: z.number().positive(),
    warmupMs: z.number().nonnegative(),
    minSamples: posInt,
    warmupSamples: nonNegInt,
    /** Interleaved rounds per entry (the quietest round's median is kept). */
    rounds: posInt,
    /**
     * More rounds, up to this many, while the two quietest round medians differ by more than
     * `agreement` (relative): on a loaded machine an entry is only done once its floor repeats.
     */
    maxRounds: posInt,
    agreement: z.number().positive(),
    /**
     * `net`: every entry timed as a step of a whole net (context archs, see context-plan.ts);
     * `isolated`: each entry timed alone in a loop (warmer caches: the block sum runs low);
     * `lockstep`: as `net`, and every iteration also runs the context arch as a whole `Net.forward`
     * (alternately before and after the step-by-step run); its entries are scaled to add up to
     * the `Net.forward` median of the same round.
     */
    context: z.enum(['net', 'isolated', 'lockstep']),
  })
  .strict();

const sourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('space'), name: z.string(), hash: z.string(), space: searchSpaceSchema }).strict(),
  z.object({ kind: z.literal('archs'), hash: z.string(), archs: z.array(z.unknown()).min(1) }).strict(),
]);

const fitSchema = z.object({ mape: z.number(), within10: z.number(), kendallTau: z.number() }).strict();

/**
 * Correction of the plain block sum to whole-net latency, fitted by least squares on
 * calibration archs (see correction.ts): LAT'(a) = offsetMs + scale * Σ_e w(type(e)) LAT(e).
 */
export const correctionSchema = z
  .object({
    model: z.enum(['none', 'offset', 'affine', 'per-op']),
    offsetMs: z.number().finite(),
    scale: z.number().finite().positive(),
    /** Per-op-type multipliers (`per-op` model); a type not listed has weight 1. */
    opWeights: z.record(z.string(), z.number().finite()),
    calibration: z
      .object({
        samples: posInt,
        seed: z.number().int(),
        /** Leave-one-out error of each candidate model on the calibration set; the lowest was chosen. */
        looMape: z.record(z.string(), z.number()),
        plain: fitSchema,
        corrected: fitSchema,
      })
      .strict(),
    fittedAt: z.string(),
  })
  .strict();

export const latencyTableSchema = z
  .object({
    kind: z.literal(LUT_KIND),
    version: z.literal(LUT_FORMAT_VERSION),
    createdAt: z.string(),
    updatedAt: z.string(),
    device: deviceFingerprintSchema,
    timing: timingSchema,
    sources: z.array(sourceSchema),
    entries: z.array(lutEntrySchema),
    correction: correctionSchema.optional(),
    /** Wall-clock seconds spent measuring, summed over resumed runs. */
    measureSec: z.number().nonnegative().optional(),
  })
  .strict();

export type LutEntry = z.infer<typeof lutEntrySchema>;
export type LutDevice = z.infer<typeof deviceFingerprintSchema> & DeviceFingerprint;
export type LutTiming = z.infer<typeof timingSchema>;
export type LutSourceRecord = z.infer<typeof sourceSchema>;
export type LutCorrection = z.infer<typeof correctionSchema>;
export type LatencyTable = Omit<z.infer<typeof latencyTableSchema>, 'sources'> & {
  sources: (Exclude<LutSourceRecord, { kind: 'space' }> | (Extract<LutSourceRecord, { kind: 'space' }> & { space: SearchSpace }))[];
};

export type EntryStats = Pick<LutEntry, 'ms' | 'medianMs' | 'p10Ms' | 'p90Ms' | 'samples' | 'syncMs'> & { netScale?: number };

/** The config an entry describes (to recompute its key). */
export function entryConfig(e: LutEntry): EntryConfig {
  switch (e.kind) {
    case 'input':
      return { kind: 'input', input: e.input as Hwc };
    case 'head':
      return { kind: 'head', input: e.input as Hwc, numClasses: e.numClasses };
    case 'block':
      return { kind: 'block', input: e.input as Hwc, spec: e.spec as BlockSpec };
  }
}

export function makeEntry(config: EntryConfig, output: Hwc | undefined, stats: EntryStats): LutEntry {
  const key = entryKey(config);
  const opType = entryOpType(config);
  switch (config.kind) {
    case 'input':
      return { kind: 'input', key, opType, input: config.input, ...stats };
    case 'head':
      return { kind: 'head', key, opType, input: config.input, numClasses: config.numClasses, ...stats };
    case 'block':
      return { kind: 'block', key, opType, input: config.input, output: output!, spec: config.spec, ...stats };
  }
}

/** A file's content as given: an object as is, JSON text parsed (refused with FILE_INVALID, naming `what`). */
export function jsonInput(input: unknown, what: string): unknown {
  if (typeof input !== 'string') return input;
  try {
    return JSON.parse(input);
  } catch (e) {
    throw new FbnetError('FILE_INVALID', `invalid ${what}: not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Validate a table (object or JSON text). Errors name the field (`entries.3.medianMs: ...`);
 * a key that does not match its entry's content, or a duplicate key, is refused too.
 */
export function parseLut(input: unknown, what = 'latency table'): LatencyTable {
  const json = jsonInput(input, what);
  if (typeof json === 'object' && json !== null && 'version' in json && (json as { version: unknown }).version !== LUT_FORMAT_VERSION) {
    throw new FbnetError(
      'FILE_INVALID',
      `invalid ${what}: version: format version ${JSON.stringify((json as { version: unknown }).version)} is not supported (this build reads version ${LUT_FORMAT_VERSION})`,
    );
  }
  const r = latencyTableSchema.safeParse(json);
  if (!r.success) throw new FbnetError('FILE_INVALID', `invalid ${what}: ${formatZodIssues(r.error)}`);
  const lut = r.data as LatencyTable;
  const seen = new Set<string>();
  lut.entries.forEach((e, i) => {
    const expected = entryKey(entryConfig(e));
    if (e.key !== expected) throw new FbnetError('FILE_INVALID', `invalid ${what}: entries.${i}.key: "${e.key}" does not match the entry's content (expected "${expected}")`);
    if (seen.has(e.key)) throw new FbnetError('FILE_INVALID', `invalid ${what}: entries.${i}.key: duplicate key "${e.key}"`);
    seen.add(e.key);
    if (!(e.p10Ms <= e.medianMs + 1e-9 && e.medianMs <= e.p90Ms + 1e-9)) {
      throw new FbnetError('FILE_INVALID', `invalid ${what}: entries.${i}.medianMs: expected p10Ms <= medianMs <= p90Ms, got ${e.p10Ms}, ${e.medianMs}, ${e.p90Ms}`);
    }
  });
  return lut;
}

export function lutEntryMap(lut: LatencyTable): Map<string, LutEntry> {
  return new Map(lut.entries.map((e) => [e.key, e]));
}
