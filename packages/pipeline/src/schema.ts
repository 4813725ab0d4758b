import { existsSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import { FbnetError, formatZodIssues } from '@fbnet/core';
import { FILE_SIZE_CAPS, readJsonCapped } from '@fbnet/core/node';
import { DATA_FORMATS } from '@fbnet/data';

export const PIPELINE_PRESETS = ['smoke', 'quick', 'full'] as const;
export type PipelinePreset = (typeof PIPELINE_PRESETS)[number];

const dataSchema = z.discriminatedUnion('source', [
  z.object({ source: z.literal('fashion-mnist'), dataDir: z.string().min(1).optional() }).strict(),
  z
    .object({
      source: z.literal('path'),
      path: z.string().min(1),
      format: z.enum(DATA_FORMATS).optional(),
      size: z.number().int().min(8).max(1024).optional(),
    })
    .strict(),
]);

/** One entry of `stages`: the stage's name and its options (checked against the stage's own schema). */
const stageEntrySchema = z.object({ stage: z.string().min(1) }).catchall(z.unknown());

/** A pipeline file (docs/pipelines.md). */
export const pipelineSchema = z
  .object({
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    preset: z.enum(PIPELINE_PRESETS).default('quick'),
    backend: z.string().min(1).default('wasm'),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(0),
    data: dataSchema.default({ source: 'fashion-mnist' }),
    stages: z.array(stageEntrySchema).min(1, 'a pipeline needs at least one stage'),
  })
  .strict();

export type PipelineInput = z.input<typeof pipelineSchema>;
export type Pipeline = z.output<typeof pipelineSchema>;
export type PipelineStageEntry = Pipeline['stages'][number];

/** Check a pipeline given as data (`where` names it in errors). */
export function parsePipeline(value: unknown, where = 'pipeline'): Pipeline {
  const r = pipelineSchema.safeParse(value);
  if (!r.success) throw new FbnetError('FILE_INVALID', `invalid pipeline ${where}: ${formatZodIssues(r.error)}`);
  return r.data;
}

/** Read and check a pipeline file. */
export function readPipelineFile(path: string): Pipeline {
  const file = resolve(path);
  if (!existsSync(file)) throw new FbnetError('USAGE', `pipeline file ${path} does not exist`);
  const json = readJsonCapped(file, 'pipeline file', FILE_SIZE_CAPS.archDef);
  const p = parsePipeline(json, file);
  // A data path in the file is relative to the file (the file can be run from anywhere).
  if (p.data.source === 'path' && !isAbsolute(p.data.path)) p.data = { ...p.data, path: resolve(dirname(file), p.data.path) };
  if (p.data.source === 'fashion-mnist' && p.data.dataDir && !isAbsolute(p.data.dataDir)) p.data = { ...p.data, dataDir: resolve(dirname(file), p.data.dataDir) };
  return p;
}
