import { z } from 'zod';
import { FbnetError, formatZodIssues, type ArchDef, type EventUnion } from '@fbnet/core';
import type { TrainRecipe } from '@fbnet/train';
import type { Observable } from 'rxjs';

/** Where a candidate's training data comes from: a deterministic, class-balanced cut of Fashion-MNIST's train split. */
export const dataSpecSchema = z
  .object({
    source: z.literal('fashion-mnist'),
    /** Directory of the published files; absent: the bundled subset. */
    dataDir: z.string().optional(),
    trainImages: z.number().int().positive(),
    valImages: z.number().int().positive(),
    seed: z.number().int(),
  })
  .strict();
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
