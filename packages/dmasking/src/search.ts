import * as tf from '@tensorflow/tfjs-core';
import { Subject, type Observable } from 'rxjs';
import { FbnetError, Rng, spaceSizeLog10, type RngState, type SearchSpace } from '@fbnet/core';
import { BatchIterator, type ImageDataset } from '@fbnet/data';
import { latencyAwareLoss, pathAccuracy, temperatureAt } from '@fbnet/gumbel-supernet';
import { countCorrect, crossEntropy, type InputNormalization, type ParamSnapshot } from '@fbnet/nn';
import type { RunDir, TensorMap } from '@fbnet/runs';
import { cosineLr, Optimizer } from '@fbnet/train';
import { argmaxChoice, choiceProbability, describeChoice, distributions, optionIndex, probsOf, sampleChoiceFromProbs } from './derive.ts';
import type { DMaskingEvent, V2ArchSummary } from './events.ts';
import type { SpaceLatency } from './latency.ts';
import { DMaskingSupernet, type ChoiceWeights, type DMaskingMode } from './supernet.ts';

/** The resource term of the loss: effective FLOPs or params (eq. 10), or E[LAT] from a latency table. */
export type ResourceKind = 'flops' | 'params' | 'latency';

/**
 * How the resource enters the loss. `multiplicative`: FBNet's CE · α · (log R)^β (eq. 2 of
 * FBNet, `latencyAwareLoss`), with R in kFLOPs, params or µs (all > 1 for any real net).
 * `additive`: CE + λ · R / R_0 (FBNetV2's "cross-entropy plus total cost"), R_0 the expected
 * resource at uniform α (the start of the search).
 */
export type ResourceLoss = { kind: 'multiplicative'; alpha: number; beta: number } | { kind: 'additive'; lambda: number };

export interface DMaskingSearchOptions {
  space: SearchSpace;
  /** FBNet splits the training set: 80% trains the weights, 20% trains α. */
  data: { weights: ImageDataset; theta: ImageDataset };
  normalization: InputNormalization;
  seed: number;
  epochs: number;
  batchSize?: number;
  /** Cap on steps per epoch in each phase. */
  stepsPerEpoch?: number;
  /** Epochs of weight-only training before α updates start. */
  warmupEpochs?: number;
  tau0?: number;
  tauDecay?: number;
  /** Straight-through hard Gumbel-softmax instead of soft. */
  hard?: boolean;
  resource?: ResourceKind;
  /** Required for `resource: 'latency'`; also reported for the other resources when given. */
  latency?: SpaceLatency;
  loss?: ResourceLoss;
  weightLr?: number;
  weightMomentum?: number;
  weightDecay?: number;
  thetaLr?: number;
  thetaDecay?: number;
  /** Architectures sampled from P_α at the end. */
  samples?: number;
  bnRecalibrationBatches?: number;
  run?: RunDir;
  /** Checkpoint name inside the run (default `dmasking`). */
  checkpointName?: string;
}

export interface DMaskingSearchResult {
  derived: V2ArchSummary;
  sampled: V2ArchSummary[];
  /** α per choice key. */
  alphas: Record<string, number[]>;
  epochs: number;
}

interface SearchMeta {
  epoch: number;
  step: number;
  rng: RngState;
  wPos: unknown;
  tPos: unknown;
  wOpt: { t: number; kind: 'sgd' };
  tOpt: { t: number; kind: 'adam' };
}

const d = <T>(v: T | undefined, x: T) => (v === undefined ? x : v);
const tick = () => new Promise<void>((res) => setImmediate(res));

/**
 * The DMaskingNAS search loop: per epoch, the shared weights by SGD on the weight split, then
 * (after warm-up) α by Adam on the α split, both on CE with the resource term of the sampled
 * architecture distribution (effective FLOPs/params, eq. 5-10, or expected latency); τ annealed
 * per epoch (eq. 4); checkpointed atomically every epoch and resumable to the same result.
 * Then argmax per choice: one block, width and expansion per layer and one input resolution.
 */
export class DMaskingSearch {
  readonly supernet: DMaskingSupernet;
  private readonly subject = new Subject<DMaskingEvent>();
  readonly events$: Observable<DMaskingEvent> = this.subject.asObservable();
  private cancelled = false;
  readonly resource: ResourceKind;
  private readonly loss: ResourceLoss;
  /** The expected resource at uniform α (the additive loss's normaliser), in the loss's unit. */
  private readonly resourceRef: number;

  constructor(private readonly o: DMaskingSearchOptions) {
    this.resource = o.resource ?? 'flops';
    if (this.resource === 'latency' && !o.latency) throw new FbnetError('USAGE', 'resource "latency" needs a latency table (SpaceLatency)');
    this.supernet = new DMaskingSupernet(o.space, o.normalization, o.seed);
    this.loss = o.loss ?? { kind: 'multiplicative', alpha: 0.2, beta: 0.6 };
    this.resourceRef = tf.tidy(() => this.resourceOf(this.supernet.mixWeights({ kind: 'expected', tau: 1 })).dataSync()[0]);
  }

  cancel(): void {
    this.cancelled = true;
  }

  private emit(e: DMaskingEvent): void {
    this.subject.next(e);
  }

  async run(): Promise<DMaskingSearchResult | null> {
    try {
      const r = await this.loop();
      this.subject.complete();
      return r;
    } catch (e) {
      this.subject.error(e);
      throw e;
    }
  }

  /** The resource in the loss's unit: kFLOPs, params, or µs. */
  private resourceOf(w: ChoiceWeights): tf.Scalar {
    const net = this.supernet;
    if (this.resource === 'latency') return tf.mul(this.o.latency!.expected(w), 1000) as tf.Scalar;
    if (this.resource === 'params') return net.effectiveCost(w, 'params');
    return tf.mul(net.effectiveCost(w, 'flops'), 1e-3) as tf.Scalar;
  }

  private lossOf(logits: tf.Tensor2D, y: tf.Tensor1D, w: ChoiceWeights): { loss: tf.Scalar; ce: tf.Scalar } {
    const ce = crossEntropy(logits, y);
    const r = this.resourceOf(w);
    if (this.loss.kind === 'additive') return { loss: tf.add(ce, tf.mul(r, this.loss.lambda / this.resourceRef)) as tf.Scalar, ce };
    return { loss: latencyAwareLoss(ce, r, { alpha: this.loss.alpha, beta: this.loss.beta }), ce };
  }

  private async loop(): Promise<DMaskingSearchResult | null> {
    const o = this.o;
    const net = this.supernet;
    const [h, w, c] = net.inputShape;
    const bs = Math.min(d(o.batchSize, 64), o.data.weights.count, o.data.theta.count);
    const wVars = net.weightVariables();
    const tVars = net.thetaVariables();
    const names = new Map<string, string>([...net.store.entries().map(([n, v]) => [v.name, n] as [string, string]), ...[...net.thetas].map(([k, v]) => [v.name, `alpha.${k}`] as [string, string])]);
    const keyOf = (v: tf.Variable) => names.get(v.name)!;
    const wOpt = new Optimizer({ kind: 'sgd', momentum: d(o.weightMomentum, 0.9), weightDecay: d(o.weightDecay, 1e-4) }, (v) => /\.w$/.test(keyOf(v)));
    const tOpt = new Optimizer({ kind: 'adam', weightDecay: d(o.thetaDecay, 5e-4) });
    const ckpt = o.checkpointName ?? 'dmasking';
    let rng = new Rng(o.seed).fork('dmasking');
    let epoch = 0;
    let step = 0;
    let wPos: unknown, tPos: unknown;

    const saved = o.run?.loadCheckpoint<SearchMeta>(ckpt);
    if (saved) {
      const pick = (p: string) => Object.fromEntries(Object.entries(saved.tensors).filter(([k]) => k.startsWith(p)).map(([k, v]) => [k.slice(p.length), v])) as TensorMap;
      net.store.restore(pick('p:') as ParamSnapshot);
      const al = pick('a:');
      for (const [k, v] of net.thetas) {
        const e = al[k];
        if (!e || e.data.length !== v.size) throw new FbnetError('CHECKPOINT', `DMasking checkpoint lacks α for choice "${k}"`);
        tf.tidy(() => v.assign(tf.tensor(e.data, v.shape)));
      }
      wOpt.restore(saved.meta.wOpt, pick('o:'), wVars, keyOf);
      tOpt.restore(saved.meta.tOpt, pick('q:'), tVars, keyOf);
      ({ epoch, step, wPos, tPos } = saved.meta);
      rng = Rng.fromState(saved.meta.rng);
    }
    const wIt = new BatchIterator(o.data.weights, { batchSize: bs, seed: o.seed, dropLast: true, normalization: { kind: 'raw' }, position: wPos });
    const tIt = new BatchIterator(o.data.theta, { batchSize: bs, seed: o.seed + 1, dropLast: true, normalization: { kind: 'raw' }, position: tPos });
    const wSteps = Math.min(wIt.batchesPerEpoch, o.stepsPerEpoch ?? Infinity);
    const tSteps = Math.min(tIt.batchesPerEpoch, o.stepsPerEpoch ?? Infinity);
    const warmup = d(o.warmupEpochs, 1);
    const totalW = wSteps * o.epochs;
    const totalWork = o.epochs * wSteps + Math.max(0, o.epochs - warmup) * tSteps;
    this.emit({
      type: 'dmasking/started',
      choices: net.choices.map((x) => ({ key: x.key, kind: x.kind, layer: x.layer, options: x.options })),
      layers: net.layers.length,
      epochs: o.epochs,
      resumedAtEpoch: epoch,
      params: net.store.count(),
      resource: this.resource,
      spaceSizeLog10: spaceSizeLog10(o.space),
    });
    const t0 = Date.now();
    const doneAtStart = epoch * wSteps + Math.max(0, epoch - warmup) * tSteps;
    let done = doneAtStart;
    const progress = (phase: string) => {
      const rate = (done - doneAtStart) / Math.max((Date.now() - t0) / 1000, 1e-3);
      this.emit({ type: 'stage/progress', stage: 'dmasking', phase, done, total: totalWork, etaSec: rate > 0 ? (totalWork - done) / rate : undefined });
    };

    while (epoch < o.epochs && !this.cancelled) {
      const te = Date.now();
      const tau = temperatureAt(epoch, d(o.tau0, 5), d(o.tauDecay, 0.045));
      let wLoss = 0, wCe = 0, flopsSum = 0, lr = 0, seen = 0;
      for (let b = 0; b < wSteps && !this.cancelled; b++) {
        lr = cosineLr(step, totalW, d(o.weightLr, 0.1));
        const batch = wIt.next();
        const mode: DMaskingMode = { kind: 'gumbel', tau, noise: net.sampleNoise(rng), hard: o.hard };
        const r = this.step(batch, [h, w, c], mode, { training: true }, wVars, (grads) => wOpt.apply(wVars, grads, lr), `weight loss, epoch ${epoch + 1}, step ${b + 1}`);
        step++;
        wLoss += r.loss;
        wCe += r.ce;
        flopsSum += r.flops;
        seen += batch.size;
        done++;
        if (b % 5 === 4 || b === wSteps - 1) progress(`epoch ${epoch + 1}/${o.epochs} weights`);
        await tick();
      }
      let tLoss: number | undefined, tCe: number | undefined, tAcc: number | undefined;
      if (epoch >= warmup && !this.cancelled) {
        let sl = 0, sc = 0, sa = 0, n = 0;
        for (let b = 0; b < tSteps && !this.cancelled; b++) {
          const batch = tIt.next();
          const mode: DMaskingMode = { kind: 'gumbel', tau, noise: net.sampleNoise(rng), hard: o.hard };
          const lrT = d(o.thetaLr, 0.01);
          const r = this.step(batch, [h, w, c], mode, { training: true, updateStats: false }, tVars, (grads) => tOpt.apply(tVars, grads, lrT), `α loss, epoch ${epoch + 1}`);
          sl += r.loss;
          sc += r.ce;
          sa += r.correct;
          n++;
          done++;
          if (b % 5 === 4 || b === tSteps - 1) progress(`epoch ${epoch + 1}/${o.epochs} α`);
          await tick();
        }
        tLoss = sl / Math.max(n, 1);
        tCe = sc / Math.max(n, 1);
        tAcc = sa / Math.max(n * bs, 1);
      }
      if (this.cancelled) break;
      epoch++;
      const seconds = (Date.now() - te) / 1000;
      const expected = this.expectedFigures();
      this.emit({
        type: 'dmasking/epoch-ended',
        epoch,
        temperature: tau,
        weightLoss: wLoss / wSteps,
        weightCe: wCe / wSteps,
        thetaLoss: tLoss,
        thetaCe: tCe,
        thetaAccuracy: tAcc,
        effectiveFlops: expected.flops,
        effectiveParams: expected.params,
        sampledFlops: flopsSum / wSteps,
        expectedLatencyMs: expected.latencyMs,
        argmaxFlops: describeChoice(o.space, argmaxChoice(o.space, net.thetaValues())).flops,
        lrWeights: lr,
        seconds,
        imagesPerSec: seen / Math.max(seconds, 1e-9),
      });
      this.emit({ type: 'dmasking/distributions', epoch, ...distributions(o.space, net.thetaValues()) });
      if (o.run) {
        const tensors: TensorMap = {};
        for (const [k, v] of Object.entries(net.store.snapshot())) tensors[`p:${k}`] = v;
        for (const [k, v] of net.thetas) tensors[`a:${k}`] = { shape: v.shape.slice(), data: v.dataSync() as Float32Array };
        const ws = wOpt.state(wVars, keyOf);
        const ts = tOpt.state(tVars, keyOf);
        for (const [k, v] of Object.entries(ws.tensors)) tensors[`o:${k}`] = v;
        for (const [k, v] of Object.entries(ts.tensors)) tensors[`q:${k}`] = v;
        const meta: SearchMeta = { epoch, step, rng: rng.state(), wPos: wIt.position(), tPos: tIt.position(), wOpt: ws.meta as SearchMeta['wOpt'], tOpt: ts.meta as SearchMeta['tOpt'] };
        o.run.saveCheckpoint(ckpt, { meta, tensors });
        this.emit({ type: 'dmasking/checkpoint-saved', epoch });
      }
    }
    wOpt.dispose();
    tOpt.dispose();
    if (this.cancelled) return null;

    const alphas = net.thetaValues();
    const sampleRng = new Rng(o.seed).fork('sample-archs');
    const seenKeys = new Set<string>();
    const sampled: V2ArchSummary[] = [];
    const n = d(o.samples, 4);
    for (let i = 0; i < n * 4 && sampled.length < n; i++) {
      const choice = sampleChoiceFromProbs(o.space, probsOf(alphas), sampleRng);
      const key = JSON.stringify(choice);
      if (seenKeys.has(key)) continue;
      seenKeys.add(key);
      sampled.push(await this.summarize(choice, tIt));
    }
    this.emit({ type: 'search/arch-sampled', archs: sampled });
    const am = argmaxChoice(o.space, alphas);
    const derived = sampled.find((s) => JSON.stringify(s.choice) === JSON.stringify(am)) ?? (await this.summarize(am, tIt));
    this.emit({ type: 'search/arch-derived', ...derived });
    return { derived, sampled, alphas, epochs: epoch };
  }

  /** One optimisation step on a batch: loss, gradients of `vars`, update. Frees every tensor it made. */
  private step(
    batch: { x: Float32Array; y: Int32Array; size: number },
    [h, w, c]: [number, number, number],
    mode: DMaskingMode,
    ctx: { training: boolean; updateStats?: boolean },
    vars: tf.Variable[],
    apply: (grads: tf.NamedTensorMap) => void,
    what: string,
  ): { loss: number; ce: number; flops: number; correct: number } {
    return tf.tidy(() => {
      const x = tf.tensor4d(batch.x, [batch.size, h, w, c]);
      const y = tf.tensor1d(batch.y, 'int32');
      let ceV = 0, flops = 0, correct = 0;
      const { value, grads } = tf.variableGrads(() => {
        const f = this.supernet.forward(x, mode, ctx);
        const { loss, ce } = this.lossOf(f.logits, y, f.weights);
        ceV = ce.dataSync()[0];
        flops = tf.tidy(() => this.supernet.effectiveCost(f.weights, 'flops').dataSync()[0]);
        correct = countCorrect(f.logits, y);
        return loss;
      }, vars);
      const l = value.dataSync()[0];
      if (!Number.isFinite(l)) throw new FbnetError('NUMERIC', `DMasking ${what}: loss became ${l}; the last checkpoint is kept`);
      apply(grads);
      return { loss: l, ce: ceV, flops, correct };
    });
  }

  /** Effective FLOPs/params and E[LAT] at P_α (softmax of α, τ = 1). */
  expectedFigures(): { flops: number; params: number; latencyMs?: number } {
    return tf.tidy(() => {
      const w = this.supernet.mixWeights({ kind: 'expected', tau: 1 });
      return {
        flops: this.supernet.effectiveCost(w, 'flops').dataSync()[0],
        params: this.supernet.effectiveCost(w, 'params').dataSync()[0],
        latencyMs: this.o.latency ? this.o.latency.expected(w).dataSync()[0] : undefined,
      };
    });
  }

  /** Describe an arch and score it with the supernet's shared weights (BN re-estimated for its path). */
  private async summarize(choice: ReturnType<typeof argmaxChoice>, it: BatchIterator): Promise<V2ArchSummary> {
    const net = this.supernet;
    const o = this.o;
    const base = describeChoice(o.space, choice);
    const probability = choiceProbability(probsOf(net.thetaValues()), choice);
    const latencyMs = o.latency ? o.latency.expectedValue(oneHot(net, choice)) : undefined;
    const mode: DMaskingMode = { kind: 'fixed', choice };
    const supernetAccuracy = await pathAccuracy({
      store: net.store,
      logits: (x, ctx) => net.forward(x, mode, ctx).logits,
      inputShape: net.inputShape,
      bnBatches: it,
      passes: d(o.bnRecalibrationBatches, 4),
      evalData: o.data.theta,
    });
    return { ...base, latencyMs, probability, supernetAccuracy };
  }

  dispose(): void {
    this.supernet.dispose();
  }
}

function oneHot(net: DMaskingSupernet, choice: ReturnType<typeof argmaxChoice>): Record<string, number[]> {
  return Object.fromEntries(net.choices.map((c) => [c.key, c.options.map((_, i) => (i === optionIndex(choice, c.key) ? 1 : 0))]));
}

