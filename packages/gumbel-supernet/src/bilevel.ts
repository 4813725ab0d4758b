import * as tf from '@tensorflow/tfjs-core';
import { FbnetError, Rng, type RngState, type StageCheckpoint, type StageContext, type StageIo, type StageRun } from '@fbnet/core';
import { BatchIterator, FBNET_WEIGHTS_THETA_FRACTIONS, splitDataset, type ImageDataset, type StageData } from '@fbnet/data';
import type { ForwardContext, ParamSnapshot, ParamStore } from '@fbnet/nn';
import { cosineLr, Optimizer, readVariables } from '@fbnet/train';
import { temperatureAt, temperatureDecay } from './gumbel.ts';
import { pathAccuracy } from './path-accuracy.ts';

/**
 * The bilevel DNAS loop that FBNet V1 (`gumbelSupernetStage`) and V2 (`dmaskingStage`) share:
 * per epoch, the supernet's weights by SGD (momentum, weight decay on conv/linear weights,
 * cosine lr) on the weight split, then — after `warmupEpochs` — the architecture parameters
 * (θ of V1, α of V2) by Adam on the θ split, both on the search's loss under Gumbel-softmax
 * weights at temperature τ_e = τ0 · exp(-decay · e).
 *
 * Checkpoints hold the exact position: parameters (`p:`), architecture parameters (`t:` or `a:`),
 * optimizer states (`o:` weights, `q:` architecture), and in the metadata the epoch, phase and
 * batch, the partial sums of the epoch, the rng state and both iterators' positions. One is
 * written at every epoch end and, when `io.signal` aborts, after the step in progress; a run
 * resumed from either gives bit-identical results to an uninterrupted one.
 */
export interface BilevelOptions {
  seed: number;
  epochs: number;
  batchSize?: number;
  /** Cap on steps per epoch in each phase. */
  stepsPerEpoch?: number;
  /** Epochs of weight-only training before the architecture parameters are trained. */
  warmupEpochs?: number;
  /** Gumbel-softmax temperature at the first epoch (FBNet: 5). */
  tau0?: number;
  /** Per-epoch exponential decay of τ (FBNet: 0.045). Ignored when `tauEnd` is set. */
  tauDecay?: number;
  /**
   * τ at the last epoch: the decay is chosen so τ falls from `tau0` to `tauEnd` over the search, as
   * FBNet's schedule does over 90 epochs (5 → ≈0.09). Short searches need it: with the per-epoch
   * 0.045 decay, 8 epochs end at τ ≈ 3.6 and the supernet never stops being a soft mixture.
   */
  tauEnd?: number;
  weightLr?: number;
  weightMomentum?: number;
  weightDecay?: number;
  thetaLr?: number;
  thetaDecay?: number;
}

/** The settings every DNAS search stage takes (V1 and V2 add their loss's). */
export interface DnasOptions extends Omit<BilevelOptions, 'seed'> {
  /** Straight-through hard Gumbel-softmax instead of soft. */
  hard?: boolean;
  /** Architectures sampled from the learned distribution at the end (eq. 6). */
  samples?: number;
  /** Batches used to re-estimate BN statistics before scoring a sampled arch with shared weights. */
  bnRecalibrationBatches?: number;
}

export type BilevelPhase = 'weights' | 'arch';

/** What the loop needs of a supernet. */
export interface BilevelNet<N> {
  readonly store: ParamStore;
  readonly inputShape: [number, number, number];
  weightVariables(): tf.Variable[];
  /** Gumbel noise for one step, drawn from the loop's seeded stream. */
  sampleNoise(rng: Rng): N;
}

export interface BilevelProblem<N> {
  /** Names the rng stream and error messages (`supernet`, `dmasking`). */
  name: string;
  /** Checkpoint name inside the run. */
  checkpoint: string;
  run?: StageRun;
  data: { weights: ImageDataset; theta: ImageDataset };
  net: BilevelNet<N>;
  /** Architecture parameters by key; checkpointed as `${arch.prefix}:${key}`, optimizer slots keyed `${arch.label}.${key}`. */
  arch: { prefix: string; label: string; entries: [string, tf.Variable][] };
  /**
   * The loss of one batch under Gumbel weights (called inside `tf.variableGrads`); figures it
   * wants summed over the phase go into `stats`, as numbers or, better, as scalar tensors: those
   * are kept past the gradient's scope and read back together with the loss, in one transfer.
   */
  loss(x: tf.Tensor4D, y: tf.Tensor1D, step: { phase: BilevelPhase; tau: number; noise: N; ctx: ForwardContext }, stats: StepStats): tf.Scalar;
  /** Called once before training, with the epoch the loop resumes at. */
  started?(resumedAtEpoch: number): void;
  /** Called at every epoch end, before its checkpoint. */
  epochEnded(e: BilevelEpoch): void;
  /** Called after each epoch-end checkpoint. */
  checkpointSaved?(epoch: number): void;
}

/** A step's figures: plain numbers, or scalar tensors read back with the loss. */
export type StepStats = Record<string, number | tf.Scalar>;

/** Sums of one phase over an epoch (`loss` and every stat the problem reported). */
export interface PhaseSums {
  steps: number;
  sums: Record<string, number>;
}

export interface BilevelEpoch {
  /** Epochs completed (1-based). */
  epoch: number;
  temperature: number;
  /** Learning rate of the weight phase's last step. */
  lr: number;
  batchSize: number;
  weights: PhaseSums;
  /** Absent during warm-up. */
  arch?: PhaseSums;
  /** Images the weight phase saw. */
  seen: number;
  seconds: number;
}

export interface BilevelOutcome {
  /** Epochs completed. */
  epochs: number;
  /** False when stopped by the signal (a checkpoint of the exact position is in the run). */
  completed: boolean;
  /** The θ split's iterator where training left it (BN re-estimation batches for deriving). */
  thetaBatches: BatchIterator;
}

/** Where inside an epoch a checkpoint was taken. */
interface Position {
  phase: BilevelPhase;
  batch: number;
  lr: number;
  seen: number;
  weights: Record<string, number>;
  arch: Record<string, number>;
}

interface BilevelMeta {
  epoch: number;
  step: number;
  rng: RngState;
  wPos: unknown;
  tPos: unknown;
  wOpt: { t: number; kind: 'sgd' };
  tOpt: { t: number; kind: 'adam' };
  /** Present when the checkpoint was taken inside an epoch (cancellation). */
  at?: Position;
}

const d = <T>(v: T | undefined, x: T) => (v === undefined ? x : v);
const tick = () => new Promise<void>((res) => setImmediate(res));

/**
 * `stats` for one step: a tensor stored in it is kept past `tf.variableGrads`' forward scope
 * (which disposes every tensor but the loss) until the step has read it.
 */
function keptStats(): { stats: StepStats; tensors: () => [string, tf.Scalar][] } {
  const values: StepStats = {};
  const stats = new Proxy(values, {
    set(target, key, v) {
      if (v instanceof tf.Tensor) tf.keep(v);
      return Reflect.set(target, key, v);
    },
  });
  return { stats, tensors: () => Object.entries(values).filter((e): e is [string, tf.Scalar] => e[1] instanceof tf.Tensor) };
}

const add = (acc: Record<string, number>, r: Record<string, number>) => {
  for (const [k, v] of Object.entries(r)) acc[k] = (acc[k] ?? 0) + v;
};

/** Run (or resume) the bilevel search loop; returns when done or, after checkpointing, when `io.signal` aborts. */
export async function runBilevel<N>(p: BilevelProblem<N>, o: BilevelOptions, io: Pick<StageIo, 'signal' | 'progress'>): Promise<BilevelOutcome> {
  const net = p.net;
  const [h, w, c] = net.inputShape;
  const bs = Math.min(d(o.batchSize, 64), p.data.weights.count, p.data.theta.count);
  const wVars = net.weightVariables();
  const tVars = p.arch.entries.map(([, v]) => v);
  const names = new Map<string, string>([
    ...net.store.entries().map(([n, v]) => [v.name, n] as [string, string]),
    ...p.arch.entries.map(([k, v]) => [v.name, `${p.arch.label}.${k}`] as [string, string]),
  ]);
  const keyOf = (v: tf.Variable) => names.get(v.name)!;
  const wOpt = new Optimizer({ kind: 'sgd', momentum: d(o.weightMomentum, 0.9), weightDecay: d(o.weightDecay, 1e-4) }, (v) => /\.w$/.test(keyOf(v)));
  const tOpt = new Optimizer({ kind: 'adam', weightDecay: d(o.thetaDecay, 5e-4) });
  const tau0 = d(o.tau0, 5);
  const decay = temperatureDecay(o.epochs, tau0, o.tauEnd, d(o.tauDecay, 0.045));
  let rng = new Rng(o.seed).fork(p.name);
  let epoch = 0;
  let step = 0;
  let wPos: unknown, tPos: unknown;
  let at: Position | undefined;

  try {
    const saved = p.run?.loadCheckpoint<BilevelMeta>(p.checkpoint);
    if (saved) {
      const pick = (prefix: string) =>
        Object.fromEntries(Object.entries(saved.tensors).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v])) as StageCheckpoint['tensors'];
      net.store.restore(pick('p:') as ParamSnapshot);
      const arch = pick(`${p.arch.prefix}:`);
      for (const [k, v] of p.arch.entries) {
        const e = arch[k];
        if (!e || e.data.length !== v.size) throw new FbnetError('CHECKPOINT', `${p.name} checkpoint lacks the architecture parameters "${k}"`);
        tf.tidy(() => v.assign(tf.tensor(e.data, v.shape)));
      }
      wOpt.restore(saved.meta.wOpt, pick('o:'), wVars, keyOf);
      tOpt.restore(saved.meta.tOpt, pick('q:'), tVars, keyOf);
      ({ epoch, step, wPos, tPos, at } = saved.meta);
      rng = Rng.fromState(saved.meta.rng);
    }
    const wIt = new BatchIterator(p.data.weights, { batchSize: bs, seed: o.seed, dropLast: true, normalization: { kind: 'raw' }, position: wPos });
    const tIt = new BatchIterator(p.data.theta, { batchSize: bs, seed: o.seed + 1, dropLast: true, normalization: { kind: 'raw' }, position: tPos });
    const wSteps = Math.min(wIt.batchesPerEpoch, o.stepsPerEpoch ?? Infinity);
    const tSteps = Math.min(tIt.batchesPerEpoch, o.stepsPerEpoch ?? Infinity);
    const warmup = d(o.warmupEpochs, 1);
    const totalW = wSteps * o.epochs;
    const totalWork = o.epochs * wSteps + Math.max(0, o.epochs - warmup) * tSteps;
    p.started?.(epoch);
    const archLr = d(o.thetaLr, 0.01);

    const save = async (position?: Position) => {
      if (!p.run) return;
      await readVariables();
      const tensors: StageCheckpoint['tensors'] = {};
      for (const [k, v] of Object.entries(net.store.snapshot())) tensors[`p:${k}`] = v;
      for (const [k, v] of p.arch.entries) tensors[`${p.arch.prefix}:${k}`] = { shape: v.shape.slice(), data: v.dataSync() as Float32Array };
      const ws = wOpt.state(wVars, keyOf);
      const ts = tOpt.state(tVars, keyOf);
      for (const [k, v] of Object.entries(ws.tensors)) tensors[`o:${k}`] = v;
      for (const [k, v] of Object.entries(ts.tensors)) tensors[`q:${k}`] = v;
      const meta: BilevelMeta = {
        epoch,
        step,
        rng: rng.state(),
        wPos: wIt.position(),
        tPos: tIt.position(),
        wOpt: ws.meta as BilevelMeta['wOpt'],
        tOpt: ts.meta as BilevelMeta['tOpt'],
        ...(position ? { at: position } : {}),
      };
      p.run.saveCheckpoint(p.checkpoint, { meta, tensors });
    };

    /**
     * One optimisation step on a batch: loss, gradients of `vars`, update; frees every tensor it
     * made. The loss and the problem's tensor stats come back in one asynchronous read, before
     * the update (a non-finite loss leaves the variables as they were).
     */
    const train = async (phase: BilevelPhase, vars: tf.Variable[], opt: Optimizer, lr: number, tau: number, b: number) => {
      const batch = (phase === 'weights' ? wIt : tIt).next();
      const noise = net.sampleNoise(rng);
      const ctx: ForwardContext = phase === 'weights' ? { training: true } : { training: true, updateStats: false };
      const { stats, tensors } = keptStats();
      let made: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
      try {
        made = tf.tidy(() => {
          const x = tf.tensor4d(batch.x, [batch.size, h, w, c]);
          const y = tf.tensor1d(batch.y, 'int32');
          return tf.variableGrads(() => p.loss(x, y, { phase, tau, noise, ctx }, stats), vars);
        });
        const read = tensors();
        const packed = tf.tidy(() => tf.stack([made!.value, ...read.map(([, t]) => tf.cast(t, 'float32'))]));
        const values = await packed.data();
        packed.dispose();
        const l = values[0];
        if (!Number.isFinite(l)) {
          throw new FbnetError('NUMERIC', `${p.name} ${phase === 'weights' ? 'weight' : p.arch.label} loss became ${l} at epoch ${epoch + 1}, step ${b + 1}; the last checkpoint is kept`);
        }
        const grads = made.grads;
        tf.tidy(() => opt.apply(vars, grads as Record<string, tf.Tensor>, lr));
        const r: Record<string, number> = { loss: l };
        for (const [k, v] of Object.entries(stats)) if (typeof v === 'number') r[k] = v;
        read.forEach(([k], i) => (r[k] = values[i + 1]));
        return { r, size: batch.size };
      } finally {
        if (made) tf.dispose([made.value, ...Object.values(made.grads)]);
        tf.dispose(tensors().map(([, t]) => t));
      }
    };

    while (epoch < o.epochs) {
      const te = Date.now();
      const tau = temperatureAt(epoch, tau0, decay);
      const pos: Position = at ?? { phase: 'weights', batch: 0, lr: 0, seen: 0, weights: {}, arch: {} };
      at = undefined;
      const doneBefore = epoch * wSteps + Math.max(0, epoch - warmup) * tSteps;
      if (pos.phase === 'weights') {
        for (; pos.batch < wSteps; pos.batch++) {
          if (io.signal.aborted) return (await save(pos), { epochs: epoch, completed: false, thetaBatches: tIt });
          pos.lr = cosineLr(step, totalW, d(o.weightLr, 0.1));
          const { r, size } = await train('weights', wVars, wOpt, pos.lr, tau, pos.batch);
          step++;
          add(pos.weights, r);
          pos.seen += size;
          const b = pos.batch;
          if (b % 5 === 4 || b === wSteps - 1) io.progress(`epoch ${epoch + 1}/${o.epochs} weights`, doneBefore + b + 1, totalWork);
          await tick();
        }
        pos.phase = 'arch';
        pos.batch = 0;
      }
      const archPhase = epoch >= warmup;
      if (archPhase) {
        for (; pos.batch < tSteps; pos.batch++) {
          if (io.signal.aborted) return (await save(pos), { epochs: epoch, completed: false, thetaBatches: tIt });
          const { r } = await train('arch', tVars, tOpt, archLr, tau, pos.batch);
          add(pos.arch, r);
          const b = pos.batch;
          if (b % 5 === 4 || b === tSteps - 1) io.progress(`epoch ${epoch + 1}/${o.epochs} ${p.arch.label}`, doneBefore + wSteps + b + 1, totalWork);
          await tick();
        }
      }
      if (io.signal.aborted) return (await save(pos), { epochs: epoch, completed: false, thetaBatches: tIt });
      epoch++;
      await Promise.all(tVars.map((v) => v.data())); // epochEnded reads θ (or α) synchronously
      p.epochEnded({
        epoch,
        temperature: tau,
        lr: pos.lr,
        batchSize: bs,
        weights: { steps: wSteps, sums: pos.weights },
        arch: archPhase ? { steps: pos.batch, sums: pos.arch } : undefined,
        seen: pos.seen,
        seconds: (Date.now() - te) / 1000,
      });
      if (p.run) {
        await save();
        p.checkpointSaved?.(epoch);
      }
    }
    return { epochs: epoch, completed: true, thetaBatches: tIt };
  } finally {
    wOpt.dispose();
    tOpt.dispose();
  }
}

/**
 * Sample distinct archs from the learned distribution and derive the most likely one, scoring
 * each with `summarize` (BN re-estimated, shared weights). Returns early (undefined) when the
 * signal aborts between archs; the epoch-end checkpoint is then where a rerun starts deriving.
 */
export async function sampleAndDerive<C, S>(
  o: { seed: number; samples: number; signal: AbortSignal },
  draw: (rng: Rng) => C,
  keyOf: (choice: C) => string,
  argmax: C,
  summarize: (choice: C) => Promise<S>,
): Promise<{ sampled: S[]; derived: S } | undefined> {
  const sampleRng = new Rng(o.seed).fork('sample-archs');
  const seen = new Map<string, S>();
  const sampled: S[] = [];
  for (let i = 0; i < o.samples * 4 && sampled.length < o.samples; i++) {
    const choice = draw(sampleRng);
    const key = keyOf(choice);
    if (seen.has(key)) continue;
    if (o.signal.aborted) return undefined;
    const s = await summarize(choice);
    seen.set(key, s);
    sampled.push(s);
  }
  if (o.signal.aborted) return undefined;
  const derived = seen.get(keyOf(argmax)) ?? (await summarize(argmax));
  return { sampled, derived };
}

/**
 * What a DNAS stage takes from its context: `ctx.data.train` split 80/20 into weight and θ data
 * (FBNet; the split `fbnet search v1` makes), the normalisation, the seed, the run and the
 * checkpoint name under `ctx.prefix`.
 */
export function dnasContext(stage: string, ctx: StageContext<StageData>, checkpoint: string) {
  const data = ctx.data;
  if (!data) throw new FbnetError('USAGE', `${stage}: the stage context has no data set (ctx.data)`);
  const [weights, theta] = splitDataset(data.train, { fractions: FBNET_WEIGHTS_THETA_FRACTIONS, seed: ctx.seed });
  return { data: { weights, theta }, normalization: data.normalization, seed: ctx.seed, run: ctx.run, checkpointName: `${ctx.prefix ?? ''}${checkpoint}` };
}

/** The figures of an epoch both searches report (means over each phase; θ/α ones absent during warm-up). */
export function epochFigures(e: BilevelEpoch) {
  const a = e.arch;
  const n = Math.max(a?.steps ?? 0, 1);
  return {
    epoch: e.epoch,
    temperature: e.temperature,
    weightLoss: e.weights.sums.loss / e.weights.steps,
    weightCe: e.weights.sums.ce / e.weights.steps,
    thetaLoss: a ? a.sums.loss / n : undefined,
    thetaCe: a ? a.sums.ce / n : undefined,
    thetaAccuracy: a ? a.sums.correct / Math.max(a.steps * e.batchSize, 1) : undefined,
    lrWeights: e.lr,
    seconds: e.seconds,
    imagesPerSec: e.seen / Math.max(e.seconds, 1e-9),
  };
}

/**
 * Accuracy of one path (a concrete arch) of a supernet with its shared weights, on the θ split,
 * after re-estimating BN statistics on `passes` batches of the θ split's iterator.
 */
export function scorePath(
  net: Pick<BilevelNet<unknown>, 'store' | 'inputShape'>,
  logits: (x: tf.Tensor4D, ctx: ForwardContext) => tf.Tensor2D,
  o: { thetaBatches: BatchIterator; passes: number; theta: ImageDataset },
): Promise<number> {
  return pathAccuracy({ store: net.store, logits, inputShape: net.inputShape, bnBatches: o.thetaBatches, passes: o.passes, evalData: o.theta });
}
