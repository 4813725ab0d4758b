import { z } from 'zod';
import { defineStage, FbnetError, getSearchSpacePreset, parseArchDef, type ArchDef, type BackendPlugin, type KernelPlan, type SearchSpace, type StageContext } from '@fbnet/core';
import { fitPredictorStage, type PredictorSample, type SerializedPredictor } from '@fbnet/acc-predictor';
import { archCoarseSpace, archSlots, coarseSearchStage, encodePoint, getJointSpacePreset, pointToChoice, recipeSearchStage, type JointPoint } from '@fbnet/autotrain';
import type { LoadedDataset, ResolvedDataFormat, StageData } from '@fbnet/data';
import { dmaskingStage, exportV2Model, resizeDataset, SEARCH_V2_PRESETS } from '@fbnet/dmasking';
import { archSpaceGenome, evolutionStage, type FitnessSpec } from '@fbnet/evolutionary-search';
import { gumbelSupernetStage } from '@fbnet/gumbel-supernet';
import { jointnasStage, SEARCH_V3_PRESETS } from '@fbnet/jointnas';
import { latencyMatrix, loadLut, measureLutStage, nodeFingerprint, type LatencyTable } from '@fbnet/latency-lut';
import { reportStage } from '@fbnet/report';
import { archCost } from '@fbnet/shape-propagation';
import { exportStage, loadTrainedNet, trainStage, type TrainRecipeInput } from '@fbnet/train';
import { relative } from 'node:path';
import { registerPipelineStage, type ArtifactBag, type StageEnv } from './catalog.ts';
import { SEARCH_V1_PRESETS } from './presets-v1.ts';
import { adaptSpaceToData } from './data-space.ts';

/*
 * The shipped stages as pipelines see them (docs/pipelines.md lists their options). Each entry
 * adapts artifacts and preset-sized options to the package stage's typed input, and its result
 * back to artifacts; the work is the package's stage.
 */

const recipeSchema = z.record(z.string(), z.unknown());
const timingSchema = z
  .object({
    timeMs: z.number().positive(),
    warmupMs: z.number().nonnegative(),
    minSamples: z.number().int().positive(),
    warmupSamples: z.number().int().nonnegative(),
    rounds: z.number().int().positive(),
    maxRounds: z.number().int().positive(),
    agreement: z.number().positive(),
    /** `net`: entries timed inside whole nets; `isolated`: each block alone (what spaces too varied to place in nets need, e.g. V2's). */
    context: z.enum(['net', 'isolated']),
  })
  .partial()
  .strict();
const constraintsSchema = z.object({ maxFlops: z.number().positive(), maxParams: z.number().positive(), maxLatencyMs: z.number().positive() }).partial().strict();

/** The final-training recipe of the preset family a stage follows. */
function presetRecipe(env: StageEnv): TrainRecipeInput {
  if (env.family === 'v2') return SEARCH_V2_PRESETS[env.preset].final;
  return SEARCH_V1_PRESETS[env.preset].final;
}

/** The latency table an earlier stage measured, read back from the run. */
function tableOf(a: ArtifactBag, env: StageEnv): LatencyTable {
  const t = a['latency-table'];
  if (!t) throw new FbnetError('USAGE', `stage ${env.index + 1}: no latency table`);
  return loadLut(env.file(t.path), { force: true });
}

/** A JSON file of the run written by an earlier stage. */
function readRunJson<T>(env: StageEnv, path: string): T {
  const v = env.ctx.run?.readJson<T>(path);
  if (v === undefined) throw new FbnetError('FILE_INVALID', `${env.file(path)} is missing from the run`);
  return v;
}

/** The data at the arch's input size (V2 searches the input resolution: the net trains on subsampled images). */
function dataAt(ctx: StageContext<StageData>, size: number): StageContext<StageData> {
  const d = ctx.data;
  if (!d || d.train.height === size) return ctx;
  const r = (ds: StageData['train'] | undefined) => (ds ? resizeDataset(ds, size) : undefined);
  return { ...ctx, data: { ...d, train: resizeDataset(d.train, size), val: r(d.val), test: r(d.test) } };
}

/**
 * The candidates file an `autotrain` stage writes (`candidates.json`). `kind` says which space its
 * points belong to: `joint` (a joint-space preset named by `space`; files without `kind` are
 * joint) or `arch` (the layer-wise `SearchSpace` itself, with the recipe every candidate trained
 * with; each sample also carries its `choice`).
 */
type CandidatesFile =
  | { kind?: 'joint'; space: string; budget: number; samples: { point: JointPoint; accuracy: number }[] }
  | { kind: 'arch'; space: SearchSpace; recipe: TrainRecipeInput; budget: number; samples: { point: JointPoint; accuracy: number }[] };

/** Predictor inputs of a candidates file's point, in the encoding of its space. */
function candidateEncoder(file: CandidatesFile): (p: JointPoint) => { arch: number[]; recipe: number[] } {
  if (file.kind === 'arch') {
    const cs = archCoarseSpace(file.space, file.recipe);
    return (p) => cs.encode(p);
  }
  const space = getJointSpacePreset(file.space);
  return (p) => encodePoint(space, p);
}

/**
 * The pipeline's data when it is the user's (`data.source: "path"`), as candidates load it: its path,
 * format and image size (the size the runner loaded it at, so every candidate gets the same pixels).
 */
function userData(env: StageEnv): { path: string; format: ResolvedDataFormat; size: number } | undefined {
  const loaded = (env.ctx.data as { loaded?: LoadedDataset } | undefined)?.loaded;
  return loaded ? { path: loaded.path, format: loaded.format, size: loaded.height } : undefined;
}

/** Candidates train on Fashion-MNIST (`DataSpec`): a layer-wise space must take its images. */
function checkFmnistSpace(space: SearchSpace, env: StageEnv, name: string): void {
  if (space.input_size !== 28 || space.input_channels !== 1 || space.num_classes !== 10) {
    throw new FbnetError('USAGE', `stage ${env.index + 1} "${name}": over: "space" trains candidates on Fashion-MNIST (28x28x1, 10 classes); the space ${space.name} takes ${space.input_size}x${space.input_size}x${space.input_channels}, ${space.num_classes} classes`);
  }
}

/** Candidates train on the user's data: a layer-wise space must take its images (the pipeline's own space is carried over to them). */
function checkSpaceFitsData(space: SearchSpace, user: { path: string; size: number }, env: StageEnv, name: string): void {
  const loaded = (env.ctx.data as { loaded?: LoadedDataset }).loaded!;
  const k = loaded.classNames.length;
  if (space.input_size !== user.size || space.input_channels !== loaded.channels || space.num_classes !== k) {
    throw new FbnetError('USAGE', `stage ${env.index + 1} "${name}": over: "space" trains candidates on ${user.path} (${user.size}x${user.size}x${loaded.channels}, ${k} classes); the space ${space.name} takes ${space.input_size}x${space.input_size}x${space.input_channels}, ${space.num_classes} classes`);
  }
}

/** Epochs of a layer-wise coarse stage's full schedules: the V3 preset's joint space's (its fixed schedule, or its longest searched one). */
function coarseEpochs(preset: StageEnv['preset']): number {
  const space = getJointSpacePreset(SEARCH_V3_PRESETS[preset].space);
  const r = space.recipe.epochs;
  if (!r && typeof space.fixedRecipe.epochs === 'number') return space.fixedRecipe.epochs;
  if (r?.kind === 'int') return r.max;
  if (r?.kind === 'choice') return Math.max(...r.values.map(Number).filter(Number.isFinite));
  return SEARCH_V1_PRESETS[preset].final.epochs ?? 1;
}

/** The fixed recipe of a layer-wise coarse stage's candidates: the V1 preset's final recipe at the coarse budget's epochs. */
function coarseRecipe(env: StageEnv, epochs: number | undefined): TrainRecipeInput {
  return { ...SEARCH_V1_PRESETS[env.preset].final, epochs: epochs ?? coarseEpochs(env.preset) };
}

/** Which space an evolution runs over: the option, else joint for the predictor (FBNetV3's fine stage) and the layer-wise space for a cost. */
const evolutionOver = (o: { over?: 'joint' | 'space'; fitness: string }) => o.over ?? (o.fitness === 'predictor' ? 'joint' : 'space');

// ── latency-lut ───────────────────────────────────────────────────────────────────────────────
registerPipelineStage({
  name: 'latency-lut',
  summary: 'measure the latency table of the search space on this device (or reuse a table measured on it)',
  options: z
    .object({
      /** A search-space preset to measure instead of the pipeline's space. */
      space: z.string().min(1).optional(),
      /** A table file to start from (refused unless measured on this device, or `force`). */
      reuse: z.string().min(1).optional(),
      force: z.boolean().default(false),
      timing: timingSchema.optional(),
    })
    .strict(),
  consumes: (o) => (o.space ? [] : [{ kind: 'space' }]),
  produces: () => ['latency-table'],
  start: (a, o, env) => {
    const space = o.space ? getSearchSpacePreset(o.space) : a.space!;
    const family = env.family === 'v2' ? SEARCH_V2_PRESETS[env.preset] : SEARCH_V1_PRESETS[env.preset];
    return measureLutStage({ space, timing: { ...family.lutTiming, ...o.timing }, force: o.force, ...(o.reuse ? { reuse: o.reuse } : {}) }, env.ctx);
  },
  collect: (r, _o, env) => ({ 'latency-table': { path: r.path ?? `${env.ctx.prefix ?? ''}lut.json`, entries: r.table.entries.length, device: `${r.table.device.backend} on ${r.table.device.cpuModel}` } }),
  summarize: (r) => ({ entries: r.table.entries.length, measured: r.measured, reused: r.reused }),
});

// ── gumbel-supernet (V1 DNAS) ─────────────────────────────────────────────────────────────────
const v1Supernet = z
  .object({
    epochs: z.number().int().positive(),
    warmupEpochs: z.number().int().nonnegative(),
    stepsPerEpoch: z.number().int().positive(),
    batchSize: z.number().int().positive(),
    samples: z.number().int().positive(),
    alpha: z.number().positive(),
    beta: z.number().positive(),
    thetaLr: z.number().positive(),
    tau0: z.number().positive(),
    tauEnd: z.number().positive(),
    /** Hard limits on the derived arch: the most probable arch under P_θ that meets them. */
    constraints: constraintsSchema,
  })
  .partial()
  .strict();
registerPipelineStage({
  name: 'gumbel-supernet',
  summary: 'FBNetV1 DNAS: a Gumbel-softmax supernet over the space, latency-aware loss from the table; derives an arch',
  family: 'v1',
  options: v1Supernet,
  consumes: () => [{ kind: 'space' }, { kind: 'latency-table' }],
  produces: () => ['arch'],
  start: (a, o, env) => {
    const preset = SEARCH_V1_PRESETS[env.preset].supernet;
    const epochs = o.epochs ?? preset.epochs;
    const options = { ...preset, ...(o.epochs !== undefined ? { warmupEpochs: Math.min(preset.warmupEpochs, epochs - 1) } : {}), ...o };
    return gumbelSupernetStage({ space: a.space!, table: tableOf(a, env), options }, env.ctx);
  },
  collect: (r, _o, env) => {
    const p = env.ctx.prefix ?? '';
    env.ctx.run?.writeJson(`${p}search.json`, { derived: r.derived, sampled: r.sampled, ...(r.constrained ? { constrained: r.constrained } : {}) });
    env.ctx.run?.writeJson(`${p}arch.json`, r.arch);
    return { arch: r.arch };
  },
  summarize: (r) => ({ arch: r.derived.ops, latencyMs: r.derived.latencyMs, supernetAccuracy: r.derived.supernetAccuracy, epochs: r.epochs }),
});

// ── dmasking (V2) ─────────────────────────────────────────────────────────────────────────────
registerPipelineStage({
  name: 'dmasking',
  summary: 'FBNetV2 DMaskingNAS: channel, expansion and input-resolution search in the V2 space, or around an earlier arch (from: "arch")',
  family: 'v2',
  options: z
    .object({
      /** `space`: the V2 preset's space (or `space`); `arch`: widths, expansions and resolution around the nearest earlier arch. */
      from: z.enum(['space', 'arch']).default('space'),
      space: z.string().min(1).optional(),
      resource: z.enum(['flops', 'params', 'latency']).optional(),
      epochs: z.number().int().positive().optional(),
      warmupEpochs: z.number().int().nonnegative().optional(),
      stepsPerEpoch: z.number().int().positive().optional(),
      batchSize: z.number().int().positive().optional(),
      samples: z.number().int().positive().optional(),
      thetaLr: z.number().positive().optional(),
      tau0: z.number().positive().optional(),
      tauDecay: z.number().positive().optional(),
      around: z.record(z.string(), z.unknown()).optional(),
    })
    .strict(),
  consumes: (o, preset) => [
    ...(o.from === 'arch' ? [{ kind: 'arch' as const }] : []),
    // A latency-aware search (the option, else the preset's resource) needs a table of its space.
    { kind: 'latency-table' as const, optional: (o.resource ?? SEARCH_V2_PRESETS[preset].resource) !== 'latency' },
  ],
  produces: () => ['arch'],
  start: (a, o, env) => {
    const preset = SEARCH_V2_PRESETS[env.preset];
    const { from, space, around, resource, ...sizes } = o;
    const options = { ...preset.supernet, ...sizes, resource: resource ?? preset.resource, loss: preset.loss };
    const table = a['latency-table'] ? tableOf(a, env) : undefined;
    if (options.resource === 'latency' && !table) throw new FbnetError('USAGE', `stage ${env.index + 1} "dmasking": resource "latency" needs a latency-lut stage before it`);
    // The preset's space carried over to the user's data (channels, classes, image size, scaled resolutions).
    const loaded = (env.ctx.data as { loaded?: Parameters<typeof adaptSpaceToData>[1] } | undefined)?.loaded;
    const own = space ?? (loaded ? adaptSpaceToData(getSearchSpacePreset(preset.space), loaded) : preset.space);
    const input = from === 'arch' ? { arch: a.arch!, ...(around ? { around } : {}) } : { space: own };
    return dmaskingStage({ ...input, ...(table ? { table } : {}), options } as Parameters<typeof dmaskingStage>[0], env.ctx);
  },
  collect: (r, _o, env) => {
    const p = env.ctx.prefix ?? '';
    env.ctx.run?.writeJson(`${p}search.json`, { derived: r.derived, sampled: r.sampled, alphas: r.alphas });
    env.ctx.run?.writeJson(`${p}arch.json`, r.arch);
    return { arch: r.arch, space: r.space };
  },
  summarize: (r) => ({ arch: r.derived.ops, channels: r.derived.channels, resolution: r.derived.resolution, flops: r.derived.flops, epochs: r.epochs }),
});

// ── autotrain (V3 coarse stage) and its recipe search ─────────────────────────────────────────
registerPipelineStage({
  name: 'autotrain',
  summary: 'FBNetV3 coarse stage over the joint arch + recipe space (QMC sampling, early-stopping by rank correlation, predictor-guided iterations); or, with mode "recipe", a training-recipe search for the nearest earlier arch',
  family: 'v3',
  options: z
    .object({
      mode: z.enum(['joint', 'recipe']).default('joint'),
      /**
       * What the coarse stage searches: `joint`, the V3 joint architecture + recipe space; `space`,
       * the pipeline's layer-wise space (e.g. V1's), every candidate trained with one recipe.
       */
      over: z.enum(['joint', 'space']).default('joint'),
      /** Joint space preset (default: the V3 preset's). */
      space: z.string().min(1).optional(),
      /** With over: "space": epochs of the candidates' full schedule (default: the longest schedule of the V3 preset's joint space). */
      epochs: z.number().int().positive().optional(),
      constraints: constraintsSchema.optional(),
      iterations: z.number().int().positive().optional(),
      perIteration: z.number().int().positive().optional(),
    })
    .strict()
    .superRefine((o, ctx) => {
      if (o.over === 'space' && o.mode === 'recipe') ctx.addIssue({ code: 'custom', message: 'over: "space" is a coarse search (mode "joint"), not a recipe search', path: ['over'] });
      if (o.over === 'space' && o.space !== undefined) ctx.addIssue({ code: 'custom', message: 'space names a joint-space preset; over: "space" searches the pipeline\'s space', path: ['space'] });
      if (o.over !== 'space' && o.epochs !== undefined) ctx.addIssue({ code: 'custom', message: 'epochs applies to over: "space" (a joint space searches its epochs)', path: ['epochs'] });
    }),
  consumes: (o) =>
    o.mode === 'recipe'
      ? [{ kind: 'arch' }]
      : [...(o.over === 'space' ? [{ kind: 'space' as const }] : []), { kind: 'latency-table' as const, optional: true }],
  produces: (o) => (o.mode === 'recipe' ? ['recipe'] : ['candidates', 'predictor']),
  start: (a, o, env) => {
    const p = SEARCH_V3_PRESETS[env.preset];
    const space = getJointSpacePreset(o.space ?? p.space);
    const user = userData(env);
    if (user && o.mode === 'joint' && o.over === 'joint') {
      // Its candidates.json names a joint-space preset, which later stages would read back unadapted.
      throw new FbnetError('USAGE', `stage ${env.index + 1} "autotrain": the joint space searches on Fashion-MNIST here; on ${user.path} use the jointnas stage (fbnet search v3 --data), or over: "space"`);
    }
    // The user's data: candidates cut their images from its training split at the V3 preset's validation share.
    const data = user
      ? { source: 'path' as const, ...user, valFraction: p.final.valFraction, ...p.candidateData, seed: env.ctx.seed }
      : { source: 'fashion-mnist' as const, ...p.candidateData, seed: env.ctx.seed };
    const settings = {
      data,
      queue: { kind: 'in-process' as const },
      proxy: p.proxy,
      fit: p.fit,
      earlyStop: p.earlyStop,
      iterations: o.iterations ?? p.iterations,
      perIteration: o.perIteration ?? p.perIteration,
      poolSize: p.poolSize,
      exploreFraction: p.exploreFraction,
    };
    if (o.mode === 'recipe') return recipeSearchStage({ ...settings, arch: a.arch!, space } as Parameters<typeof recipeSearchStage>[0], env.ctx) as never;
    const table = a['latency-table'] ? tableOf(a, env) : undefined;
    if (o.over === 'space') {
      // The preset's constraints are sized for the joint space; only the stage's own apply here.
      if (user) checkSpaceFitsData(a.space!, user, env, 'autotrain');
      else checkFmnistSpace(a.space!, env, 'autotrain');
      const input = { ...settings, archSpace: a.space!, recipe: coarseRecipe(env, o.epochs), ...(o.constraints ? { constraints: o.constraints } : {}), ...(table ? { latencyTable: table } : {}) };
      return coarseSearchStage(input as Parameters<typeof coarseSearchStage>[0], env.ctx) as never;
    }
    const constraints = { ...p.constraints, ...o.constraints };
    return coarseSearchStage({ ...settings, space, constraints, ...(table ? { latencyTable: table } : {}) } as Parameters<typeof coarseSearchStage>[0], env.ctx) as never;
  },
  collect: (r: Record<string, unknown>, o, env, given): ArtifactBag => {
    const p = env.ctx.prefix ?? '';
    if (o.mode === 'recipe') {
      env.ctx.run?.writeJson(`${p}recipe-search.json`, r);
      return { recipe: r.recipe as TrainRecipeInput };
    }
    const samples = r.samples as unknown[];
    const candidatesPath = `${p}candidates.json`;
    const predictorPath = `${p}predictor.json`;
    if (o.over === 'space') {
      const space = given.space!;
      const withChoice = (samples as { point: JointPoint; accuracy: number }[]).map((s) => ({ ...s, choice: pointToChoice(space, s.point) }));
      env.ctx.run?.writeJson(candidatesPath, { kind: 'arch', space, recipe: coarseRecipe(env, o.epochs), budget: r.budget as number, samples: withChoice } satisfies CandidatesFile);
    } else env.ctx.run?.writeJson(candidatesPath, { kind: 'joint', space: o.space ?? SEARCH_V3_PRESETS[env.preset].space, budget: r.budget, samples } as CandidatesFile);
    env.ctx.run?.writeJson(predictorPath, r.acquisition);
    const tau = (r.predictor as { kendallTau?: number } | undefined)?.kendallTau;
    return { candidates: { from: 'autotrain', count: samples.length, path: candidatesPath }, predictor: { path: predictorPath, ...(tau !== undefined ? { kendallTau: tau } : {}) } };
  },
  summarize: (r: Record<string, unknown>) =>
    'recipe' in r ? { accuracy: r.accuracy, budget: r.budget } : { candidates: (r.samples as unknown[]).length, budget: r.budget, predictorTau: (r.predictor as { kendallTau?: number }).kendallTau },
});

// ── acc-predictor ────────────────────────────────────────────────────────────────────────────
registerPipelineStage({
  name: 'acc-predictor',
  summary: 'fit the accuracy predictor (encoder + accuracy head, Huber loss, frozen then fine-tuned) on the scored candidates',
  options: z.object({ frozenEpochs: z.number().int().positive().optional(), fineTuneEpochs: z.number().int().positive().optional(), heldOutFraction: z.number().min(0).max(0.5).default(0.2) }).strict(),
  consumes: () => [{ kind: 'candidates' }, { kind: 'predictor', optional: true }],
  produces: () => ['predictor'],
  start: (a, o, env) => {
    const file = readRunJson<CandidatesFile>(env, a.candidates!.path);
    const encode = candidateEncoder(file);
    const all: PredictorSample[] = file.samples.filter((s) => Number.isFinite(s.accuracy)).map((s) => ({ ...encode(s.point), accuracy: s.accuracy }));
    // A seeded, fixed share is held out: the predictor is judged on candidates it did not see.
    const nHeld = Math.floor(all.length * o.heldOutFraction);
    const base = a.predictor ? readRunJson<SerializedPredictor>(env, a.predictor.path) : undefined;
    const p = SEARCH_V3_PRESETS[env.preset].fit;
    const fit = { ...p, ...(o.frozenEpochs ? { frozenEpochs: o.frozenEpochs } : {}), ...(o.fineTuneEpochs ? { fineTuneEpochs: o.fineTuneEpochs } : {}) };
    if (!base && !all.length) throw new FbnetError('USAGE', `stage ${env.index + 1} "acc-predictor": ${a.candidates!.path} has no scored candidate to fit on`);
    // Without an earlier predictor, a fresh one as wide as the candidates' encoding.
    const config = base ? {} : { config: { archDim: all[0].arch.length, recipeDim: all[0].recipe.length } };
    return fitPredictorStage({ ...(base ? { predictor: base } : config), samples: all.slice(nHeld), heldOut: all.slice(0, nHeld), fit }, env.ctx);
  },
  collect: (r, _o, env) => {
    const path = `${env.ctx.prefix ?? ''}predictor-fitted.json`;
    env.ctx.run?.writeJson(path, r.predictor);
    return { predictor: { path, ...(r.heldOut ? { kendallTau: r.heldOut.kendallTau } : {}) } };
  },
  summarize: (r) => ({ train: r.train, heldOut: r.heldOut }),
});

// ── evolutionary-search ──────────────────────────────────────────────────────────────────────
registerPipelineStage({
  name: 'evolutionary-search',
  summary: 'constrained adaptive evolution: over the joint arch + recipe space with the accuracy predictor (FBNetV3 fine stage), or over the layer-wise space with the accuracy predictor of a layer-wise coarse stage or a cost fitness',
  options: z
    .object({
      /** predictor: maximise predicted accuracy; flops/params: the largest net within the constraints; latency: the fastest. */
      fitness: z.enum(['predictor', 'flops', 'params', 'latency']).default('predictor'),
      /**
       * The space searched: `joint` (the V3 joint arch + recipe space; predictor only) or `space`
       * (the pipeline's layer-wise space). Default: joint for the predictor, space for a cost.
       */
      over: z.enum(['joint', 'space']).optional(),
      /** Joint space preset for `over: joint` (default: the candidates' space, else the V3 preset's). */
      space: z.string().min(1).optional(),
      constraints: constraintsSchema.optional(),
      /**
       * A latency budget that holds on any device: this far from the space's fastest arch (0) to its
       * slowest (1) by the table, e.g. 0.3. Sets constraints.maxLatencyMs (layer-wise space only).
       */
      latencyBudget: z.number().min(0).max(1).optional(),
      populationSize: z.number().int().positive().optional(),
      childrenPerGeneration: z.number().int().positive().optional(),
      maxGenerations: z.number().int().positive().optional(),
      patience: z.number().int().positive().optional(),
    })
    .strict()
    .superRefine((o, ctx) => {
      const over = evolutionOver(o);
      if (over === 'joint' && o.fitness !== 'predictor') ctx.addIssue({ code: 'custom', message: `fitness "${o.fitness}" runs over the layer-wise space (over: "space"); over: "joint" needs fitness "predictor"`, path: ['over'] });
      if (over === 'space' && o.space !== undefined) ctx.addIssue({ code: 'custom', message: 'space names a joint-space preset; over: "space" searches the pipeline\'s space', path: ['space'] });
      if (over === 'joint' && o.latencyBudget !== undefined) ctx.addIssue({ code: 'custom', message: 'latencyBudget applies to the layer-wise space (over: "space"); give constraints.maxLatencyMs', path: ['latencyBudget'] });
    }),
  consumes: (o) => {
    const over = evolutionOver(o);
    const latency = o.fitness === 'latency' || o.constraints?.maxLatencyMs !== undefined || o.latencyBudget !== undefined;
    return [
      ...(o.fitness === 'predictor' ? [{ kind: 'predictor' as const }, { kind: 'candidates' as const, optional: true }] : []),
      ...(over === 'space' ? [{ kind: 'space' as const }] : []),
      ...(latency ? [{ kind: 'latency-table' as const }] : []),
    ];
  },
  produces: (o) => (evolutionOver(o) === 'joint' ? ['arch', 'recipe'] : ['arch']),
  start: (a, o, env) => {
    const p = SEARCH_V3_PRESETS[env.preset];
    const { fitness: kind, over: _over, space: spaceName, constraints: given, latencyBudget, ...sizes } = o;
    const over = evolutionOver(o);
    const where = `stage ${env.index + 1} "evolutionary-search"`;
    let c = given;
    if (latencyBudget !== undefined) {
      if (over === 'joint') throw new FbnetError('USAGE', `${where}: latencyBudget applies to the layer-wise space; give constraints.maxLatencyMs`);
      const m = latencyMatrix(a.space!, tableOf(a, env));
      const fastest = m.fixedMs + m.ms.reduce((s, row) => s + Math.min(...row), 0);
      const slowest = m.fixedMs + m.ms.reduce((s, row) => s + Math.max(...row), 0);
      c = { ...c, maxLatencyMs: fastest + latencyBudget * (slowest - fastest) };
      env.ctx.run?.appendEvent({ type: 'stage/log', stage: 'evolutionary-search', level: 'info', message: `latency budget ${c.maxLatencyMs!.toFixed(4)} ms (${latencyBudget} of ${fastest.toFixed(4)}–${slowest.toFixed(4)} ms)` } as never);
    }
    const table = a['latency-table'] ? tableOf(a, env) : undefined;
    const options = { ...p.evolution, ...sizes };
    if (kind === 'predictor' && over === 'space') {
      // FBNetV3's fine stage over a layer-wise space: the predictor of a coarse stage over the same space.
      const space = a.space!;
      const predictor = readRunJson<SerializedPredictor>(env, a.predictor!.path);
      // The predictor must read this space's encoding (archSpaceGenome's, as the coarse stage fitted it).
      const width = archSpaceGenome(space).encode!(pointToChoice(space, Object.fromEntries(archSlots(space).map((x) => [x.key, 0])))).arch.length;
      const dims = predictor.meta?.config;
      if (dims && (dims.archDim !== width || dims.recipeDim !== 0)) {
        throw new FbnetError('USAGE', `${where}: the predictor in ${a.predictor!.path} reads ${dims.archDim} + ${dims.recipeDim} inputs; the space ${space.name} encodes to ${width} + 0 (fit it on candidates of this space: autotrain over: "space")`);
      }
      const cands = a.candidates ? readRunJson<CandidatesFile>(env, a.candidates.path) : undefined;
      if (cands && cands.kind !== 'arch') throw new FbnetError('USAGE', `${where}: over: "space" needs candidates of a layer-wise space; ${a.candidates!.path} holds points of the joint space ${cands.space}`);
      if (cands && JSON.stringify(cands.space) !== JSON.stringify(space)) throw new FbnetError('USAGE', `${where}: the candidates in ${a.candidates!.path} are points of the space ${cands.space.name} as it was then, not of the space this stage searches (${space.name})`);
      const initial = cands ? cands.samples.filter((x) => Number.isFinite(x.accuracy)).sort((x, y) => y.accuracy - x.accuracy).map((x) => pointToChoice(space, x.point)) : undefined;
      return evolutionStage(
        { space: { kind: 'arch', space }, fitness: { kind: 'predictor', predictor }, constraints: c ?? {}, ...(table ? { latencyTable: table } : {}), ...(initial ? { initial } : {}), options },
        env.ctx,
      );
    }
    if (kind === 'predictor') {
      const predictor = readRunJson<SerializedPredictor>(env, a.predictor!.path);
      const cands = a.candidates ? readRunJson<CandidatesFile>(env, a.candidates.path) : undefined;
      if (cands?.kind === 'arch') throw new FbnetError('USAGE', `${where}: the candidates in ${a.candidates!.path} are points of the layer-wise space ${cands.space.name}; search it with over: "space"`);
      const space = getJointSpacePreset(spaceName ?? (cands as { space: string } | undefined)?.space ?? p.space);
      const initial = cands ? [...cands.samples].sort((x, y) => y.accuracy - x.accuracy).map((s) => s.point) : undefined;
      return evolutionStage(
        { space: { kind: 'joint', space }, fitness: { kind: 'predictor', predictor }, constraints: { ...p.constraints, ...c }, ...(table ? { latencyTable: table } : {}), ...(initial ? { initial } : {}), options },
        env.ctx,
      );
    }
    const fitness: FitnessSpec = kind === 'latency' ? { kind, table: table! } : { kind };
    return evolutionStage({ space: { kind: 'arch', space: a.space! }, fitness, constraints: c ?? {}, ...(table ? { latencyTable: table } : {}), options }, env.ctx);
  },
  collect: (r, o, env) => {
    const arch = parseArchDef({ ...r.arch, name: r.arch.name ?? `fbnet-evolved-${env.ctx.seed}` });
    env.ctx.run?.writeJson(`${env.ctx.prefix ?? ''}arch.json`, arch);
    env.ctx.run?.writeJson(`${env.ctx.prefix ?? ''}evolution.json`, { fitness: r.fitness, best: r.best, generations: r.generations });
    return evolutionOver(o) === 'joint' ? { arch, recipe: r.recipe as TrainRecipeInput } : { arch };
  },
  summarize: (r) => ({ fitness: r.fitness, bestScore: r.best.score, generations: r.generations }),
});

// ── jointnas (V3 end to end) ─────────────────────────────────────────────────────────────────
/** autotrain's `QueueSpec` as pipeline data. */
const queueSpecSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('in-process') }).strict(),
  z
    .object({
      kind: z.literal('processes'),
      workers: z.number().int().positive().optional(),
      threads: z.number().int().positive().optional(),
      backend: z.string().min(1).optional(),
    })
    .strict(),
  z.object({ kind: z.literal('redis'), connection: z.string().min(1), queueName: z.string().min(1).optional() }).strict(),
]);

registerPipelineStage({
  name: 'jointnas',
  summary: 'FBNetV3 end to end (what `fbnet search v3` runs): coarse stage, fine stage, verification, final training, export',
  family: 'v3',
  options: z
    .object({
      constraints: constraintsSchema.optional(),
      dataDir: z.string().min(1).optional(),
      /** A latency table file (this device's, unless forceLut) for latency constraints and predictions. */
      lut: z.string().min(1).optional(),
      forceLut: z.boolean().default(false),
      /**
       * Where candidates train (default in this process): a Redis URL (candidates train on `fbnet worker`
       * processes), or a queue spec: `{ kind: "processes", workers, threads?, backend? }` trains them in
       * `workers` child processes on this machine (each with `threads` threads, default 1, on `backend`,
       * default the pipeline's, with its kernel plan); `{ kind: "redis", connection, queueName? }`.
       */
      queue: z.union([z.string().min(1), queueSpecSchema]).optional(),
    })
    .strict(),
  consumes: () => [{ kind: 'latency-table', optional: true }],
  produces: () => ['arch', 'recipe', 'model'],
  start: (a, o, env) => {
    const device = nodeFingerprint(env.ctx.backend.plugin as BackendPlugin, env.ctx.backend.plan as KernelPlan | undefined);
    const table = o.lut ? loadLut(o.lut, { device, force: o.forceLut }) : a['latency-table'] ? tableOf(a, env) : undefined;
    const user = userData(env);
    if (user && o.dataDir) throw new FbnetError('USAGE', `stage ${env.index + 1} "jointnas": dataDir names Fashion-MNIST files, but the pipeline's data is ${user.path}; give one`);
    return jointnasStage(
      {
        preset: env.preset,
        ...(user ? { data: user } : {}),
        ...(table ? { latencyTable: table } : {}),
        ...(o.constraints ? { constraints: o.constraints } : {}),
        ...(o.dataDir ? { dataDir: o.dataDir } : {}),
        ...(o.queue ? { queue: typeof o.queue === 'string' ? { kind: 'redis' as const, connection: o.queue } : o.queue } : {}),
      },
      env.ctx,
    );
  },
  collect: (r, _o, env) => {
    const run = env.ctx.run!;
    const arch = parseArchDef(readRunJson<ArchDef>(env, relative(run.path, r.archPath)));
    const cost = archCost(arch);
    return {
      arch,
      recipe: r.recipe as TrainRecipeInput,
      model: { modelPath: relative(run.path, r.modelPath), archPath: relative(run.path, r.archPath), params: cost.params, flops: cost.flops, testAccuracy: r.testAccuracy, ...(r.valAccuracy !== undefined ? { valAccuracy: r.valAccuracy } : {}) },
    };
  },
  summarize: (r) => ({ testAccuracy: r.testAccuracy, predictedAccuracy: r.predictedAccuracy, chosenFrom: r.chosenFrom, candidatesTrained: r.candidatesTrained }),
});

// ── train, export, report ────────────────────────────────────────────────────────────────────
registerPipelineStage({
  name: 'train',
  summary: 'train the arch from scratch (recipe: options.recipe, else an earlier recipe, else the preset family’s final recipe); a V2 arch trains on inputs subsampled to its resolution',
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
    return trainStage({ arch: a.arch!, recipe, name: o.name ?? 'final' }, dataAt(env.ctx, a.arch!.input_size));
  },
  collect: (r, _o, env, given): ArtifactBag => {
    env.ctx.run?.writeJson(`${env.ctx.prefix ?? ''}final.json`, { testAccuracy: r.testAccuracy, valAccuracy: r.valAccuracy, weights: r.weights, epochs: r.epochs });
    return { weights: { path: r.weights, arch: given.arch!, testAccuracy: r.testAccuracy, valAccuracy: r.valAccuracy, epochs: r.epochs } };
  },
  summarize: (r) => ({ epochs: r.epochs, testAccuracy: r.testAccuracy, valAccuracy: r.valAccuracy, params: r.params }),
});

/** Export of a net that trained below the data's size: the model takes the data's size and subsamples inside (V2 resolution search). */
const exportResampledStage = defineStage<{ arch: ArchDef; weights: string; inputSize: number }, { modelPath: string; archPath: string; params: number; flops: number; bytes: number }>(
  'export',
  async (input, ctx, io) => {
    const run = ctx.run;
    if (!run) throw new FbnetError('USAGE', 'the export stage needs a run directory (context.run)');
    const net = loadTrainedNet(input.arch, run.file(input.weights), ctx.seed);
    try {
      if (io.signal.aborted) return undefined as never;
      const model = await exportV2Model(net, run.file(`${ctx.prefix ?? ''}model`), input.inputSize);
      const archPath = `${ctx.prefix ?? ''}model/arch.json`;
      run.writeJson(archPath, input.arch);
      const cost = archCost(input.arch);
      return { modelPath: relative(run.path, model.modelJson), archPath, params: cost.params, flops: cost.flops, bytes: model.bytes };
    } finally {
      net.dispose();
    }
  },
);

/** final.json (the trained net's figures, for the report and resumed runs) also names the exported model. */
function recordModelPath(env: StageEnv, modelPath: string): ArtifactBag {
  const name = `${env.ctx.prefix ?? ''}final.json`;
  const f = env.ctx.run?.readJson<Record<string, unknown>>(name);
  if (f) env.ctx.run?.writeJson(name, { ...f, modelPath });
  return {};
}

registerPipelineStage({
  name: 'export',
  summary: 'write the trained net as a TF.js Layers model (model.json, weights.bin, arch.json) taking raw images of the data’s size',
  options: z.object({}).strict(),
  consumes: () => [{ kind: 'weights' }],
  produces: () => ['model'],
  start: (a, _o, env) => {
    const arch = parseArchDef(a.weights!.arch);
    const size = env.ctx.data?.train.height ?? arch.input_size;
    if (size !== arch.input_size) return exportResampledStage({ arch, weights: a.weights!.path, inputSize: size }, env.ctx);
    return exportStage({ arch, weights: a.weights!.path }, env.ctx);
  },
  collect: (r, _o, env, given) => ({
    ...recordModelPath(env, r.modelPath),
    model: { modelPath: r.modelPath, archPath: r.archPath, params: r.params, flops: r.flops, ...(given.weights?.testAccuracy !== undefined ? { testAccuracy: given.weights.testAccuracy } : {}), ...(given.weights?.valAccuracy !== undefined ? { valAccuracy: given.weights.valAccuracy } : {}) },
  }),
  summarize: (r) => ({ params: r.params, flops: r.flops, bytes: r.bytes }),
});

registerPipelineStage({
  name: 'report',
  summary: 'the run’s self-contained HTML report (plots of every stage that ran)',
  options: z.object({}).strict(),
  consumes: () => [],
  produces: () => ['report'],
  start: (_a, _o, env) => reportStage({}, env.ctx),
  collect: (r) => ({ report: { reportPath: r.reportPath } }),
});
