import { FbnetError, formatZodIssues, type RngState } from '@fbnet/core';
import { z } from 'zod';

const u32 = z.number().int().min(0).max(0xffffffff);
const nonNeg = z.number().int().nonnegative();

/**
 * Where a BatchIterator stands, as plain JSON for a checkpoint. The order of an epoch is a
 * permutation drawn from `epochRngState` (the stream's state when the epoch began), so
 * epoch + batch + that state reproduce the rest of the run exactly. The other fields pin
 * the settings the order depends on; resuming with different ones is refused.
 */
export const batchPositionSchema = z
  .object({
    version: z.literal(1),
    seed: z.number().int(),
    count: nonNeg,
    batchSize: z.number().int().positive(),
    shuffle: z.boolean(),
    dropLast: z.boolean(),
    epoch: nonNeg,
    batch: nonNeg,
    epochRngState: z.tuple([u32, u32, u32, u32]),
  })
  .strict();

export type BatchPosition = Omit<z.infer<typeof batchPositionSchema>, 'epochRngState'> & { epochRngState: RngState };

/** Validate a position read back from a checkpoint; errors are CHECKPOINT and name the field. */
export function parseBatchPosition(raw: unknown): BatchPosition {
  const r = batchPositionSchema.safeParse(raw);
  if (!r.success) throw new FbnetError('CHECKPOINT', `invalid batch position: ${formatZodIssues(r.error)}`);
  return r.data as BatchPosition;
}
