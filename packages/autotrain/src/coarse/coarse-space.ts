import { createHash } from 'node:crypto';
import { archFromChoice, FbnetError, type ArchDef, type SearchSpace } from '@fbnet/core';
import { archSpaceGenome } from '@fbnet/evolutionary-search';
import { parseRecipe, type TrainRecipe, type TrainRecipeInput } from '@fbnet/train';
import { proxyTargets } from '@fbnet/acc-predictor';
import type { CandidateJob } from '../candidate/job.ts';
import { jobFor, makeCandidateJob, type MakeJobOptions } from '../candidate/make-job.ts';
import { fromUnit } from '../space/range.ts';
import { archSlots, pointToChoice } from '../space/arch-point.ts';
import { archPart, encodePoint, encodeRecipe, encodingSizes, jointArch, jointDimensions, jointRecipe, pointFromUnit, pointKey, type JointPoint, type JointSpace } from '../space/joint-space.ts';

/**
 * What the coarse machinery (QMC sampling, candidate training, early-stopping rule, predictor
 * refits) needs of a space: the joint architecture + recipe space, only the recipe
 * dimensions of one for a fixed architecture (`recipeCoarseSpace`), or a core layer-wise
 * `SearchSpace` trained with one fixed recipe (`archCoarseSpace`).
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
    encode: (p) => ({ arch: [1], recipe: encodeRecipe(space, p, dims) }),
    archKey: () => archId,
    arch: () => arch,
    recipe: (p) => jointRecipe(space, p),
    proxyTargets: () => proxyTargets(arch),
    archVaries: false,
    job: (p, o) => jobFor(name, pointKey(p), arch, jointRecipe(space, p), o),
  };
}

/**
 * A core layer-wise `SearchSpace` (V1 candidate ops per layer; V2 channels, expansions, input
 * resolutions) for the coarse machinery, every candidate trained with one fixed `recipe`
 * (e.g. the V1 preset's final recipe at the coarse stage's epochs; its `epochs` is the full
 * schedule the early-stopping rule truncates).
 *
 * Points are flat `JointPoint`s of option indices (`ops.<i>`, …; `choiceToPoint` /
 * `pointToChoice` convert to and from the `ArchChoice` the space's other tools use). The QMC
 * coordinates are the slots with more than one option, each mapped to an index by equal cells.
 * The predictor encoding is exactly `archSpaceGenome(space).encode` (one-hot ops, ordered choices
 * as positions in [0, 1]; no recipe part), so a predictor fitted here is the fitness of an
 * evolution over `{ kind: 'arch', space }`.
 */
export function archCoarseSpace(space: SearchSpace, recipe: TrainRecipeInput | TrainRecipe): CoarseSpace {
  const slots = archSlots(space);
  const dims = slots.filter((s) => s.options > 1);
  const genome = archSpaceGenome(space);
  const fixed = parseRecipe(recipe);
  const zero = pointToChoice(space, Object.fromEntries(slots.map((s) => [s.key, 0])));
  const sizes = { arch: genome.encode!(zero).arch.length, recipe: 0 };
  const id = createHash('sha256').update(JSON.stringify([space, fixed])).digest('hex').slice(0, 12);
  const name = `arch:${space.name}:${id}`;
  const archOf = (p: JointPoint): ArchDef => archFromChoice(space, pointToChoice(space, p));
  return {
    name,
    dimensions: dims.length,
    fromUnit(u) {
      if (u.length !== dims.length) throw new FbnetError('USAGE', `point of ${space.name} needs ${dims.length} coordinates, got ${u.length}`);
      const p: JointPoint = {};
      let i = 0;
      for (const s of slots) p[s.key] = s.options > 1 ? Math.min(s.options - 1, Math.floor(Math.min(Math.max(u[i++], 0), 1 - 1e-12) * s.options)) : 0;
      return p;
    },
    encodingSizes: sizes,
    encode: (p) => genome.encode!(pointToChoice(space, p)),
    archKey: (p) => pointKey(p),
    arch: archOf,
    recipe: () => fixed,
    proxyTargets: (p) => proxyTargets(archOf(p)),
    archVaries: dims.length > 0,
    job: (p, o) => jobFor(name, pointKey(p), archOf(p), fixed, o),
  };
}
