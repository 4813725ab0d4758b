import type { PredictorMetrics, SerializedPredictor } from '@fbnet/acc-predictor';
import { defineStage, FbnetError, parseArchDef, type ArchDef } from '@fbnet/core';
import type { TrainRecipe } from '@fbnet/train';
import type { JointPoint, JointSpace } from '../space/joint-space.ts';
import { runCoarse, type CoarseSettings, type SeedToSeed } from './coarse-search.ts';
import { recipeCoarseSpace } from './coarse-space.ts';
import type { CoarseEvent, CoarseSample } from './events.ts';

/** The recipe search's input: a fixed architecture, and the recipe ranges of a joint space. */
export interface RecipeSearchInput extends CoarseSettings {
  /** The architecture to find a recipe for (e.g. the one V1 found). */
  arch: ArchDef;
  /** Its recipe dimensions (ranges), fixed recipe fields and lr scales are searched; its architecture part is ignored. */
  space: JointSpace;
}

export interface RecipeSearchResult {
  /** The best measured recipe (plain `TrainRecipe`, as `parseRecipe` gives it; its full schedule). */
  recipe: TrainRecipe;
  /** Its searched values (`recipe.*` keys). */
  point: JointPoint;
  /** Its validation accuracy at the early-stopping budget. */
  accuracy: number;
  arch: ArchDef;
  budget: number;
  /** Every recipe trained. */
  candidates: CoarseSample[];
  /** The predictor on candidates it had not seen. */
  predictor: PredictorMetrics;
  seedToSeed: SeedToSeed | null;
  acquisition: SerializedPredictor;
}

/**
 * A training-recipe search for a fixed architecture: the coarse machinery (QMC sampling,
 * early-stopping rule by rank correlation, predictor-guided iterations) over the recipe
 * dimensions only. Checkpoints like the coarse stage (`<prefix>coarse-state.json`, …);
 * unsubscribing stops it within one candidate-training step, and it resumes to the same result.
 */
export const recipeSearchStage = defineStage<RecipeSearchInput, RecipeSearchResult, CoarseEvent>('autotrain/recipe', async (input, ctx, io) => {
  const { arch: archIn, space, ...settings } = input;
  const arch = parseArchDef(archIn);
  const cs = recipeCoarseSpace(space, arch);
  if (cs.dimensions === 0) throw new FbnetError('USAGE', `recipe search: space ${space.name} searches no recipe dimension`);
  const r = await runCoarse(cs, settings, ctx, io);
  if (!r) return undefined as unknown as RecipeSearchResult;
  const best = r.samples.reduce((a, b) => (b.accuracy > a.accuracy ? b : a));
  return {
    recipe: cs.recipe(best.point),
    point: best.point,
    accuracy: best.accuracy,
    arch,
    budget: r.budget,
    candidates: r.samples,
    predictor: r.predictor,
    seedToSeed: r.seedToSeed,
    acquisition: r.acquisition,
  };
});
