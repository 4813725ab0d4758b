import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Observable } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FbnetError } from '@fbnet/core';
import { encodeIdx, FASHION_MNIST_FILES } from '@fbnet/data';
import type { CandidateEvent, CandidateJob, EvaluationQueue } from '../candidate/job.ts';
import { InProcessQueue } from '../queue/in-process.ts';
import { getJointSpacePreset } from '../space/presets.ts';
import { runStage } from '@fbnet/core';
import { coarseSearchStage, type CoarseSearchInput } from './coarse-search.ts';

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const options = (o: Partial<CoarseSearchInput>): CoarseSearchInput => ({
  space: getJointSpacePreset('fbnet-v3-tiny'),
  data: { source: 'fashion-mnist', trainImages: 100, valImages: 50, seed: 2 },
  queue: new InProcessQueue(),
  proxy: { samples: 20, epochs: 1 },
  fit: { frozenEpochs: 2, fineTuneEpochs: 2 },
  earlyStop: { candidates: 3, threshold: 0.5 },
  iterations: 1,
  perIteration: 2,
  poolSize: 8,
  ...o,
});

async function failure(input: CoarseSearchInput): Promise<FbnetError> {
  const err = await runStage(coarseSearchStage(input, { seed: 4, backend: { id: 'cpu' } })).then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(FbnetError);
  return err as FbnetError;
}

/** A queue whose every job fails with `errorOf(index)`. */
function failingQueue(errorOf: (i: number) => string): EvaluationQueue {
  return {
    kind: 'failing',
    submit: (jobs: CandidateJob[]) =>
      new Observable<CandidateEvent>((sub) => {
        jobs.forEach((j, i) => sub.next({ type: 'queue/job-failed', jobId: j.id, error: errorOf(i), attempts: 1 }));
        sub.complete();
      }),
  };
}

describe('coarseSearchStage: a failure every candidate shares is the run error', () => {
  it('a corrupt data dir: the run fails with the data error (label outside 0..9), not the early-stopping rule', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fbnet-corrupt-data-'));
    const n = 200;
    writeFileSync(join(dir, FASHION_MNIST_FILES.train.images), encodeIdx({ dtype: 'ubyte', dims: [n, 28, 28], data: new Uint8Array(n * 784) }));
    writeFileSync(join(dir, FASHION_MNIST_FILES.train.labels), encodeIdx({ dtype: 'ubyte', dims: [n], data: new Uint8Array(n).fill(200) }));
    const err = await failure((options({ data: { source: 'fashion-mnist', dataDir: dir, trainImages: 100, valImages: 50, seed: 2 } })));
    expect(err.code).toBe('DATA_CORRUPT');
    expect(err.message).toMatch(/train-labels-idx1-ubyte: label 200 at index 0 is outside 0\.\.9/);
    expect(err.message).toMatch(/every one of the 3 candidate\(s\) of the early-stopping set failed with this error/);
    expect(err.message).not.toMatch(/early-stopping rule needs/);
  }, 60_000);

  it('candidates failing differently: the run error lists the distinct errors, most frequent first', async () => {
    const err = await failure((options({ queue: failingQueue((i) => (i < 2 ? 'worker out of memory' : 'backend lost')) })));
    expect(err.message).toBe('3 of the 3 candidate(s) of the early-stopping set failed: worker out of memory (2×); backend lost (1×)');
  }, 60_000);
});
