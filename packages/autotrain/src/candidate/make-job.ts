import { createHash } from 'node:crypto';
import { FbnetError } from '@fbnet/core';
import { jointArch, jointRecipe, pointKey, type JointPoint, type JointSpace } from '../space/joint-space.ts';
import type { CandidateJob, DataSpec } from './job.ts';

export interface MakeJobOptions {
  /** Epochs to train (early-stopping budget); default: the recipe's full schedule. */
  budget?: number;
  seed: number;
  data: DataSpec;
}

/**
 * The job that trains a point of the joint space. Its id is a hash of everything that
 * determines the result (point, budget, seed, data), so the same candidate always maps to
 * the same id: stores keyed by id make re-submission and resumption free.
 */
export function makeCandidateJob(space: JointSpace, point: JointPoint, o: MakeJobOptions): CandidateJob {
  const recipe = jointRecipe(space, point);
  const epochs = Math.min(o.budget ?? recipe.epochs, recipe.epochs);
  if (!(epochs >= 1)) throw new FbnetError('USAGE', `budget must be at least 1 epoch, got ${o.budget}`);
  const arch = jointArch(space, point);
  const id = 'c-' + createHash('sha256').update(JSON.stringify([space.name, pointKey(point), epochs, o.seed, o.data])).digest('hex').slice(0, 16);
  return { id, arch, recipe, epochs, seed: o.seed, data: o.data };
}
