import { FbnetError, formatZodIssues, type ArtifactKind } from '@fbnet/core';
import type { z } from 'zod';
import { PIPELINE_STAGES, producersOf, type PipelineStage, type PresetFamily } from './catalog.ts';
import type { Pipeline } from './schema.ts';

/** A pipeline after its type check: every stage's options parsed, every input's source known. */
export interface CheckedStage {
  index: number;
  name: string;
  stage: PipelineStage;
  options: Record<string, unknown>;
  /** Where each consumed kind comes from: the index of the stage that produced it. */
  inputs: Partial<Record<ArtifactKind, number>>;
  produces: ArtifactKind[];
  family: PresetFamily;
}

/** Kinds a pipeline starts with: the search space of its preset (adapted to the data). */
export const INITIAL_ARTIFACTS: readonly ArtifactKind[] = ['space'];

/**
 * Type-check a pipeline before any work: every stage is known, its options are valid, and every
 * input it needs was produced by an earlier stage (the nearest one wins). A mismatch is a usage
 * error naming the stage, the missing input, and the stages that could produce it.
 */
export function checkPipeline(p: Pipeline): CheckedStage[] {
  const made = new Map<ArtifactKind, number>(INITIAL_ARTIFACTS.map((k) => [k, -1]));
  const out: CheckedStage[] = [];
  let family: PresetFamily = firstFamily(p);
  p.stages.forEach((entry, index) => {
    const { stage: name, ...raw } = entry;
    const where = `stage ${index + 1} "${name}"`;
    if (!PIPELINE_STAGES.has(name)) {
      throw new FbnetError('USAGE', `${where}: unknown stage; known: ${PIPELINE_STAGES.keys().join(', ')}`);
    }
    const stage = PIPELINE_STAGES.get(name) as unknown as PipelineStage;
    const parsed = (stage.options as z.ZodType).safeParse(raw);
    if (!parsed.success) throw new FbnetError('USAGE', `${where}: invalid options: ${formatZodIssues(parsed.error as z.ZodError)}`);
    const options = parsed.data as Record<string, unknown>;
    const inputs: Partial<Record<ArtifactKind, number>> = {};
    for (const c of stage.consumes(options, p.preset)) {
      const from = made.get(c.kind);
      if (from === undefined) {
        if (c.optional) continue;
        const later = p.stages.findIndex((s, j) => j > index && PIPELINE_STAGES.has(s.stage) && producersOf(c.kind).includes(s.stage));
        const producers = producersOf(c.kind);
        const hint = later >= 0 ? `; stage ${later + 1} "${p.stages[later].stage}" produces it but comes after` : producers.length ? `; it is produced by ${producers.join(', ')}` : '';
        throw new FbnetError('USAGE', `${where} needs ${KIND_NOUNS[c.kind]} (${c.kind}), and no earlier stage produces it${hint}`);
      }
      inputs[c.kind] = from;
    }
    if (stage.family) family = stage.family;
    const produces = stage.produces(options);
    for (const k of produces) made.set(k, index);
    out.push({ index, name, stage, options, inputs, produces, family });
  });
  return out;
}

/** The family of the first search stage (its preset sizes the data); V1 when there is none. */
export function firstFamily(p: Pipeline): PresetFamily {
  for (const s of p.stages) {
    if (!PIPELINE_STAGES.has(s.stage)) continue;
    const f = (PIPELINE_STAGES.get(s.stage) as unknown as PipelineStage).family;
    if (f) return f;
  }
  return 'v1';
}

/** What each kind is, for messages. */
export const KIND_NOUNS: Record<ArtifactKind, string> = {
  space: 'a search space',
  'latency-table': 'a latency table',
  arch: 'an arch',
  candidates: 'scored candidates',
  predictor: 'an accuracy predictor',
  recipe: 'a training recipe',
  weights: 'trained weights',
  model: 'an exported model',
  report: 'a report',
};
