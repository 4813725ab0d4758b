import type { Observable } from 'rxjs';
import type { z } from 'zod';
import { Registry, type ArchDef, type ArtifactKind, type SearchSpace, type StageContext, type StageEvent } from '@fbnet/core';
import type { StageData } from '@fbnet/data';
import type { LatencyTable } from '@fbnet/latency-lut';
import type { TrainRecipeInput } from '@fbnet/train';
import type { PipelinePreset } from './schema.ts';

/**
 * What stages hand each other, by kind. Everything is plain data: files (weights, the model,
 * the report, a latency table) travel as paths relative to the run directory.
 */
export interface Artifacts {
  /** A layer-wise search space (core's `SearchSpace`: V1 candidates, V2 channel/resolution ranges). */
  space: SearchSpace;
  'latency-table': { path: string; entries: number; device: string };
  arch: ArchDef;
  /** Scored candidates (arch [+ recipe] → accuracy), e.g. the V3 coarse stage's or an evolution's ranking. */
  candidates: { from: string; count: number; path: string };
  /** A fitted accuracy predictor, serialized (path of its JSON in the run). */
  predictor: { path: string; kendallTau?: number };
  recipe: TrainRecipeInput;
  /** Trained weights (a checkpoint in the run) and the arch they belong to. */
  weights: { path: string; arch: ArchDef; testAccuracy?: number; valAccuracy?: number; epochs: number };
  /** An exported model (paths relative to the run) with its cost and the trained net's accuracy. */
  model: { modelPath: string; archPath: string; params: number; flops: number; testAccuracy?: number; valAccuracy?: number };
  report: { reportPath: string };
}
export type ArtifactBag = { [K in ArtifactKind]?: Artifacts[K] };

/** The searches whose presets size a stage (`preset` of the pipeline picks one of each). */
export type PresetFamily = 'v1' | 'v2' | 'v3';

/** What a stage of a pipeline runs with. */
export interface StageEnv {
  preset: PipelinePreset;
  /** The stage's context: seed, backend, data, the run (with this stage's checkpoint prefix). */
  ctx: StageContext<StageData>;
  /** Position in the pipeline (0-based). */
  index: number;
  /** The preset family of the nearest earlier search stage (decides the train recipe and the data limits). */
  family: PresetFamily;
  /** Absolute path of a file of the run (what `ctx.run.file` gives). */
  file(name: string): string;
}

export interface Consumption {
  kind: ArtifactKind;
  /** Optional inputs are used when an earlier stage produced them. */
  optional?: boolean;
}

/**
 * A stage as pipelines see it: its options (a strict zod schema, defaults from the preset), what
 * it consumes and produces (which may depend on its options), how to start it from the
 * artifacts so far, and which artifacts its result gives.
 */
export interface PipelineStage<O = Record<string, unknown>, R = unknown> {
  name: string;
  summary: string;
  /** The family whose preset sizes this stage, and that later `train` stages take their recipe from. */
  family?: PresetFamily;
  options: z.ZodType<O>;
  /** What it needs, given its options and the pipeline's preset (a preset may decide, e.g. V2 `full` searches on latency). */
  consumes(options: O, preset: PipelinePreset): Consumption[];
  produces(options: O): ArtifactKind[];
  start(artifacts: ArtifactBag, options: O, env: StageEnv): Observable<StageEvent<R>>;
  /** The artifacts the result gives (`inputs`: the artifacts the stage was started with). */
  collect(result: R, options: O, env: StageEnv, inputs: ArtifactBag): ArtifactBag;
  /** A few figures for the final `--json` line's `stages` entry. */
  summarize?(result: R): Record<string, unknown>;
}

/** Every stage a pipeline file may name (`stage`); packages and users add theirs with `registerPipelineStage`. */
export const PIPELINE_STAGES = new Registry<PipelineStage<never, never>>('pipeline stage');

export function registerPipelineStage<O, R>(stage: PipelineStage<O, R>): void {
  PIPELINE_STAGES.register(stage.name, stage as unknown as PipelineStage<never, never>);
}

/** Which registered stages produce a kind (for error messages). */
export function producersOf(kind: ArtifactKind): string[] {
  return PIPELINE_STAGES.entries()
    .filter(([, s]) => {
      try {
        return (s as unknown as PipelineStage).produces((s.options as z.ZodType).parse({}) as Record<string, unknown>).includes(kind);
      } catch {
        return false;
      }
    })
    .map(([n]) => n);
}
