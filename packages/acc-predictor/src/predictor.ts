import * as tf from '@tensorflow/tfjs-core';
import { FbnetError, Rng } from '@fbnet/core';
import { kendallTauB } from '@fbnet/core';
import type { StageCheckpoint, StageRun } from '@fbnet/core';

type Checkpoint<M> = StageCheckpoint<M>;
type TensorMap = StageCheckpoint['tensors'];
import { Adam, createDense, dense, huberLoss, type Activation } from './mlp.ts';

/** Shape of the neural acquisition function (FBNetV3 fig. 3). */
export interface PredictorConfig {
  /** Width of the architecture encoding (one-hot / integer representation). */
  archDim: number;
  /** Width of the training-recipe encoding. */
  recipeDim: number;
  /** Hidden widths of the architecture encoder MLP; its last layer is the embedding. */
  encoderHidden?: number[];
  embeddingDim?: number;
  /** Hidden widths of the accuracy head on [embedding, recipe]. */
  headHidden?: number[];
  /** Outputs of the proxy head (default 2: log FLOPs, log params). */
  proxyOutputs?: number;
  /** Hidden activation; a smooth one fits the few, noisy accuracy samples more gracefully than ReLU. */
  activation?: Exclude<Activation, 'linear'>;
  seed?: number;
  /**
   * Members of a deep ensemble: independently initialised accuracy heads (and fine-tuned encoder
   * copies) on one proxy-pretrained encoder, predictions averaged. 1 is FBNetV3's single
   * predictor. Few, noisy samples make a single net's ranking depend on its seed; in 3-fold
   * cross-validation on 72 real candidates, 5 members gave Kendall τ 0.50–0.57 against 0.40–0.58
   * for single seeds (docs/v3.md). Default 5.
   */
  ensemble?: number;
}

export interface ProxyPretrainOptions {
  epochs?: number;
  lr?: number;
  batchSize?: number;
  /** Checked after every epoch: once aborted, training throws a CHECKPOINT error (the weights are then partly trained; reload the last checkpoint). */
  signal?: AbortSignal;
}

/** FBNetV3 §3.2: Huber loss; encoder frozen for `frozenEpochs`, then all fine-tuned for `fineTuneEpochs` with a decaying lr. */
export interface PredictorFitOptions {
  frozenEpochs?: number;
  fineTuneEpochs?: number;
  /** Learning rate of the frozen phase (accuracy head only). */
  lr?: number;
  /** Initial learning rate of the fine-tuning phase; cosine-decays to 0. */
  fineTuneLr?: number;
  batchSize?: number;
  /** Huber δ, in units of the accuracy targets' standard deviation. */
  huberDelta?: number;
  /** Decoupled (AdamW) weight decay of the weight matrices; strong, since samples are few. */
  weightDecay?: number;
  /**
   * What the accuracy head regresses: `normal-scores` (default) — each sample's rank mapped to a
   * standard normal quantile, predictions mapped back to accuracy through the samples' own
   * (monotone, linearly extrapolated) quantile curve; or `standardized` — (accuracy − mean) / std.
   * A few candidates at chance accuracy (a recipe that does not train) dominate standardized
   * targets and squeeze the candidates the search must tell apart into a fraction of the scale;
   * normal scores give every rank step the same weight (on 96 real candidates, 4-fold CV:
   * Kendall τ 0.31 vs 0.28, among the candidates that trained 0.21 vs 0.06).
   */
  targets?: 'normal-scores' | 'standardized';
  /** Checked after every epoch: once aborted, training throws a CHECKPOINT error (reload the last checkpoint). */
  signal?: AbortSignal;
}

export interface PredictorSample {
  arch: number[];
  recipe: number[];
  /** Measured (early-stopped) accuracy. */
  accuracy: number;
}

export interface PredictorFitReport {
  samples: number;
  frozenLoss: number;
  fineTuneLoss: number;
  trainRmse: number;
}

export interface PredictorMetrics {
  n: number;
  /** Kendall τ-b between predicted and measured accuracy. */
  kendallTau: number;
  /** Root mean squared error, in accuracy units (0..1). */
  rmse: number;
}

interface Norm {
  mean: number[];
  std: number[];
}

/** One member's state (version 1 was a whole single-net predictor's checkpoint). */
export interface PredictorNetMeta {
  version: 1;
  config: Required<PredictorConfig>;
  proxyNorm?: Norm;
  accNorm?: Norm;
  /** With normal-score targets: the knots (score, accuracy), both increasing, that map a predicted score back to accuracy. */
  scoreMap?: ScoreMap;
  proxyPretrained: boolean;
  fits: number;
}

export interface PredictorMeta {
  version: 2;
  config: Required<PredictorConfig>;
  members: PredictorNetMeta[];
}

const withDefaults = (c: PredictorConfig): Required<PredictorConfig> => ({
  // Sized for the few dozen to few hundred candidates a search trains: on 96 real candidates
  // (benchmarks/v3-predictor.ts, 4-fold CV), [32]/16/[16] ranked held-out ones at Kendall τ
  // 0.41–0.42 (two seeds) against 0.31 for [64]/32/[32] and 0.38 for [16]/8/[8].
  encoderHidden: [32],
  embeddingDim: 16,
  headHidden: [16],
  proxyOutputs: 2,
  activation: 'swish',
  seed: 0,
  ensemble: 5,
  ...c,
});

/** Kendall τ-b and RMSE of predictions against the samples' measured accuracies. */
function predictionMetrics(pred: number[], samples: PredictorSample[]): PredictorMetrics {
  const acc = samples.map((s) => s.accuracy);
  const rmse = Math.sqrt(pred.reduce((s, p, i) => s + (p - acc[i]) ** 2, 0) / Math.max(1, samples.length));
  return { n: samples.length, kendallTau: samples.length > 1 ? kendallTauB(pred, acc) : NaN, rmse };
}

/** Knots of a monotone map from normal scores to accuracy (both strictly increasing). */
export interface ScoreMap {
  z: number[];
  accuracy: number[];
}

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation, |relative error| < 1.2e-9;
 * checked against SciPy's `norm.ppf` in the tests).
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new FbnetError('USAGE', `normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/**
 * Normal scores of values: Φ⁻¹((rank − ½) / n), tied values sharing their mean rank; and the
 * knots mapping scores back to values (one per distinct value).
 */
export function normalScores(values: number[]): { scores: number[]; map: ScoreMap } {
  const n = values.length;
  const order = values.map((_, i) => i).sort((x, y) => values[x] - values[y]);
  const rank = new Array<number>(n);
  const map: ScoreMap = { z: [], accuracy: [] };
  for (let i = 0; i < n; ) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const z = normalQuantile(((i + j) / 2 + 0.5) / n);
    for (let k = i; k <= j; k++) rank[order[k]] = z;
    map.z.push(z);
    map.accuracy.push(values[order[i]]);
    i = j + 1;
  }
  return { scores: rank, map };
}

/** Score → accuracy through the knots: piecewise linear, extrapolated with the end segments' slopes (strictly increasing, so ranks are kept). */
export function scoreToAccuracy(map: ScoreMap, z: number): number {
  const { z: zs, accuracy: as } = map;
  const k = zs.length;
  if (k === 1) return as[0] + 0.01 * z;
  let i = 1;
  if (z > zs[0]) while (i < k - 1 && z > zs[i]) i++;
  return as[i - 1] + ((z - zs[i - 1]) * (as[i] - as[i - 1])) / (zs[i] - zs[i - 1]);
}

function standardize(rows: number[][]): Norm {
  const d = rows[0].length;
  const mean = Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);
  const std = mean.map((m, j) => Math.sqrt(rows.reduce((s, r) => s + (r[j] - m) ** 2, 0) / rows.length) || 1);
  return { mean, std };
}

/**
 * FBNetV3's neural acquisition function (one network): an architecture encoder (MLP over the
 * arch encoding) feeding two heads — a proxy head that predicts FLOPs/params (pretrained on
 * labels shape propagation gives for free) and an accuracy head on [embedding, recipe].
 * Variables are explicit; every tensor is freed by `dispose()`. `AccuracyPredictor` averages
 * an ensemble of these.
 */
export class PredictorNet {
  readonly config: Required<PredictorConfig>;
  private readonly vars = new Map<string, tf.Variable>();
  private pretrainedEncoder: TensorMap | null = null;
  private proxyNorm?: Norm;
  private accNorm?: Norm;
  private scoreMap?: ScoreMap;
  private fits = 0;

  constructor(config: PredictorConfig) {
    this.config = withDefaults(config);
    const c = this.config;
    if (!(c.archDim > 0 && c.recipeDim >= 0)) throw new FbnetError('USAGE', `predictor: archDim must be positive and recipeDim non-negative (got ${c.archDim}, ${c.recipeDim})`);
    const rng = new Rng(c.seed);
    const widths = [c.archDim, ...c.encoderHidden, c.embeddingDim];
    for (let i = 0; i + 1 < widths.length; i++) createDense(this.vars, { name: `encoder.${i}`, inputs: widths[i], outputs: widths[i + 1] }, rng.fork(`encoder.${i}`));
    createDense(this.vars, { name: 'proxy.out', inputs: c.embeddingDim, outputs: c.proxyOutputs }, rng.fork('proxy'), 1);
    this.initAccuracyHead();
  }

  private initAccuracyHead(): void {
    const c = this.config;
    const rng = new Rng(c.seed).fork('accuracy-head');
    const widths = [c.embeddingDim + c.recipeDim, ...c.headHidden];
    for (let i = 0; i + 1 < widths.length; i++) this.replace(`accuracy.${i}`, widths[i], widths[i + 1], rng.fork(String(i)), Math.sqrt(2));
    this.replace('accuracy.out', widths.at(-1)!, 1, rng.fork('out'), 1);
  }

  private replace(name: string, inputs: number, outputs: number, rng: Rng, gain: number): void {
    for (const k of [`${name}.w`, `${name}.b`]) {
      this.vars.get(k)?.dispose();
      this.vars.delete(k);
    }
    createDense(this.vars, { name, inputs, outputs }, rng, gain);
  }

  private layerNames(prefix: string): string[] {
    return [...new Set([...this.vars.keys()].filter((k) => k.startsWith(prefix)).map((k) => k.slice(0, k.lastIndexOf('.'))))].sort((a, b) => {
      const ia = Number(a.split('.')[1]), ib = Number(b.split('.')[1]);
      return Number.isNaN(ia) ? 1 : Number.isNaN(ib) ? -1 : ia - ib;
    });
  }

  private variables(prefix: string): tf.Variable[] {
    return [...this.vars.entries()].filter(([k]) => k.startsWith(prefix)).map(([, v]) => v);
  }

  /** Architecture embedding [N, embeddingDim]. */
  private embedT(x: tf.Tensor2D): tf.Tensor2D {
    let h = x;
    for (const name of this.layerNames('encoder.')) h = dense(this.vars, name, h, this.config.activation);
    return h;
  }

  private accuracyT(arch: tf.Tensor2D, recipe: tf.Tensor2D): tf.Tensor2D {
    let h = this.config.recipeDim > 0 ? (tf.concat([this.embedT(arch), recipe], 1) as tf.Tensor2D) : this.embedT(arch);
    for (const name of this.layerNames('accuracy.').filter((n) => n !== 'accuracy.out')) h = dense(this.vars, name, h, this.config.activation);
    return dense(this.vars, 'accuracy.out', h, 'linear');
  }

  private checkWidth(rows: number[][], width: number, what: string): void {
    for (const r of rows) if (r.length !== width) throw new FbnetError('USAGE', `predictor: ${what} encoding has ${r.length} values, expected ${width}`);
  }

  /**
   * Pretrain encoder + proxy head on architecture statistics (FBNetV3: the proxy head needs
   * no training runs; labels come from shape propagation). `targets` are per-arch values
   * such as [log FLOPs, log params]; they are standardized here.
   */
  async pretrainProxy(arch: number[][], targets: number[][], o: ProxyPretrainOptions = {}): Promise<{ loss: number; kendallTau: number }> {
    if (!arch.length || arch.length !== targets.length) throw new FbnetError('USAGE', 'predictor: pretrainProxy needs as many targets as architectures (and at least one)');
    this.checkWidth(arch, this.config.archDim, 'architecture');
    this.checkWidth(targets, this.config.proxyOutputs, 'proxy target');
    const norm = standardize(targets);
    this.proxyNorm = norm;
    const y = targets.map((r) => r.map((v, j) => (v - norm.mean[j]) / norm.std[j]));
    const vars = [...this.variables('encoder.'), ...this.variables('proxy.')];
    const loss = await this.train(arch, null, y, vars, o.epochs ?? 100, o.batchSize ?? 64, () => o.lr ?? 3e-3, 'proxy', (p, t) => tf.losses.meanSquaredError(t, p) as tf.Scalar, 'pretrain', 1e-5, o.signal);
    this.pretrainedEncoder = this.snapshot('encoder.');
    const pred = this.proxyPredict(arch).map((r) => r[0]);
    return { loss, kendallTau: kendallTauB(pred, targets.map((r) => r[0])) };
  }

  /** Proxy head outputs in target units. */
  proxyPredict(arch: number[][]): number[][] {
    const n = this.proxyNorm ?? { mean: Array(this.config.proxyOutputs).fill(0), std: Array(this.config.proxyOutputs).fill(1) };
    const out = tf.tidy(() => dense(this.vars, 'proxy.out', this.embedT(tf.tensor2d(arch, [arch.length, this.config.archDim])), 'linear').arraySync());
    return out.map((r) => r.map((v, j) => v * n.std[j] + n.mean[j]));
  }

  /**
   * Fit the accuracy head on all samples so far (FBNetV3 coarse stage, step 3). Starts from
   * the proxy-pretrained encoder and a fresh head each time; phase 1 trains the head with the
   * encoder frozen, phase 2 fine-tunes everything with a cosine-decaying lr.
   */
  async fit(samples: PredictorSample[], o: PredictorFitOptions = {}): Promise<PredictorFitReport> {
    if (samples.length < 2) throw new FbnetError('USAGE', `predictor: need at least 2 samples to fit, got ${samples.length}`);
    const arch = samples.map((s) => s.arch);
    const recipe = samples.map((s) => s.recipe);
    this.checkWidth(arch, this.config.archDim, 'architecture');
    this.checkWidth(recipe, this.config.recipeDim, 'recipe');
    if (this.pretrainedEncoder) this.restoreTensors(this.pretrainedEncoder);
    this.initAccuracyHead();
    const norm = standardize(samples.map((s) => [s.accuracy]));
    this.accNorm = norm;
    let y: number[][];
    if ((o.targets ?? 'normal-scores') === 'normal-scores') {
      const ns = normalScores(samples.map((s) => s.accuracy));
      this.scoreMap = ns.map;
      y = ns.scores.map((z) => [z]);
    } else {
      this.scoreMap = undefined;
      y = samples.map((s) => [(s.accuracy - norm.mean[0]) / norm.std[0]]);
    }
    const delta = o.huberDelta ?? 1;
    const bs = o.batchSize ?? 16;
    const wd = o.weightDecay ?? 0.1;
    const lossFn = (p: tf.Tensor, t: tf.Tensor) => huberLoss(p, t, delta);
    const frozenEpochs = o.frozenEpochs ?? 50;
    const fineEpochs = o.fineTuneEpochs ?? 50;
    const lr = o.lr ?? 1e-2;
    const fineLr = o.fineTuneLr ?? 3e-3;
    const frozenLoss = await this.train(arch, recipe, y, this.variables('accuracy.'), frozenEpochs, bs, () => lr, 'accuracy', lossFn, 'frozen', wd, o.signal);
    const all = [...this.variables('encoder.'), ...this.variables('accuracy.')];
    const fineTuneLoss = await this.train(arch, recipe, y, all, fineEpochs, bs, (e) => 0.5 * fineLr * (1 + Math.cos((Math.PI * e) / Math.max(1, fineEpochs))), 'accuracy', lossFn, 'fine-tune', wd, o.signal);
    this.fits++;
    const pred = this.predict(arch, recipe);
    const trainRmse = Math.sqrt(pred.reduce((s, p, i) => s + (p - samples[i].accuracy) ** 2, 0) / samples.length);
    return { samples: samples.length, frozenLoss, fineTuneLoss, trainRmse };
  }

  private async train(
    arch: number[][],
    recipe: number[][] | null,
    y: number[][],
    vars: tf.Variable[],
    epochs: number,
    batchSize: number,
    lrAt: (epoch: number) => number,
    head: 'proxy' | 'accuracy',
    loss: (pred: tf.Tensor, target: tf.Tensor) => tf.Scalar,
    label: string,
    weightDecay: number,
    signal?: AbortSignal,
  ): Promise<number> {
    const n = arch.length;
    const bs = Math.min(batchSize, n);
    const rng = new Rng(this.config.seed).fork(`${label}-${this.fits}`);
    const opt = new Adam(weightDecay);
    const X = tf.tensor2d(arch, [n, this.config.archDim]);
    const R = recipe && this.config.recipeDim > 0 ? tf.tensor2d(recipe, [n, this.config.recipeDim]) : null;
    const Y = tf.tensor2d(y, [n, y[0].length]);
    let last = NaN;
    try {
      for (let e = 0; e < epochs; e++) {
        const order = rng.permutation(n);
        let sum = 0, batches = 0;
        const lr = lrAt(e);
        for (let b = 0; b + bs <= n || (b === 0 && n > 0); b += bs) {
          const idx = tf.tensor1d(Array.from(order.subarray(b, Math.min(n, b + bs))), 'int32');
          const l = tf.tidy(() => {
            const xb = tf.gather(X, idx) as tf.Tensor2D;
            const yb = tf.gather(Y, idx);
            const rb = R ? (tf.gather(R, idx) as tf.Tensor2D) : (tf.zeros([xb.shape[0], 0]) as tf.Tensor2D);
            const { value, grads } = tf.variableGrads(() => loss(head === 'proxy' ? dense(this.vars, 'proxy.out', this.embedT(xb), 'linear') : this.accuracyT(xb, rb), yb), vars);
            opt.step(vars, grads, lr);
            return value.dataSync()[0];
          });
          idx.dispose();
          sum += l;
          batches++;
          if (b + bs >= n) break;
        }
        last = sum / Math.max(batches, 1);
        if (!Number.isFinite(last)) throw new FbnetError('NUMERIC', `predictor ${label} loss became ${last} at epoch ${e + 1}`);
        if (signal?.aborted) throw new FbnetError('CHECKPOINT', `predictor ${label} training cancelled at epoch ${e + 1}`);
        if (e % 10 === 9) await new Promise((r) => setImmediate(r));
      }
    } finally {
      opt.dispose();
      X.dispose();
      R?.dispose();
      Y.dispose();
    }
    return last;
  }

  /**
   * Predicted accuracy for each (architecture, recipe) encoding pair, on the accuracy scale but
   * not clipped: where the predictor extrapolates, two candidates it ranks apart must not tie at
   * 1.0 (a clipped score stalls the evolution's improvement test). Clip with `asAccuracy` for display.
   */
  predict(arch: number[][], recipe: number[][]): number[] {
    if (!this.accNorm) throw new FbnetError('USAGE', 'predictor: fit() before predict()');
    if (!arch.length) return [];
    const n = this.accNorm;
    const out = tf.tidy(() => {
      const R = this.config.recipeDim > 0 ? tf.tensor2d(recipe, [recipe.length, this.config.recipeDim]) : (tf.zeros([arch.length, 0]) as tf.Tensor2D);
      return this.accuracyT(tf.tensor2d(arch, [arch.length, this.config.archDim]), R).dataSync();
    });
    const map = this.scoreMap;
    return Array.from(out, (v) => (map ? scoreToAccuracy(map, v) : v * n.std[0] + n.mean[0]));
  }

  /** Kendall τ and RMSE of the predictions on (held-out) samples. */
  evaluate(samples: PredictorSample[]): PredictorMetrics {
    return predictionMetrics(this.predict(samples.map((s) => s.arch), samples.map((s) => s.recipe)), samples);
  }

  get fitted(): boolean {
    return !!this.accNorm;
  }

  get proxyPretrained(): boolean {
    return !!this.pretrainedEncoder;
  }

  /** Values of the variables whose names start with `prefix` (`encoder.`, `proxy.`, `accuracy.`). */
  snapshot(prefix = ''): TensorMap {
    const out: TensorMap = {};
    for (const [k, v] of this.vars) if (k.startsWith(prefix)) out[k] = { shape: v.shape.slice(), data: v.dataSync() as Float32Array };
    return out;
  }

  private restoreTensors(t: TensorMap): void {
    for (const [k, e] of Object.entries(t)) {
      const v = this.vars.get(k);
      if (!v) throw new FbnetError('CHECKPOINT', `predictor checkpoint has unknown variable "${k}"`);
      if (v.shape.join() !== e.shape.join()) throw new FbnetError('CHECKPOINT', `predictor checkpoint: "${k}" has shape [${e.shape}], expected [${v.shape}]`);
      tf.tidy(() => v.assign(tf.tensor(e.data, v.shape)));
    }
  }

  /** Whole state as a checkpoint: weights, the pretrained encoder, normalizations. */
  state(): Checkpoint<PredictorNetMeta> {
    const tensors: TensorMap = {};
    for (const [k, v] of Object.entries(this.snapshot())) tensors[`w:${k}`] = v;
    if (this.pretrainedEncoder) for (const [k, v] of Object.entries(this.pretrainedEncoder)) tensors[`pre:${k}`] = v;
    return { meta: { version: 1, config: this.config, proxyNorm: this.proxyNorm, accNorm: this.accNorm, ...(this.scoreMap ? { scoreMap: this.scoreMap } : {}), proxyPretrained: !!this.pretrainedEncoder, fits: this.fits }, tensors };
  }

  /** Take another member's proxy-pretrained encoder and proxy head (one pretraining serves the ensemble). */
  adoptPretrained(from: PredictorNet): void {
    this.restoreTensors({ ...from.snapshot('encoder.'), ...from.snapshot('proxy.') });
    this.pretrainedEncoder = from.pretrainedEncoder;
    this.proxyNorm = from.proxyNorm;
  }

  static fromState(ckpt: Checkpoint<PredictorNetMeta>): PredictorNet {
    if (ckpt.meta?.version !== 1 || !ckpt.meta.config) throw new FbnetError('CHECKPOINT', 'not an accuracy-predictor checkpoint (meta.version/config missing)');
    const p = new PredictorNet(ckpt.meta.config);
    const pick = (pre: string) => Object.fromEntries(Object.entries(ckpt.tensors).filter(([k]) => k.startsWith(pre)).map(([k, v]) => [k.slice(pre.length), v])) as TensorMap;
    p.restoreTensors(pick('w:'));
    if (ckpt.meta.proxyPretrained) p.pretrainedEncoder = pick('pre:');
    p.proxyNorm = ckpt.meta.proxyNorm;
    p.accNorm = ckpt.meta.accNorm;
    p.scoreMap = ckpt.meta.scoreMap;
    p.fits = ckpt.meta.fits;
    return p;
  }

  dispose(): void {
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}

/**
 * The neural acquisition function used by the V3 stages: `config.ensemble` PredictorNets (seeds
 * seed, seed+1, …) sharing one proxy pretraining, each fitted on every sample, predictions
 * averaged. With `ensemble: 1` it is exactly FBNetV3's single predictor. The whole state is one
 * checkpoint.
 */
export class AccuracyPredictor {
  readonly config: Required<PredictorConfig>;
  private readonly members: PredictorNet[];

  constructor(config: PredictorConfig, members?: PredictorNet[]) {
    this.config = withDefaults(config);
    const k = this.config.ensemble;
    if (!(Number.isInteger(k) && k >= 1)) throw new FbnetError('USAGE', `predictor: ensemble must be a positive integer (got ${k})`);
    this.members = members ?? Array.from({ length: k }, (_, i) => new PredictorNet({ ...this.config, seed: this.config.seed + i }));
  }

  /** Number of ensemble members. */
  get size(): number {
    return this.members.length;
  }

  /**
   * Why this predictor cannot score points encoded `arch` + `recipe` values wide (e.g. a
   * checkpoint saved by a version that encoded points differently), or undefined when it can.
   */
  inputMismatch(widths: { arch: number; recipe: number }): string | undefined {
    const { archDim, recipeDim } = this.config;
    return archDim === widths.arch && recipeDim === widths.recipe ? undefined : `it takes ${archDim} + ${recipeDim} inputs, points are encoded as ${widths.arch} + ${widths.recipe}`;
  }

  /** Pretrain the first member's encoder + proxy head (FBNetV3: no training runs needed); the others start from it. */
  async pretrainProxy(arch: number[][], targets: number[][], o: ProxyPretrainOptions = {}): Promise<{ loss: number; kendallTau: number }> {
    const r = await this.members[0].pretrainProxy(arch, targets, o);
    for (const m of this.members.slice(1)) m.adoptPretrained(this.members[0]);
    return r;
  }

  proxyPredict(arch: number[][]): number[][] {
    return this.members[0].proxyPredict(arch);
  }

  /** Fit every member on all samples (each from the pretrained encoder and its own fresh head). */
  async fit(samples: PredictorSample[], o: PredictorFitOptions = {}): Promise<PredictorFitReport> {
    const reports: PredictorFitReport[] = [];
    for (let i = 0; i < this.members.length; i++) reports.push(await this.fitMember(i, samples, o));
    return this.fitReport(samples, reports);
  }

  /** Fit member `i` alone (one step of `fit`; a stage checkpoints between members). */
  fitMember(i: number, samples: PredictorSample[], o: PredictorFitOptions = {}): Promise<PredictorFitReport> {
    return this.members[i].fit(samples, o);
  }

  /** The ensemble's report from its members' (in member order), as `fit` returns it. */
  fitReport(samples: PredictorSample[], reports: PredictorFitReport[]): PredictorFitReport {
    let frozenLoss = 0;
    let fineTuneLoss = 0;
    for (const r of reports) {
      frozenLoss += r.frozenLoss / this.members.length;
      fineTuneLoss += r.fineTuneLoss / this.members.length;
    }
    const pred = this.predict(samples.map((s) => s.arch), samples.map((s) => s.recipe));
    const trainRmse = Math.sqrt(pred.reduce((a, p, i) => a + (p - samples[i].accuracy) ** 2, 0) / samples.length);
    return { samples: samples.length, frozenLoss, fineTuneLoss, trainRmse };
  }

  /** Mean of the members' unclipped predictions (clipping before averaging would tie extrapolated candidates). */
  predict(arch: number[][], recipe: number[][]): number[] {
    return this.predictSpread(arch, recipe).mean;
  }

  /**
   * The members' mean and their spread (population standard deviation; 0 for one member). Where
   * the candidates are far from the fitted samples the members disagree: a search that scores
   * `mean − κ·std` (a lower confidence bound) does not chase the predictor's extrapolations.
   */
  predictSpread(arch: number[][], recipe: number[][]): { mean: number[]; std: number[] } {
    const all = this.members.map((m) => m.predict(arch, recipe));
    const mean = arch.map((_, i) => all.reduce((a, p) => a + p[i], 0) / all.length);
    const std = arch.map((_, i) => Math.sqrt(all.reduce((a, p) => a + (p[i] - mean[i]) ** 2, 0) / all.length));
    return { mean, std };
  }

  /** Kendall τ and RMSE of the predictions on (held-out) samples. */
  evaluate(samples: PredictorSample[]): PredictorMetrics {
    return predictionMetrics(this.predict(samples.map((s) => s.arch), samples.map((s) => s.recipe)), samples);
  }

  get fitted(): boolean {
    return this.members.every((m) => m.fitted);
  }

  get proxyPretrained(): boolean {
    return this.members.every((m) => m.proxyPretrained);
  }

  /** The first member's variables whose names start with `prefix` (`encoder.`, `proxy.`, `accuracy.`). */
  snapshot(prefix = ''): TensorMap {
    return this.members[0].snapshot(prefix);
  }

  state(): Checkpoint<PredictorMeta> {
    const tensors: TensorMap = {};
    const members: PredictorNetMeta[] = [];
    this.members.forEach((m, i) => {
      const c = m.state();
      members.push(c.meta);
      for (const [k, v] of Object.entries(c.tensors)) tensors[`m${i}:${k}`] = v;
    });
    return { meta: { version: 2, config: this.config, members }, tensors };
  }

  /** From a checkpoint of this version, or of a version-1 single-net predictor. */
  static fromState(ckpt: Checkpoint<PredictorMeta | PredictorNetMeta>): AccuracyPredictor {
    const raw = ckpt.meta as { version?: number } | undefined;
    if (raw?.version === 1) {
      const net = PredictorNet.fromState(ckpt as Checkpoint<PredictorNetMeta>);
      return new AccuracyPredictor({ ...net.config, ensemble: 1 }, [net]);
    }
    const meta = ckpt.meta as Partial<PredictorMeta> | undefined;
    if (meta?.version !== 2 || !meta.config || !Array.isArray(meta.members) || meta.members.length !== meta.config.ensemble) {
      throw new FbnetError('CHECKPOINT', 'not an accuracy-predictor checkpoint (meta.version/config/members missing or inconsistent)');
    }
    const members = meta.members.map((mm, i) => {
      const pre = `m${i}:`;
      const tensors = Object.fromEntries(Object.entries(ckpt.tensors).filter(([k]) => k.startsWith(pre)).map(([k, v]) => [k.slice(pre.length), v])) as TensorMap;
      return PredictorNet.fromState({ meta: mm, tensors });
    });
    return new AccuracyPredictor(meta.config, members);
  }

  save(run: Pick<StageRun, 'saveCheckpoint'>, name = 'predictor'): void {
    run.saveCheckpoint(name, this.state());
  }

  static load(run: Pick<StageRun, 'loadCheckpoint'>, name = 'predictor'): AccuracyPredictor | undefined {
    const c = run.loadCheckpoint<PredictorMeta | PredictorNetMeta>(name);
    return c ? AccuracyPredictor.fromState(c) : undefined;
  }

  dispose(): void {
    for (const m of this.members) m.dispose();
  }
}

/** A predictor score shown as an accuracy: clipped to [0, 1]. Rank on the unclipped score. */
export function asAccuracy(score: number): number {
  return Math.min(1, Math.max(0, score));
}
