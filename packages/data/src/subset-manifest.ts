import { FbnetError, formatZodIssues } from '@fbnet/core';
import { z } from 'zod';

export const SUBSET_MANIFEST_FILE = 'manifest.json';
export const SUBSET_MANIFEST_VERSION = 1;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256');
const count = z.number().int().nonnegative();

const splitSchema = z
  .object({
    images: z.string().min(1),
    labels: z.string().min(1),
    /** Source file the split was drawn from. */
    from: z.string().min(1),
    count,
    countsPerClass: z.array(count),
  })
  .strict();

/**
 * The manifest written next to a bundled subset: where it came from (source sha256s), how it
 * was drawn (seed, per-class counts) and what was written (sha256 of every file), so a loader
 * can tell a damaged checkout from a good one and the tool can prove it reproduces the files.
 */
export const subsetManifestSchema = z
  .object({
    version: z.literal(SUBSET_MANIFEST_VERSION),
    dataset: z.literal('fashion-mnist'),
    tool: z.string(),
    seed: z.number().int().nonnegative(),
    source: z.record(z.string(), z.object({ sha256, bytes: count }).strict()),
    splits: z.object({ train: splitSchema, test: splitSchema }).strict(),
    files: z.record(z.string(), z.object({ sha256, bytes: count }).strict()),
  })
  .strict();

export type SubsetManifest = z.infer<typeof subsetManifestSchema>;

/** Validate a parsed manifest; `name` (the file) heads every error. */
export function parseSubsetManifest(raw: unknown, name = SUBSET_MANIFEST_FILE): SubsetManifest {
  const r = subsetManifestSchema.safeParse(raw);
  if (!r.success) throw new FbnetError('FILE_INVALID', `${name}: invalid subset manifest: ${formatZodIssues(r.error)}`);
  for (const split of ['train', 'test'] as const) {
    const s = r.data.splits[split];
    for (const f of [s.images, s.labels]) {
      if (!(f in r.data.files)) throw new FbnetError('FILE_INVALID', `${name}: splits.${split} names "${f}", which "files" does not list`);
    }
    const total = s.countsPerClass.reduce((a, b) => a + b, 0);
    if (total !== s.count) {
      throw new FbnetError('FILE_INVALID', `${name}: splits.${split}.countsPerClass sums to ${total}, but count is ${s.count}`);
    }
  }
  return r.data;
}

/** Canonical bytes of a manifest: 2-space JSON plus a newline, so rewriting it is byte-identical. */
export function serializeSubsetManifest(m: SubsetManifest): string {
  return `${JSON.stringify(subsetManifestSchema.parse(m), null, 2)}\n`;
}
