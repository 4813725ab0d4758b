import { z } from 'zod';
import { parseArchDef } from '@fbnet/core';
import { SEARCH_V2_PRESETS } from '@fbnet/dmasking';
import { exportStage, trainStage, type TrainRecipeInput } from '@fbnet/train';
import { registerPipelineStage, type ArtifactBag, type StageEnv } from './catalog.ts';
import { SEARCH_V1_PRESETS } from './presets-v1.ts';

/*
 * The shipped stages as pipelines see them (docs/pipelines.md lists their options). Each entry
 * adapts artifacts and preset-sized options to the stage's typed input and its result back to
 * artifacts; the work is the package's stage.
 */

const recipeSchema = z.record(z.string(), z.unknown());

/** The final-training recipe of the preset family a stage follows. */
function presetRecipe(env: StageEnv): TrainRecipeInput {
  if (env.family === 'v2') return SEARCH_V2_PRESETS[env.preset].final;
  return SEARCH_V1_PRESETS[env.preset].final;
}

registerPipelineStage({
  name: 'train',
  summary: 'train the arch from scratch (the recipe: options.recipe, else an earlier recipe artifact, else the preset family’s final recipe)',
  options: z
    .object({
      /** A whole recipe (parseRecipe input) instead of the preset's or an earlier stage's. */
      recipe: recipeSchema.optional(),
      /** Epochs instead of the recipe's. */
      epochs: z.number().int().positive().optional(),
      /** Name of the training in the run (checkpoint and weights file names). */
      name: z.string().regex(/^[a-z0-9-]+$/).optional(),
    })
    .strict(),
  consumes: () => [{ kind: 'arch' }, { kind: 'recipe', optional: true }],
  produces: () => ['weights'],
  start: (a, o, env) => {
    const base = (o.recipe as TrainRecipeInput | undefined) ?? a.recipe ?? presetRecipe(env);
    const recipe = { ...base, ...(o.epochs !== undefined ? { epochs: o.epochs } : {}) } as TrainRecipeInput;
    return trainStage({ arch: a.arch!, recipe, name: o.name ?? 'final' }, env.ctx);
  },
  collect: (r, _o, env, given): ArtifactBag => {
    const arch = given.arch!;
    env.ctx.run?.writeJson(`${env.ctx.prefix ?? ''}final.json`, { testAccuracy: r.testAccuracy, valAccuracy: r.valAccuracy, weights: r.weights, epochs: r.epochs });
    return { weights: { path: r.weights, arch, testAccuracy: r.testAccuracy, valAccuracy: r.valAccuracy, epochs: r.epochs } };
  },
  summarize: (r) => ({ epochs: r.epochs, testAccuracy: r.testAccuracy, valAccuracy: r.valAccuracy, params: r.params }),
});

registerPipelineStage({
  name: 'export',
  summary: 'write the trained net as a TF.js Layers model (model.json, weights.bin, arch.json)',
  options: z.object({}).strict(),
  consumes: () => [{ kind: 'weights' }],
  produces: () => ['model'],
  start: (a, _o, env) => exportStage({ arch: parseArchDef(a.weights!.arch), weights: a.weights!.path }, env.ctx),
  collect: (r) => ({ model: { modelPath: r.modelPath, archPath: r.archPath, params: r.params, flops: r.flops } }),
  summarize: (r) => ({ params: r.params, flops: r.flops, bytes: r.bytes }),
});
