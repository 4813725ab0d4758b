import { createHash } from 'node:crypto';
import type { ArchDef } from '@fbnet/core';
import type { TrainRecipe } from '@fbnet/train';
import { proxyTargets } from '@fbnet/acc-predictor';
import type { CandidateJob } from '../candidate/job.ts';
import { jobFor, makeCandidateJob, type MakeJobOptions } from '../candidate/make-job.ts';
import { encodeValue, fromUnit } from '../space/range.ts';
import { archPart, encodePoint, encodingSizes, jointArch, jointDimensions, jointRecipe, pointFromUnit, pointKey, type JointPoint, type JointSpace } from '../space/joint-space.ts';

/**
 * What the coarse machinery (QMC sampling, candidate training, early-stopping rule, predictor
 * refits) needs of a space: the joint architecture + recipe space, or only the recipe
 * dimensions of one for a fixed architecture (`recipeCoarseSpace`).
 */
export interface CoarseSpace {
  readonly name: string;
  /** Coordinates of a QMC point. */
  readonly dimensions: number;
  fromUnit(u: readonly number[]): JointPoint;
  /** Predictor input widths. */
  readonly encodingSizes: { arch: number; recipe: number };
  encode(p: JointPoint): { arch: number[]; recipe: number[] };
  /** Key of the architecture part (proxy pretraining samples distinct architectures). */
  archKey(p: JointPoint): string;
  arch(p: JointPoint): ArchDef;
  recipe(p: JointPoint): TrainRecipe;
  /** Proxy-head targets of a point's architecture (ln FLOPs, ln params). */
  proxyTargets(p: JointPoint): number[];
  /** Whether proxy pretraining can teach the encoder anything (false: one fixed architecture). */
  readonly archVaries: boolean;
  job(p: JointPoint, o: MakeJobOptions): CandidateJob;
}

/** The joint architecture + recipe space. */
export function jointCoarseSpace(space: JointSpace): CoarseSpace {
  return {
    name: space.name,
    dimensions: jointDimensions(space).length,
    fromUnit: (u) => pointFromUnit(space, u),
    encodingSizes: encodingSizes(space),
    encode: (p) => encodePoint(space, p),
    archKey: (p) => pointKey(archPart(space, p)),
    arch: (p) => jointArch(space, p),
    recipe: (p) => jointRecipe(space, p),
    proxyTargets: (p) => proxyTargets(jointArch(space, p)),
    archVaries: true,
    job: (p, o) => makeCandidateJob(space, p, o),
  };
}

/**
 * The recipe dimensions of a joint space (its ranges, fixed fields, lr scales) for one fixed
 * architecture: a training-recipe search. Points hold `recipe.*` keys only; the architecture
 * encoding is a constant, so the predictor learns the recipe alone.
 */
export function recipeCoarseSpace(space: JointSpace, arch: ArchDef): CoarseSpace {
  const dims = jointDimensions(space).filter((d) => d.group === 'recipe');
  const archId = createHash('sha256').update(JSON.stringify([arch.input_size, arch.input_channels, arch.num_classes, arch.basic_args ?? null, arch.blocks])).digest('hex').slice(0, 12);
  const name = `recipe:${space.name}:${archId}`;
  return {
    name,
    dimensions: dims.length,
    fromUnit(u) {
      const p: JointPoint = {};
      dims.forEach((d, i) => {
        const v = fromUnit(d.range, u[i]);
        p[d.key] = typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(4)) : v;
      });
      return p;
    },
    encodingSizes: { arch: 1, recipe: encodingSizes(space).recipe },
    encode(p) {
      const recipe: number[] = [];
      for (const d of dims) encodeValue(d.range, p[d.key], recipe);
      return { arch: [1], recipe };
    },
    archKey: () => archId,
    arch: () => arch,
    recipe: (p) => jointRecipe(space, p),
    proxyTargets: () => proxyTargets(arch),
    archVaries: false,
    job: (p, o) => jobFor(name, pointKey(p), arch, jointRecipe(space, p), o),
  };
}
