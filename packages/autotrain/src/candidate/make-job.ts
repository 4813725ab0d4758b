import { createHash } from 'node:crypto';
import { FbnetError, type ArchDef } from '@fbnet/core';
import type { TrainRecipe } from '@fbnet/train';
import { jointArch, jointRecipe, pointKey, type JointPoint, type JointSpace } from '../space/joint-space.ts';
import type { CandidateJob, DataSpec } from './job.ts';

export interface MakeJobOptions {
  /** Epochs to train (early-stopping budget); default: the recipe's full schedule. */
  budget?: number;
  seed: number;
  data: DataSpec;
}

/**
 * The job that trains `arch` with `recipe`. Its id is a hash of everything that determines
 * the result (the space's name and the point's key, budget, seed, data), so the same
 * candidate always maps to the same id: stores keyed by id make re-submission and resumption free.
 */
export function jobFor(spaceName: string, key: string, arch: ArchDef, recipe: TrainRecipe, o: MakeJobOptions): CandidateJob {
  const epochs = Math.min(o.budget ?? recipe.epochs, recipe.epochs);
  if (!(epochs >= 1)) throw new FbnetError('USAGE', `budget must be at least 1 epoch, got ${o.budget}`);
  const id = 'c-' + createHash('sha256').update(JSON.stringify([spaceName, key, epochs, o.seed, o.data])).digest('hex').slice(0, 16);
  return { id, arch, recipe, epochs, seed: o.seed, data: o.data };
}

/** The job that trains a point of the joint space. */
export function makeCandidateJob(space: JointSpace, point: JointPoint, o: MakeJobOptions): CandidateJob {
  return jobFor(space.name, pointKey(point), jointArch(space, point), jointRecipe(space, point), o);
}
