import { isAbsolute } from 'node:path';
import { z } from 'zod';
import { DATA_FORMATS } from '@fbnet/data';
import { FbnetError, formatZodIssues, type ArchDef, type EventUnion } from '@fbnet/core';
import type { TrainRecipe } from '@fbnet/train';
import type { Observable } from 'rxjs';

/** Image counts and split seed every data spec carries: the candidate's class-balanced cut. */
const cutFields = {
  trainImages: z.number().int().positive(),
  valImages: z.number().int().positive(),
  seed: z.number().int(),
};

/** A deterministic, class-balanced cut of Fashion-MNIST's train split (bundled subset, or the published files in `dataDir`). */
export const fashionMnistDataSpecSchema = z
  .object({
    source: z.literal('fashion-mnist'),
    /** Directory of the published files; absent: the bundled subset. */
    dataDir: z.string().optional(),
    ...cutFields,
  })
  .strict();

/**
 * The user's data set (`--data`: image folder, IDX, CIFAR-10 binary) as `@fbnet/data`'s
 * `loadDataset` reads it: a candidate cuts its images from the training split the stage's final
 * training uses (same `valFraction` and seed), so the search never sees the validation or test split.
 * Workers load it from `path` themselves: it must name the same data on every machine.
 */
export const pathDataSpecSchema = z
  .object({
    source: z.literal('path'),
    /** Absolute path of the data set (workers in other processes resolve nothing against the coordinator's cwd). */
    path: z.string().min(1).refine(isAbsolute, 'must be an absolute path'),
    format: z.enum(DATA_FORMATS).optional(),
    /** Square side the images are resized to when loaded (default: their own size). */
    size: z.number().int().positive().optional(),
    /** The stage's validation share of the training files (`loadDataset`'s `valFraction`): fixes its training split. */
    valFraction: z.number().min(0).lt(1),
    ...cutFields,
  })
  .strict();

/** Where a candidate's training data comes from. */
export const dataSpecSchema = z.discriminatedUnion('source', [fashionMnistDataSpecSchema, pathDataSpecSchema]);
export type DataSpec = z.infer<typeof dataSpecSchema>;

/** One candidate to train: plain JSON, so it can cross processes and machines (BullMQ job data). */
export interface CandidateJob {
  /** Unique and stable: the same candidate and budget always get the same id (results are keyed by it). */
  id: string;
  arch: ArchDef;
  /** The candidate's full recipe (its schedule spans `recipe.epochs`). */
  recipe: TrainRecipe;
  /** Train this many epochs of the recipe's schedule, then stop (early stopping); ≤ recipe.epochs. */
  epochs: number;
  seed: number;
  data: DataSpec;
}

export const candidateJobSchema = z
  .object({
    id: z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only'),
    arch: z.record(z.string(), z.unknown()),
    recipe: z.record(z.string(), z.unknown()),
    epochs: z.number().int().positive(),
    seed: z.number().int(),
    data: dataSpecSchema,
  })
  .strict();

export function parseCandidateJob(input: unknown): CandidateJob {
  const r = candidateJobSchema.safeParse(input);
  if (!r.success) throw new FbnetError('USAGE', `invalid candidate job: ${formatZodIssues(r.error)}`);
  return r.data as unknown as CandidateJob;
}

/** What training a candidate measured. */
export interface CandidateResult {
  id: string;
  /** Validation accuracy after `epochs` epochs (chance level when training diverged). */
  accuracy: number;
  /** Validation accuracy after each epoch. */
  curve: number[];
  epochs: number;
  /** Mean training loss of the last epoch (null when training diverged). */
  trainLoss: number | null;
  /** Training stopped on a non-finite loss. */
  diverged: boolean;
  params: number;
  seconds: number;
  imagesPerSec: number;
  /** Who trained it (`host:pid`, or `in-process`). */
  worker: string;
}

export type CandidateEventMap = {
  'queue/job-submitted': { jobId: string };
  'queue/job-started': { jobId: string; worker: string; attempt: number };
  'queue/job-progress': { jobId: string; epoch: number; valAccuracy?: number };
  /** Exactly once per job id, whoever trained it and however often it was retried. */
  'queue/job-completed': { jobId: string; result: CandidateResult; cached: boolean };
  /** The job failed for good (attempts exhausted). */
  'queue/job-failed': { jobId: string; error: string; attempts: number; code?: string };
};
export type CandidateEvent = EventUnion<CandidateEventMap>;

/**
 * Candidate evaluation behind one interface: in process (default) or through a BullMQ queue
 * on Redis with workers on other machines. `submit` returns a cold stream that completes when
 * every job has completed or failed; unsubscribing stops waiting (in process: stops training).
 */
export interface EvaluationQueue {
  readonly kind: string;
  submit(jobs: CandidateJob[]): Observable<CandidateEvent>;
  close?(): Promise<void>;
}
