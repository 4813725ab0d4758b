import * as tf from '@tensorflow/tfjs-core';
import { Subject, type Observable } from 'rxjs';
import { FbnetError, Rng, type ArchDef, type EventUnion, type CoreEventMap, type RngState } from '@fbnet/core';
import { BatchIterator, mixup, randomCrop, randomHorizontalFlip, type ImageDataset } from '@fbnet/data';
import { countCorrect, crossEntropy, Net, type InputNormalization, type ParamSnapshot } from '@fbnet/nn';
import type { RunDir, TensorMap } from '@fbnet/runs';
import { WeightEma } from './ema.ts';
import { evaluate } from './evaluate.ts';
import { cosineLr, Optimizer } from './optimizers.ts';
import type { TrainRecipe } from './recipe.ts';

export type TrainEventMap = CoreEventMap & {
  'train/started': { params: number; stepsPerEpoch: number; epochs: number; resumedAtEpoch: number };
  'train/epoch-ended': {
    epoch: number;
    trainLoss: number;
    trainAccuracy: number;
    valAccuracy?: number;
    lr: number;
    imagesPerSec: number;
    seconds: number;
  };
  'train/checkpoint-saved': { epoch: number; step: number };
  'train/completed': { epochs: number; params: number; valAccuracy?: number; testAccuracy?: number; trainLoss: number; seconds: number };
};
export type TrainEvent = EventUnion<TrainEventMap>;

export interface TrainerOptions {
  arch: ArchDef;
  train: ImageDataset;
  val?: ImageDataset;
  test?: ImageDataset;
  recipe: TrainRecipe;
  seed: number;
  normalization: InputNormalization;
  /** Where checkpoints go (every epoch); resume picks up from the latest. */
  run?: RunDir;
  /** Checkpoint name inside the run (several trainings can share a run). */
  checkpointName?: string;
  /** Evaluate on `val` after every epoch (default true when val is given). */
  evalEveryEpoch?: boolean;
}

interface TrainMeta {
  epoch: number;
  step: number;
  batchPosition: unknown;
  rng: RngState;
  optimizer: { t: number; kind: TrainRecipe['optimizer'] };
  history: Omit<TrainEventMap['train/epoch-ended'], never>[];
  archHash: string;
}

function archHash(a: ArchDef): string {
  return JSON.stringify({ s: a.input_size, c: a.input_channels, k: a.num_classes, b: a.blocks, w: a.basic_args });
}

const isDecayed = (name: string) => /\.(w|w1|w2)$/.test(name);

/**
 * Trains one concrete arch def from scratch: seeded data order and augmentation, SGD/Adam/
 * AdamW/RMSProp with cosine schedule and warm-up, label smoothing, mixup, dropout, drop path,
 * weight EMA; checkpoints atomically every epoch and resumes exactly (same seed, same result).
 * Emits plain events on `events$`; `cancel()` stops at the next step boundary.
 */
export class Trainer {
  readonly net: Net;
  private readonly subject = new Subject<TrainEvent>();
  readonly events$: Observable<TrainEvent> = this.subject.asObservable();
  private cancelled = false;
  private readonly ckptName: string;
  private readonly keyOf: (v: tf.Variable) => string;

  constructor(private readonly o: TrainerOptions) {
    this.net = new Net(o.arch, { seed: o.seed, normalization: o.normalization, dropout: o.recipe.dropout });
    this.ckptName = o.checkpointName ?? 'train';
    const names = new Map(this.net.store.entries().map(([n, v]) => [v.name, n]));
    this.keyOf = (v) => names.get(v.name)!;
  }

  cancel(): void {
    this.cancelled = true;
  }

  private emit(e: TrainEvent): void {
    this.subject.next(e);
  }

  /** Train to the end (or cancellation). Resolves with final figures; the trained net stays in `this.net`. */
  async run(): Promise<TrainEventMap['train/completed']> {
    try {
      const r = await this.loop();
      this.subject.complete();
      return r;
    } catch (e) {
      this.subject.error(e);
      throw e;
    }
  }

  private async loop(): Promise<TrainEventMap['train/completed']> {
    const { recipe, train, run } = this.o;
    const net = this.net;
    const [h, w, c] = net.inputShape;
    if (train.height !== h || train.width !== w || train.channels !== c) {
      throw new FbnetError('USAGE', `data is ${train.height}x${train.width}x${train.channels}, arch expects ${h}x${w}x${c}`);
    }
    const vars = net.trainableVariables();
    const opt = new Optimizer(
      { kind: recipe.optimizer, momentum: recipe.momentum, nesterov: recipe.nesterov, weightDecay: recipe.weightDecay },
      (v) => isDecayed(this.keyOf(v)),
    );
    const ema = recipe.ema > 0 ? new WeightEma(net.store, recipe.ema) : null;
    // Optimizer slots and EMA shadows are freed however the loop ends: completed, cancelled,
    // a NaN loss, or a failed checkpoint write (a long-lived V3 worker trains many candidates).
    try {
      const batchSize = Math.min(recipe.batchSize, train.count);
      let rng = new Rng(this.o.seed).fork('train-augment');
      let epoch = 0;
      let step = 0;
      let history: TrainEventMap['train/epoch-ended'][] = [];
      let position: unknown;

      const saved = run?.loadCheckpoint<TrainMeta>(this.ckptName);
      if (saved) {
        if (saved.meta.archHash !== archHash(this.o.arch)) throw new FbnetError('CHECKPOINT', `checkpoint "${this.ckptName}" was made for another architecture`);
        net.store.restore(pick(saved.tensors, 'p:') as ParamSnapshot);
        opt.restore(saved.meta.optimizer, pick(saved.tensors, 'o:'), vars, this.keyOf);
        ema?.restore(pick(saved.tensors, 'e:'));
        epoch = saved.meta.epoch;
        step = saved.meta.step;
        history = saved.meta.history;
        position = saved.meta.batchPosition;
        rng = Rng.fromState(saved.meta.rng);
      }
      const it = new BatchIterator(train, { batchSize, seed: this.o.seed, dropLast: true, normalization: { kind: 'raw' }, position });
      const stepsPerEpoch = it.batchesPerEpoch;
      const totalSteps = stepsPerEpoch * recipe.epochs;
      const warmup = Math.round(recipe.warmupEpochs * stepsPerEpoch);
      this.emit({ type: 'train/started', params: net.store.count(), stepsPerEpoch, epochs: recipe.epochs, resumedAtEpoch: epoch });
      const t0 = Date.now();
      let lastLoss = history.at(-1)?.trainLoss ?? NaN;

      while (epoch < recipe.epochs) {
        if (this.cancelled) break;
        const te = Date.now();
        let lossSum = 0, correct = 0, seen = 0, lr = 0;
        for (let b = 0; b < stepsPerEpoch; b++) {
          if (this.cancelled) break;
          lr = cosineLr(step, totalSteps, recipe.lr, warmup);
          const batch = it.next();
          const shape = { n: batch.size, height: h, width: w, channels: c };
          let x = batch.x;
          if (recipe.augment.crop > 0) x = randomCrop(x, shape, { padding: recipe.augment.crop, rng });
          if (recipe.augment.flip) x = randomHorizontalFlip(x, shape, { rng });
          let yB: Int32Array | null = null;
          let lambda = 1;
          if (recipe.mixup > 0) {
            const m = mixup(x, batch.y, { alpha: recipe.mixup, rng });
            x = m.x;
            yB = m.yB;
            lambda = m.lambda;
          }
          const { loss, nCorrect } = tf.tidy(() => {
            const xt = tf.tensor4d(x, [batch.size, h, w, c]);
            const ya = tf.tensor1d(batch.y, 'int32');
            let nCorrect = 0;
            const { value, grads } = tf.variableGrads(() => {
              const logits = net.forward(xt, { training: true, rng, dropPath: recipe.dropPath > 0 ? { rate: recipe.dropPath, rng } : undefined });
              nCorrect = countCorrect(logits, ya);
              let l = crossEntropy(logits, ya, recipe.labelSmoothing);
              if (yB) l = tf.add(tf.mul(l, lambda), tf.mul(crossEntropy(logits, tf.tensor1d(yB, 'int32'), recipe.labelSmoothing), 1 - lambda));
              return l;
            }, vars);
            const loss = value.dataSync()[0];
            if (!Number.isFinite(loss)) {
              throw new FbnetError('NUMERIC', `training loss became ${loss} at epoch ${epoch + 1}, step ${b + 1} (lr ${lr.toPrecision(3)}); the last checkpoint is kept — lower the learning rate or check the data`);
            }
            opt.apply(vars, grads, lr);
            return { loss, nCorrect };
          });
          ema?.update(step);
          step++;
          lossSum += loss * batch.size;
          correct += nCorrect;
          seen += batch.size;
          if (b % 5 === 4 || b === stepsPerEpoch - 1) {
            const done = epoch * stepsPerEpoch + b + 1;
            const elapsed = (Date.now() - t0) / 1000;
            const startedAt = (saved?.meta.step ?? 0);
            const rate = (done - startedAt) / Math.max(elapsed, 1e-3);
            this.emit({ type: 'stage/progress', stage: 'train', phase: `epoch ${epoch + 1}/${recipe.epochs}`, done, total: totalSteps, etaSec: (totalSteps - done) / Math.max(rate, 1e-9) });
          }
          await new Promise((r) => setImmediate(r));
        }
        if (this.cancelled) break;
        epoch++;
        lastLoss = lossSum / Math.max(seen, 1);
        let valAccuracy: number | undefined;
        if (this.o.val && this.o.evalEveryEpoch !== false) {
          ema?.swapIn();
          valAccuracy = (await evaluate(net, this.o.val)).accuracy;
          ema?.swapOut();
        }
        const seconds = (Date.now() - te) / 1000;
        const ev = { type: 'train/epoch-ended' as const, epoch, trainLoss: lastLoss, trainAccuracy: correct / Math.max(seen, 1), valAccuracy, lr, imagesPerSec: seen / Math.max(seconds, 1e-9), seconds };
        const { type: _type, ...entry } = ev;
        history.push(entry as TrainEventMap['train/epoch-ended']);
        this.emit(ev);
        if (run) {
          const optState = opt.state(vars, this.keyOf);
          const tensors: TensorMap = {
            ...prefixed(net.store.snapshot(), 'p:'),
            ...prefixed(optState.tensors, 'o:'),
            ...(ema ? prefixed(ema.state(), 'e:') : {}),
          };
          const meta: TrainMeta = { epoch, step, batchPosition: it.position(), rng: rng.state(), optimizer: optState.meta, history, archHash: archHash(this.o.arch) };
          run.saveCheckpoint(this.ckptName, { meta, tensors });
          this.emit({ type: 'train/checkpoint-saved', epoch, step });
        }
      }
      // The net keeps the EMA weights when EMA is on: that is the model we report and export.
      if (ema) {
        ema.swapIn();
        ema.commit();
      }
      const result: TrainEventMap['train/completed'] = { epochs: epoch, params: net.store.count(), trainLoss: lastLoss, seconds: (Date.now() - t0) / 1000 };
      if (this.o.val) result.valAccuracy = (await evaluate(net, this.o.val)).accuracy;
      if (this.o.test) result.testAccuracy = (await evaluate(net, this.o.test)).accuracy;
      if (!this.cancelled) this.emit({ type: 'train/completed', ...result });
      return result;
    } finally {
      opt.dispose();
      ema?.dispose();
    }
  }

  dispose(): void {
    this.net.dispose();
  }
}

function prefixed<T>(m: Record<string, T>, p: string): Record<string, T> {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [p + k, v]));
}

function pick(m: TensorMap, p: string): TensorMap {
  return Object.fromEntries(Object.entries(m).filter(([k]) => k.startsWith(p)).map(([k, v]) => [k.slice(p.length), v]));
}
