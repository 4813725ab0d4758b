import * as tf from '@tensorflow/tfjs-core';
import { Subject, type Observable } from 'rxjs';
import { FbnetError, Rng, type ArchDef, type EventUnion, type CoreEventMap, type RngState, type StageRun } from '@fbnet/core';
import { BatchIterator, mixup, randomCrop, randomHorizontalFlip, type ImageDataset } from '@fbnet/data';
import { crossEntropy, Net, type InputNormalization, type ParamSnapshot } from '@fbnet/nn';
import type { TensorMap } from '@fbnet/runs';
import { WeightEma } from './ema.ts';
import { evaluate, evaluateUnlessAborted, type EvalResult } from './evaluate.ts';
import { cosineLr, Optimizer } from './optimizers.ts';
import { correctCount, readVariables } from './read-back.ts';
import type { TrainRecipe } from './recipe.ts';

export type TrainEventMap = CoreEventMap & {
  'train/started': { params: number; stepsPerEpoch: number; epochs: number; resumedAtEpoch: number; resumedAtBatch?: number };
  'train/epoch-ended': {
    epoch: number;
    trainLoss: number;
    trainAccuracy: number;
    valAccuracy?: number;
    lr: number;
    imagesPerSec: number;
    seconds: number;
  };
  'train/checkpoint-saved': { epoch: number; step: number; /** Set when the checkpoint was left mid-epoch by a cancellation: the next batch to run. */ batch?: number };
  'train/completed': { epochs: number; params: number; valAccuracy?: number; testAccuracy?: number; trainLoss: number; seconds: number };
};
export type TrainEvent = EventUnion<TrainEventMap>;

/** Where the training loop checkpoints (a `RunDir`, or any `StageRun`). */
export type TrainRun = Pick<StageRun, 'saveCheckpoint' | 'loadCheckpoint'>;

export interface TrainerOptions {
  arch: ArchDef;
  train: ImageDataset;
  val?: ImageDataset;
  test?: ImageDataset;
  recipe: TrainRecipe;
  seed: number;
  normalization: InputNormalization;
  /** Where checkpoints go (every epoch, and mid-epoch on cancellation); resume picks up from the latest. */
  run?: TrainRun;
  /** Checkpoint name inside the run (several trainings can share a run). */
  checkpointName?: string;
  /** Evaluate on `val` after every epoch (default true when val is given). */
  evalEveryEpoch?: boolean;
  /**
   * Read the loss and correct count back every N steps (default 1), in one transfer: on a GPU
   * backend each read is a host round trip that drains the queue. With N > 1 a non-finite loss is
   * found up to N − 1 updates late (the error names the step it appeared at; the checkpoint on
   * disk is older still). Sums, events and checkpoints are the same for every N.
   */
  readEvery?: number;
}

export type TrainCompleted = TrainEventMap['train/completed'];

/** What the loop is given besides the net and its options: the cancellation signal and an event sink. */
export interface TrainLoopIo {
  /** Aborted: stop before the next step, checkpoint the exact position (mid-epoch included), return. */
  signal?: AbortSignal;
  emit(e: TrainEvent): void;
}

/** The loop's outcome: the final figures, and whether it ran to the end (false: cancelled, the checkpoint holds its position). */
export type TrainOutcome = TrainCompleted & { completed: boolean };

interface TrainMeta {
  epoch: number;
  step: number;
  batchPosition: unknown;
  rng: RngState;
  optimizer: { t: number; kind: TrainRecipe['optimizer'] };
  history: Omit<TrainEventMap['train/epoch-ended'], never>[];
  archHash: string;
  /** Present when the checkpoint was left inside an epoch (cancellation): where and what the epoch had summed so far. */
  partial?: { batch: number; lossSum: number; correct: number; seen: number; lr: number; seconds: number };
}

/** A key identifying an arch def's network (shapes and ops), for checking a checkpoint belongs to it. */
export function archHash(a: ArchDef): string {
  return JSON.stringify({ s: a.input_size, c: a.input_channels, k: a.num_classes, b: a.blocks, w: a.basic_args });
}

const isDecayed = (name: string) => /\.(w|w1|w2)$/.test(name);

/**
 * Trains `net` (built from `o.arch`) from scratch: seeded data order and augmentation,
 * SGD/Adam/AdamW/RMSProp with cosine schedule and warm-up, label smoothing, mixup, dropout,
 * drop path, weight EMA. With `o.run` it checkpoints atomically every epoch, and when
 * `io.signal` aborts it stops before the next step and checkpoints its exact position (batch,
 * iterator, optimizer and EMA state, rng, the epoch's partial sums), so resuming ends
 * bit-identical to an uninterrupted run. On completion the net holds the EMA weights (when
 * EMA is on). Optimizer slots and EMA shadows are freed however it ends.
 */
export async function trainNet(net: Net, o: TrainerOptions, io: TrainLoopIo): Promise<TrainOutcome> {
  const { recipe, train, run } = o;
  const signal = io.signal;
  const aborted = () => signal?.aborted === true;
  const ckptName = o.checkpointName ?? 'train';
  const names = new Map(net.store.entries().map(([n, v]) => [v.name, n]));
  const keyOf = (v: tf.Variable) => names.get(v.name)!;
  const [h, w, c] = net.inputShape;
  if (train.height !== h || train.width !== w || train.channels !== c) {
    throw new FbnetError('USAGE', `data is ${train.height}x${train.width}x${train.channels}, arch expects ${h}x${w}x${c}`);
  }
  const vars = net.trainableVariables();
  const opt = new Optimizer(
    { kind: recipe.optimizer, momentum: recipe.momentum, nesterov: recipe.nesterov, weightDecay: recipe.weightDecay },
    (v) => isDecayed(keyOf(v)),
  );
  const ema = recipe.ema > 0 ? new WeightEma(net.store, recipe.ema) : null;
  /** Steps whose [loss, correct] are still on the device, oldest first (`readEvery`). */
  const pending: { t: tf.Tensor1D; epoch: number; b: number; size: number; lr: number }[] = [];
  // Optimizer slots and EMA shadows are freed however the loop ends: completed, cancelled,
  // a NaN loss, or a failed checkpoint write (a long-lived V3 worker trains many candidates).
  try {
    const batchSize = Math.min(recipe.batchSize, train.count);
    let rng = new Rng(o.seed).fork('train-augment');
    let epoch = 0;
    let step = 0;
    let history: TrainEventMap['train/epoch-ended'][] = [];
    let position: unknown;
    let partial: TrainMeta['partial'];

    const saved = run?.loadCheckpoint<TrainMeta>(ckptName);
    if (saved) {
      if (saved.meta.archHash !== archHash(o.arch)) throw new FbnetError('CHECKPOINT', `checkpoint "${ckptName}" was made for another architecture`);
      net.store.restore(pick(saved.tensors, 'p:') as ParamSnapshot);
      opt.restore(saved.meta.optimizer, pick(saved.tensors, 'o:'), vars, keyOf);
      ema?.restore(pick(saved.tensors, 'e:'));
      epoch = saved.meta.epoch;
      step = saved.meta.step;
      history = saved.meta.history;
      position = saved.meta.batchPosition;
      rng = Rng.fromState(saved.meta.rng);
      partial = saved.meta.partial;
    }
    const it = new BatchIterator(train, { batchSize, seed: o.seed, dropLast: true, normalization: { kind: 'raw' }, position });
    const stepsPerEpoch = it.batchesPerEpoch;
    const totalSteps = stepsPerEpoch * recipe.epochs;
    const warmup = Math.round(recipe.warmupEpochs * stepsPerEpoch);
    io.emit({ type: 'train/started', params: net.store.count(), stepsPerEpoch, epochs: recipe.epochs, resumedAtEpoch: epoch, ...(partial ? { resumedAtBatch: partial.batch } : {}) });
    const t0 = Date.now();
    const startedAt = saved?.meta.step ?? 0;
    const readEvery = Math.max(1, Math.floor(o.readEvery ?? 1));
    let lossSum = 0, correct = 0;
    /** Read every pending step's figures in one transfer and add them, in step order. */
    const flush = async () => {
      if (pending.length === 0) return;
      const all = tf.tidy(() => tf.stack(pending.map((p) => p.t)));
      const values = await all.data();
      all.dispose();
      const steps = pending.splice(0);
      tf.dispose(steps.map((p) => p.t));
      steps.forEach((p, i) => {
        const loss = values[2 * i];
        if (!Number.isFinite(loss)) {
          throw new FbnetError('NUMERIC', `training loss became ${loss} at epoch ${p.epoch + 1}, step ${p.b + 1} (lr ${p.lr.toPrecision(3)}); the last checkpoint is kept — lower the learning rate or check the data`);
        }
        lossSum += loss * p.size;
        correct += values[2 * i + 1];
      });
    };
    let lastLoss = history.at(-1)?.trainLoss ?? NaN;

    const save = async (extra: TrainMeta['partial']) => {
      if (!run) return;
      await readVariables();
      const optState = opt.state(vars, keyOf);
      const tensors: TensorMap = {
        ...prefixed(net.store.snapshot(), 'p:'),
        ...prefixed(optState.tensors, 'o:'),
        ...(ema ? prefixed(ema.state(), 'e:') : {}),
      };
      const meta: TrainMeta = { epoch, step, batchPosition: it.position(), rng: rng.state(), optimizer: optState.meta, history, archHash: archHash(o.arch), ...(extra ? { partial: extra } : {}) };
      run.saveCheckpoint(ckptName, { meta, tensors });
    };

    while (epoch < recipe.epochs && !aborted()) {
      const te = Date.now();
      const first = partial?.batch ?? 0;
      lossSum = partial?.lossSum ?? 0;
      correct = partial?.correct ?? 0;
      let seen = partial?.seen ?? 0, lr = partial?.lr ?? 0;
      const priorSeconds = partial?.seconds ?? 0;
      partial = undefined;
      let b = first;
      for (; b < stepsPerEpoch; b++) {
        if (aborted()) break;
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
        // The loss and the correct count come back in one asynchronous read every `readEvery`
        // steps, before that step's update (with 1, a non-finite loss leaves the weights as they
        // were); nothing else leaves the device.
        let correctT: tf.Scalar | undefined;
        const { value, grads } = tf.tidy(() => {
          const xt = tf.tensor4d(x, [batch.size, h, w, c]);
          const ya = tf.tensor1d(batch.y, 'int32');
          return tf.variableGrads(() => {
            const logits = net.forward(xt, { training: true, rng, dropPath: recipe.dropPath > 0 ? { rate: recipe.dropPath, rng } : undefined });
            correctT = tf.keep(correctCount(logits, ya)); // kept past variableGrads' forward scope
            let l = crossEntropy(logits, ya, recipe.labelSmoothing);
            if (yB) l = tf.add(tf.mul(l, lambda), tf.mul(crossEntropy(logits, tf.tensor1d(yB, 'int32'), recipe.labelSmoothing), 1 - lambda));
            return l;
          }, vars);
        });
        try {
          pending.push({ t: tf.tidy(() => tf.stack([value, tf.cast(correctT!, 'float32')])) as tf.Tensor1D, epoch, b, size: batch.size, lr });
          if (pending.length >= readEvery) await flush();
          tf.tidy(() => opt.apply(vars, grads, lr));
        } finally {
          tf.dispose([value, correctT!, ...Object.values(grads)]);
        }
        ema?.update(step);
        step++;
        seen += batch.size;
        if (b % 5 === 4 || b === stepsPerEpoch - 1) {
          const done = epoch * stepsPerEpoch + b + 1;
          const elapsed = (Date.now() - t0) / 1000;
          const rate = (done - startedAt) / Math.max(elapsed, 1e-3);
          io.emit({ type: 'stage/progress', stage: 'train', phase: `epoch ${epoch + 1}/${recipe.epochs}`, done, total: totalSteps, etaSec: (totalSteps - done) / Math.max(rate, 1e-9) });
        }
        await new Promise((r) => setImmediate(r));
      }
      await flush();
      const seconds = priorSeconds + (Date.now() - te) / 1000;
      if (b < stepsPerEpoch) {
        // Cancelled inside the epoch: keep its exact position, unless no step ran since the checkpoint it resumed from.
        if (b > first) {
          await save({ batch: b, lossSum, correct, seen, lr, seconds });
          if (run) io.emit({ type: 'train/checkpoint-saved', epoch, step, batch: b });
        }
        break;
      }
      let valAccuracy: number | undefined;
      if (o.val && o.evalEveryEpoch !== false) {
        ema?.swapIn();
        let r: EvalResult | undefined;
        try {
          r = await evaluateUnlessAborted(net, o.val, signal);
        } finally {
          ema?.swapOut();
        }
        if (!r) {
          // Cancelled during the epoch's validation: every step is done, the epoch's end is not.
          await save({ batch: b, lossSum, correct, seen, lr, seconds });
          if (run) io.emit({ type: 'train/checkpoint-saved', epoch, step, batch: b });
          break;
        }
        valAccuracy = r.accuracy;
      }
      epoch++;
      lastLoss = lossSum / Math.max(seen, 1);
      // The epoch's time includes its validation, as it always has.
      const epochSeconds = priorSeconds + (Date.now() - te) / 1000;
      const ev = { type: 'train/epoch-ended' as const, epoch, trainLoss: lastLoss, trainAccuracy: correct / Math.max(seen, 1), valAccuracy, lr, imagesPerSec: seen / Math.max(epochSeconds, 1e-9), seconds: epochSeconds };
      const { type: _type, ...entry } = ev;
      history.push(entry as TrainEventMap['train/epoch-ended']);
      io.emit(ev);
      if (run) {
        await save(undefined);
        io.emit({ type: 'train/checkpoint-saved', epoch, step });
      }
    }
    const result: TrainCompleted = { epochs: epoch, params: net.store.count(), trainLoss: lastLoss, seconds: (Date.now() - t0) / 1000 };
    // Stopped before the last epoch: no final evaluation (the checkpoint holds where it stood).
    if (epoch < recipe.epochs) return { ...result, completed: false };
    // The net keeps the EMA weights when EMA is on: that is the model we report and export.
    if (ema) {
      ema.swapIn();
      ema.commit();
    }
    if (o.val) result.valAccuracy = (await evaluate(net, o.val)).accuracy;
    if (o.test) result.testAccuracy = (await evaluate(net, o.test)).accuracy;
    if (!aborted()) io.emit({ type: 'train/completed', ...result });
    return { ...result, completed: true };
  } finally {
    tf.dispose(pending.map((p) => p.t));
    opt.dispose();
    ema?.dispose();
  }
}

/**
 * `trainNet` for callers that keep the trained net (export, V2/V3 pipelines, AutoTrain's
 * workers). A thin wrapper: `run()` drives the loop, `events$` relays its events to whoever
 * subscribed before `run()`, `cancel()` aborts the loop's signal. New code should use the
 * cold `trainStage` (train-stage.ts), whose subscription is the run and whose unsubscription
 * is the cancellation.
 */
export class Trainer {
  readonly net: Net;
  private readonly relay = new Subject<TrainEvent>();
  readonly events$: Observable<TrainEvent> = this.relay.asObservable();
  private readonly ac = new AbortController();

  constructor(private readonly o: TrainerOptions) {
    this.net = new Net(o.arch, { seed: o.seed, normalization: o.normalization, dropout: o.recipe.dropout });
  }

  /** Stop before the next step; with a run, the checkpoint keeps the exact position. `run()` then resolves with the epochs completed. */
  cancel(): void {
    this.ac.abort();
  }

  /** Train to the end (or cancellation). Resolves with final figures; the trained net stays in `this.net`. */
  async run(): Promise<TrainCompleted> {
    try {
      const { completed: _completed, ...r } = await trainNet(this.net, this.o, { signal: this.ac.signal, emit: (e) => this.relay.next(e) });
      this.relay.complete();
      return r;
    } catch (e) {
      this.relay.error(e);
      throw e;
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
