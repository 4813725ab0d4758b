import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StageContext } from '@fbnet/core';
import { RunDir } from '@fbnet/runs';
import type { DataSpec } from '../candidate/job.ts';
import type { JointSpace } from '../space/joint-space.ts';
import type { CoarseSearchInput } from './coarse-search.ts';

/** A stage context for the coarse/recipe stage tests: cpu backend, a fresh run in a temp folder. */
export function stageTestContext(seed: number, name: string): StageContext {
  return { seed, backend: { id: 'cpu' }, run: RunDir.create(join(mkdtempSync(join(tmpdir(), `fbnet-${name}-`)), 'run'), { command: 'test', seed, options: {} }) };
}

/** The small Fashion-MNIST run the coarse-stage tests share: 100 train / 50 val images, in-process queue, 4 early-stop candidates, 2 iterations. */
export const SMALL_COARSE_RUN = {
  data: { source: 'fashion-mnist' as const, trainImages: 100, valImages: 50, seed: 2 },
  queue: { kind: 'in-process' as const },
  earlyStop: { candidates: 4, threshold: 0.5 },
  iterations: 2,
};

/** The tiny coarse stage the queue tests run through each queue kind and compare with the in-process result. */
export function tinyCoarseInput(space: JointSpace, data: DataSpec): CoarseSearchInput {
  return { space, data, proxy: { samples: 20, epochs: 2 }, fit: { frozenEpochs: 3, fineTuneEpochs: 3 }, earlyStop: { candidates: 3, threshold: 0.5 }, iterations: 1, perIteration: 2, poolSize: 8, noiseCeiling: 0 };
}
