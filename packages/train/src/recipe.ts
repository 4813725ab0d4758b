import { z } from 'zod';
import { FbnetError, formatZodIssues } from '@fbnet/core';

/** A training recipe: everything FBNetV3's AutoTrain searches over, plus the fixed knobs. */
export const trainRecipeSchema = z
  .object({
    epochs: z.number().int().positive(),
    batchSize: z.number().int().positive().default(64),
    optimizer: z.enum(['sgd', 'adam', 'adamw', 'rmsprop']).default('sgd'),
    lr: z.number().positive().default(0.1),
    momentum: z.number().min(0).max(1).default(0.9),
    nesterov: z.boolean().default(false),
    weightDecay: z.number().min(0).default(4e-5),
    warmupEpochs: z.number().min(0).default(0),
    labelSmoothing: z.number().min(0).max(1).default(0.1),
    /** Mixup Beta(alpha, alpha); 0 disables. */
    mixup: z.number().min(0).default(0),
    dropout: z.number().min(0).max(0.95).default(0),
    /** Stochastic depth rate on residual blocks. */
    dropPath: z.number().min(0).max(0.95).default(0),
    /** EMA decay of the weights; 0 disables. */
    ema: z.number().min(0).max(1).default(0),
    augment: z
      .object({ crop: z.number().int().min(0).default(2), flip: z.boolean().default(true) })
      .strict()
      .default({ crop: 2, flip: true }),
  })
  .strict();

export type TrainRecipe = z.infer<typeof trainRecipeSchema>;
export type TrainRecipeInput = z.input<typeof trainRecipeSchema>;

export function parseRecipe(input: unknown): TrainRecipe {
  const r = trainRecipeSchema.safeParse(input);
  if (!r.success) throw new FbnetError('USAGE', `invalid training recipe: ${formatZodIssues(r.error)}`);
  return r.data;
}
