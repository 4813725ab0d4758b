import { FbnetError, isFbnetError } from '@fbnet/core';
import { Trainer } from '@fbnet/train';
import { loadCandidateData } from './data.ts';
import type { CandidateJob, CandidateResult } from './job.ts';

export interface TrainCandidateOptions {
  worker?: string;
  /** Called after every epoch (progress events). */
  onEpoch?: (epoch: number, valAccuracy: number | undefined) => void;
  /** Stop early when this returns true (checked every step). */
  cancelled?: () => boolean;
}

/**
 * Train one candidate on the active TF.js backend: the recipe's schedule, stopped after
 * `job.epochs` epochs (FBNetV3's early stopping), validation accuracy after every epoch.
 * A diverged run (non-finite loss) is a result, not an error: chance accuracy, `diverged`.
 */
export async function trainCandidate(job: CandidateJob, o: TrainCandidateOptions = {}): Promise<CandidateResult> {
  if (job.epochs > job.recipe.epochs) throw new FbnetError('USAGE', `job ${job.id}: budget ${job.epochs} epochs exceeds the recipe's ${job.recipe.epochs}`);
  const data = loadCandidateData(job.data, job.arch.input_size);
  const t0 = Date.now();
  const trainer = new Trainer({ arch: job.arch, train: data.train, val: data.val, recipe: job.recipe, seed: job.seed, normalization: data.normalization });
  const curve: number[] = [];
  let trainLoss = NaN;
  let images = 0;
  let trainSec = 0;
  const timer = o.cancelled ? setInterval(() => o.cancelled!() && trainer.cancel(), 200) : undefined;
  const sub = trainer.events$.subscribe({
    next: (e) => {
      if (e.type !== 'train/epoch-ended') return;
      curve.push(e.valAccuracy ?? NaN);
      trainLoss = e.trainLoss;
      images += e.imagesPerSec * e.seconds;
      trainSec += e.seconds;
      o.onEpoch?.(e.epoch, e.valAccuracy);
      if (e.epoch >= job.epochs) trainer.cancel();
    },
    error: () => undefined,
  });
  const params = trainer.net.store.count();
  let diverged = false;
  try {
    await trainer.run();
  } catch (e) {
    if (!(isFbnetError(e) && e.code === 'NUMERIC')) throw e;
    diverged = true;
  } finally {
    if (timer) clearInterval(timer);
    sub.unsubscribe();
    trainer.dispose();
  }
  if (!diverged && curve.length < job.epochs) throw new FbnetError('USAGE', `job ${job.id}: training stopped after ${curve.length} of ${job.epochs} epochs`);
  const chance = 1 / job.arch.num_classes;
  return {
    id: job.id,
    accuracy: diverged ? chance : curve[curve.length - 1],
    curve: diverged ? [...curve, chance] : curve,
    epochs: curve.length,
    trainLoss: diverged || !Number.isFinite(trainLoss) ? null : trainLoss,
    diverged,
    params,
    seconds: (Date.now() - t0) / 1000,
    imagesPerSec: images / Math.max(trainSec, 1e-9),
    worker: o.worker ?? 'in-process',
  };
}
