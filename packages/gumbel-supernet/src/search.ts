import * as tf from '@tensorflow/tfjs-core';
import { Subject, type Observable } from 'rxjs';
import { archFromChoice, FbnetError, Rng, type RngState, type SearchSpace } from '@fbnet/core';
import { BatchIterator, type ImageDataset } from '@fbnet/data';
import { countCorrect, crossEntropy, type InputNormalization, type ParamSnapshot } from '@fbnet/nn';
import type { RunDir, TensorMap } from '@fbnet/runs';
import { cosineLr, Optimizer } from '@fbnet/train';
import type { ArchSummary, SupernetEvent, SupernetEventMap } from './events.ts';
import { argmaxTheta, sampleFromTheta, temperatureAt, temperatureDecay, thetaProbs } from './gumbel.ts';
import { latencyAwareLoss } from './loss.ts';
import { pathAccuracy } from './path-accuracy.ts';
import { Supernet, type MixMode, type SupernetLatency } from './supernet.ts';

export interface SupernetSearchOptions {
  space: SearchSpace;
  latency: SupernetLatency;
  /** FBNet splits the training set: 80% trains the weights, 20% trains θ. */
  data: { weights: ImageDataset; theta: ImageDataset };
  normalization: InputNormalization;
  seed: number;
  epochs: number;
  batchSize?: number;
  /** Cap on steps per epoch in each phase (quick presets). */
  stepsPerEpoch?: number;
  /** Epochs of weight-only training before θ updates start. */
  warmupEpochs?: number;
  /** Gumbel-softmax temperature at the first epoch (FBNet: 5). */
  tau0?: number;
  /** Per-epoch exponential decay of τ (FBNet: 0.045 over 90 epochs, ending near 0.1). Ignored when `tauEnd` is set. */
  tauDecay?: number;
  /**
   * τ at the last epoch: the decay is chosen so τ falls from `tau0` to `tauEnd` over the search, as
   * FBNet's schedule does over 90 epochs (5 → ≈0.09). Short searches need it: with the per-epoch
   * 0.045 decay, 8 epochs end at τ ≈ 3.6 and the supernet never stops being a soft mixture.
   */
  tauEnd?: number;
  /** Straight-through hard Gumbel-softmax instead of soft. */
  hard?: boolean;
  alpha?: number;
  beta?: number;
  /** Unit of LAT inside eq. 2; 'auto' picks ms when every arch is above 2 ms, else µs. */
  latencyUnit?: 'ms' | 'us' | 'auto';
  weightLr?: number;
  weightMomentum?: number;
  weightDecay?: number;
  thetaLr?: number;
  thetaDecay?: number;
  /** Architectures sampled from P_θ at the end (eq. 6). */
  samples?: number;
  /** Batches used to re-estimate BN statistics before scoring a sampled arch with shared weights. */
  bnRecalibrationBatches?: number;
  run?: RunDir;
}

export interface SupernetSearchResult {
  derived: ArchSummary;
  sampled: ArchSummary[];
  thetas: number[][];
  epochs: number;
}

interface SearchMeta {
  epoch: number;
  rng: RngState;
  wPos: unknown;
  tPos: unknown;
  wOpt: { t: number; kind: 'sgd' };
  tOpt: { t: number; kind: 'adam' };
  step: number;
}

const d = <T>(v: T | undefined, x: T) => (v === undefined ? x : v);

/**
 * The FBNetV1 DNAS search loop: per epoch, weights by SGD on the weight split, then (after
 * warm-up) θ by Adam on the θ split, both with the latency-aware loss; temperature annealed
 * per epoch; checkpointed atomically every epoch and resumable to the same result.
 */
export class SupernetSearch {
  readonly supernet: Supernet;
  private readonly subject = new Subject<SupernetEvent>();
  readonly events$: Observable<SupernetEvent> = this.subject.asObservable();
  private cancelled = false;
  readonly latencyScale: number;
  /** Per-epoch decay of the temperature (from `tauEnd` when given). */
  readonly tauDecay: number;

  constructor(private readonly o: SupernetSearchOptions) {
    this.supernet = new Supernet(o.space, o.normalization, o.seed);
    this.tauDecay = temperatureDecay(o.epochs, d(o.tau0, 5), o.tauEnd, d(o.tauDecay, 0.045));
    const unit = o.latencyUnit ?? 'auto';
    const minMs = o.latency.fixedMs + o.latency.layerMs.reduce((s, row) => s + Math.min(...row), 0);
    this.latencyScale = unit === 'ms' ? 1 : unit === 'us' ? 1000 : minMs > 2 ? 1 : 1000;
  }

  cancel(): void {
    this.cancelled = true;
  }

  private emit(e: SupernetEvent): void {
    this.subject.next(e);
  }

  async run(): Promise<SupernetSearchResult | null> {
    try {
      const r = await this.loop();
      this.subject.complete();
      return r;
    } catch (e) {
      this.subject.error(e);
      throw e;
    }
  }

  private loss(logits: tf.Tensor2D, y: tf.Tensor1D, latMs: tf.Scalar): { loss: tf.Scalar; ce: tf.Scalar } {
    const ce = crossEntropy(logits, y);
    const lat = tf.mul(latMs, this.latencyScale) as tf.Scalar;
    return { loss: latencyAwareLoss(ce, lat, { alpha: d(this.o.alpha, 0.2), beta: d(this.o.beta, 0.6) }), ce };
  }

  private async loop(): Promise<SupernetSearchResult | null> {
    const o = this.o;
    const net = this.supernet;
    const [h, w, c] = net.inputShape;
    const bs = Math.min(d(o.batchSize, 64), o.data.weights.count, o.data.theta.count);
    const wVars = net.weightVariables();
    const tVars = net.thetas;
    const names = new Map<string, string>([...net.store.entries().map(([n, v]) => [v.name, n] as [string, string]), ...tVars.map((v, i) => [v.name, `theta.${i}`] as [string, string])]);
    const keyOf = (v: tf.Variable) => names.get(v.name)!;
    const wOpt = new Optimizer({ kind: 'sgd', momentum: d(o.weightMomentum, 0.9), weightDecay: d(o.weightDecay, 1e-4) }, (v) => /\.w$/.test(keyOf(v)));
    const tOpt = new Optimizer({ kind: 'adam', weightDecay: d(o.thetaDecay, 5e-4) });
    let rng = new Rng(o.seed).fork('supernet');
    let epoch = 0;
    let step = 0;
    let wPos: unknown, tPos: unknown;

    const saved = o.run?.loadCheckpoint<SearchMeta>('supernet');
    if (saved) {
      const pick = (p: string) => Object.fromEntries(Object.entries(saved.tensors).filter(([k]) => k.startsWith(p)).map(([k, v]) => [k.slice(p.length), v])) as TensorMap;
      net.store.restore(pick('p:') as ParamSnapshot);
      const th = pick('t:');
      tVars.forEach((v, i) => {
        const e = th[String(i)];
        if (!e || e.data.length !== v.size) throw new FbnetError('CHECKPOINT', `supernet checkpoint lacks θ for layer ${i}`);
        tf.tidy(() => v.assign(tf.tensor(e.data, v.shape)));
      });
      wOpt.restore(saved.meta.wOpt, pick('o:'), wVars, keyOf);
      tOpt.restore(saved.meta.tOpt, pick('q:'), tVars, keyOf);
      epoch = saved.meta.epoch;
      step = saved.meta.step;
      rng = Rng.fromState(saved.meta.rng);
      wPos = saved.meta.wPos;
      tPos = saved.meta.tPos;
    }
    const wIt = new BatchIterator(o.data.weights, { batchSize: bs, seed: o.seed, dropLast: true, normalization: { kind: 'raw' }, position: wPos });
    const tIt = new BatchIterator(o.data.theta, { batchSize: bs, seed: o.seed + 1, dropLast: true, normalization: { kind: 'raw' }, position: tPos });
    const wSteps = Math.min(wIt.batchesPerEpoch, o.stepsPerEpoch ?? Infinity);
    const tSteps = Math.min(tIt.batchesPerEpoch, o.stepsPerEpoch ?? Infinity);
    const warmup = d(o.warmupEpochs, 1);
    const totalW = wSteps * o.epochs;
    const totalWork = o.epochs * wSteps + Math.max(0, o.epochs - warmup) * tSteps;
    this.emit({ type: 'supernet/started', layers: net.layers.length, candidates: net.layers.map((l) => l.candidates), epochs: o.epochs, resumedAtEpoch: epoch, params: net.store.count() });
    const t0 = Date.now();
    const doneAtStart = epoch * wSteps + Math.max(0, epoch - warmup) * tSteps;
    let done = doneAtStart;
    const progress = (phase: string) => {
      const rate = (done - doneAtStart) / Math.max((Date.now() - t0) / 1000, 1e-3);
      this.emit({ type: 'stage/progress', stage: 'supernet', phase, done, total: totalWork, etaSec: rate > 0 ? (totalWork - done) / rate : undefined });
    };

    while (epoch < o.epochs && !this.cancelled) {
      const te = Date.now();
      const tau = temperatureAt(epoch, d(o.tau0, 5), this.tauDecay);
      let wLoss = 0, wCe = 0, lat = 0, lr = 0, seen = 0;
      for (let b = 0; b < wSteps && !this.cancelled; b++) {
        lr = cosineLr(step, totalW, d(o.weightLr, 0.1));
        const batch = wIt.next();
        const noise = net.sampleNoise(rng);
        const r = tf.tidy(() => {
          const x = tf.tensor4d(batch.x, [batch.size, h, w, c]);
          const y = tf.tensor1d(batch.y, 'int32');
          let ceV = 0, latV = 0;
          const { value, grads } = tf.variableGrads(() => {
            const f = net.forward(x, { kind: 'gumbel', tau, noise, hard: o.hard }, { training: true }, o.latency);
            const { loss, ce } = this.loss(f.logits, y, f.latencyMs);
            ceV = ce.dataSync()[0];
            latV = f.latencyMs.dataSync()[0];
            return loss;
          }, wVars);
          const l = value.dataSync()[0];
          if (!Number.isFinite(l)) throw new FbnetError('NUMERIC', `supernet weight loss became ${l} at epoch ${epoch + 1}, step ${b + 1}; the last checkpoint is kept`);
          wOpt.apply(wVars, grads, lr);
          return { l, ceV, latV };
        });
        step++;
        wLoss += r.l;
        wCe += r.ceV;
        lat += r.latV;
        seen += batch.size;
        done++;
        if (b % 5 === 4 || b === wSteps - 1) progress(`epoch ${epoch + 1}/${o.epochs} weights`);
        await new Promise((res) => setImmediate(res));
      }
      let tLoss: number | undefined, tCe: number | undefined, tAcc: number | undefined;
      if (epoch >= warmup && !this.cancelled) {
        let sl = 0, sc = 0, sa = 0, n = 0, tl = 0;
        for (let b = 0; b < tSteps && !this.cancelled; b++) {
          const batch = tIt.next();
          const noise = net.sampleNoise(rng);
          const r = tf.tidy(() => {
            const x = tf.tensor4d(batch.x, [batch.size, h, w, c]);
            const y = tf.tensor1d(batch.y, 'int32');
            let ceV = 0, acc = 0, latV = 0;
            const { value, grads } = tf.variableGrads(() => {
              const f = net.forward(x, { kind: 'gumbel', tau, noise, hard: o.hard }, { training: true, updateStats: false }, o.latency);
              const { loss, ce } = this.loss(f.logits, y, f.latencyMs);
              ceV = ce.dataSync()[0];
              latV = f.latencyMs.dataSync()[0];
              acc = countCorrect(f.logits, y);
              return loss;
            }, tVars);
            const l = value.dataSync()[0];
            if (!Number.isFinite(l)) throw new FbnetError('NUMERIC', `supernet θ loss became ${l} at epoch ${epoch + 1}; the last checkpoint is kept`);
            tOpt.apply(tVars, grads, d(o.thetaLr, 0.01));
            return { l, ceV, acc, latV };
          });
          sl += r.l;
          sc += r.ceV;
          sa += r.acc;
          tl += r.latV;
          n++;
          done++;
          if (b % 5 === 4 || b === tSteps - 1) progress(`epoch ${epoch + 1}/${o.epochs} θ`);
          await new Promise((res) => setImmediate(res));
        }
        tLoss = sl / Math.max(n, 1);
        tCe = sc / Math.max(n, 1);
        tAcc = sa / Math.max(n * bs, 1);
        void tl;
      }
      if (this.cancelled) break;
      epoch++;
      const seconds = (Date.now() - te) / 1000;
      const latencyMs = this.expectedLatencyMs();
      this.emit({
        type: 'supernet/epoch-ended',
        epoch,
        temperature: tau,
        weightLoss: wLoss / wSteps,
        weightCe: wCe / wSteps,
        thetaLoss: tLoss,
        thetaCe: tCe,
        latencyMs,
        thetaAccuracy: tAcc,
        lrWeights: lr,
        seconds,
        imagesPerSec: seen / Math.max(seconds, 1e-9),
      });
      void lat;
      this.emit({ type: 'supernet/theta', epoch, probs: net.thetaValues().map((t) => thetaProbs(t)) });
      if (o.run) {
        const tensors: TensorMap = {};
        for (const [k, v] of Object.entries(net.store.snapshot())) tensors[`p:${k}`] = v;
        net.thetas.forEach((t, i) => (tensors[`t:${i}`] = { shape: t.shape.slice(), data: t.dataSync() as Float32Array }));
        const ws = wOpt.state(wVars, keyOf);
        const ts = tOpt.state(tVars, keyOf);
        for (const [k, v] of Object.entries(ws.tensors)) tensors[`o:${k}`] = v;
        for (const [k, v] of Object.entries(ts.tensors)) tensors[`q:${k}`] = v;
        const meta: SearchMeta = { epoch, rng: rng.state(), wPos: wIt.position(), tPos: tIt.position(), wOpt: ws.meta as SearchMeta['wOpt'], tOpt: ts.meta as SearchMeta['tOpt'], step };
        o.run.saveCheckpoint('supernet', { meta, tensors });
        this.emit({ type: 'supernet/checkpoint-saved', epoch });
      }
    }
    wOpt.dispose();
    tOpt.dispose();
    if (this.cancelled) return null;

    const thetas = net.thetaValues();
    const sampleRng = new Rng(o.seed).fork('sample-archs');
    const seen = new Set<string>();
    const sampled: ArchSummary[] = [];
    const n = d(o.samples, 8);
    for (let i = 0; i < n * 4 && sampled.length < n; i++) {
      const s = sampleFromTheta(thetas, sampleRng);
      const key = s.ops.join(',');
      if (seen.has(key)) continue;
      seen.add(key);
      sampled.push(await this.summarize(s.ops, s.probability, tIt));
    }
    this.emit({ type: 'search/arch-sampled', archs: sampled });
    const am = argmaxTheta(thetas);
    const derived = sampled.find((s) => s.ops.join() === am.ops.map((i, l) => net.layers[l].candidates[i]).join()) ?? (await this.summarize(am.ops, am.probability, tIt));
    this.emit({ type: 'search/arch-derived', ...derived });
    return { derived, sampled, thetas, epochs: epoch };
  }

  /** Σ_l E_{P_θ}[LAT] — the expected latency of an arch sampled from P_θ (eq. 4, eq. 6), in ms. */
  expectedLatencyMs(): number {
    const l = this.o.latency;
    let s = l.fixedMs;
    this.supernet.thetaValues().forEach((t, i) => {
      const p = thetaProbs(t);
      s += p.reduce((a, pi, j) => a + pi * l.layerMs[i][j], 0);
    });
    return s;
  }

  /** Describe an architecture and score it with the supernet's shared weights (BN re-estimated). */
  private async summarize(ops: number[], probability: number, it: BatchIterator): Promise<ArchSummary> {
    const net = this.supernet;
    const o = this.o;
    const latencyMs = o.latency.fixedMs + ops.reduce((s, k, l) => s + o.latency.layerMs[l][k], 0);
    const arch = archFromChoice(o.space, { ops });
    const mode: MixMode = { kind: 'fixed', ops };
    const supernetAccuracy = await pathAccuracy({
      store: net.store,
      logits: (x, ctx) => net.forward(x, mode, ctx).logits,
      inputShape: net.inputShape,
      bnBatches: it,
      passes: d(o.bnRecalibrationBatches, 8),
      evalData: o.data.theta,
    });
    return { choice: { ops }, ops: ops.map((k, l) => net.layers[l].candidates[k]), arch, latencyMs, probability, supernetAccuracy };
  }

  dispose(): void {
    this.supernet.dispose();
  }
}

export type { SupernetEventMap };
