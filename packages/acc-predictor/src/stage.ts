import { defineStage, FbnetError, type ArchDef, type CoreEventMap, type EventUnion, type StageCheckpoint } from '@fbnet/core';
import { AccuracyPredictor, type PredictorConfig, type PredictorFitOptions, type PredictorFitReport, type PredictorMeta, type PredictorMetrics, type PredictorSample } from './predictor.ts';
import { proxyTargets } from './proxy.ts';
import { checkpointToSerialized, deserializePredictor, type SerializedPredictor } from './serialize.ts';

/** The fit-predictor stage's input: plain data. */
export interface FitPredictorInput {
  /** A fresh predictor's shape (`seed` defaults to the context's); ignored when `predictor` is given. */
  config?: PredictorConfig;
  /** Start from this predictor (e.g. one already proxy-pretrained) instead of a fresh one. */
  predictor?: SerializedPredictor;
  /**
   * Proxy pretraining of the encoder (FBNetV3: labels from shape propagation, no training runs):
   * architecture encodings with their targets, or with their arch defs (targets: ln FLOPs, ln params).
   */
  proxy?: { arch: number[][]; targets?: number[][]; archDefs?: ArchDef[]; epochs?: number; lr?: number; batchSize?: number };
  /** Scored candidates: encodings and measured accuracy. */
  samples: PredictorSample[];
  /** Candidates the fit does not see; the predictor is judged on them. */
  heldOut?: PredictorSample[];
  /** Huber loss, frozen-encoder epochs then fine-tuning epochs (`SearchV3Preset.fit`). */
  fit?: Omit<PredictorFitOptions, 'signal'>;
}

export interface FitPredictorResult {
  /** The fitted predictor as plain JSON (`deserializePredictor` loads it). */
  predictor: SerializedPredictor;
  fit: PredictorFitReport;
  /** The proxy pretraining (null when none ran). */
  proxy: { samples: number; epochs: number; loss: number; kendallTau: number } | null;
  /** On the fitted samples. */
  train: PredictorMetrics;
  /** On the held-out samples (null without any). */
  heldOut: PredictorMetrics | null;
}

export type PredictorEventMap = CoreEventMap & {
  'predictor/proxy-pretrained': { samples: number; epochs: number; loss: number; kendallTau: number };
  'predictor/member-fitted': { member: number; members: number; trainRmse: number };
  'predictor/fitted': { iteration: number; samples: number; trainRmse: number; heldOut?: PredictorMetrics };
};
export type PredictorEvent = EventUnion<PredictorEventMap>;

interface FitState {
  version: 1;
  /** Members fitted so far (0 after the proxy pretraining). */
  membersDone: number;
  proxy: FitPredictorResult['proxy'];
  reports: PredictorFitReport[];
  predictor: PredictorMeta;
}

/** Metrics carry JSON-safe numbers: an undefined τ or RMSE (too few or tied samples) is 0; `n` tells why. */
export function sanitizeMetrics(m: PredictorMetrics): PredictorMetrics {
  return { n: m.n, kendallTau: Number.isFinite(m.kendallTau) ? m.kendallTau : 0, rmse: Number.isFinite(m.rmse) ? m.rmse : 0 };
}

const CKPT = 'fit-predictor';

/**
 * Fit FBNetV3's neural acquisition function on scored candidates: proxy pretraining of the
 * encoder on FLOPs/params (when `proxy` is given), then each ensemble member's accuracy head
 * (Huber loss, encoder frozen, then everything fine-tuned). One step is the proxy pretraining or
 * one member's fit; the state is checkpointed after each (`<prefix>fit-predictor`). Unsubscribing
 * stops within an epoch; the same stage resumes from the last step to the same result.
 */
export const fitPredictorStage = defineStage<FitPredictorInput, FitPredictorResult, PredictorEvent>('acc-predictor', async (input, ctx, io) => {
  if (!input.predictor && !input.config) throw new FbnetError('USAGE', 'fit predictor: give a predictor config or a serialized predictor');
  const name = `${ctx.prefix ?? ''}${CKPT}`;
  const saved = ctx.run?.loadCheckpoint<FitState>(name);
  const p = saved
    ? AccuracyPredictor.fromState({ meta: saved.meta.predictor, tensors: saved.tensors })
    : input.predictor
      ? deserializePredictor(input.predictor)
      : new AccuracyPredictor({ seed: ctx.seed, ...input.config! });
  const state: FitState = saved?.meta ?? { version: 1, membersDone: -1, proxy: null, reports: [], predictor: p.state().meta };
  const save = () => {
    if (!ctx.run) return;
    const s = p.state();
    state.predictor = s.meta;
    ctx.run.saveCheckpoint<FitState>(name, { meta: state, tensors: s.tensors } as StageCheckpoint<FitState>);
  };
  const stopped = (e: unknown) => io.signal.aborted && e instanceof FbnetError && e.code === 'CHECKPOINT';
  try {
    if (state.membersDone < 0) {
      const px = input.proxy;
      if (px && px.arch.length) {
        const targets = px.targets ?? px.archDefs?.map((a) => proxyTargets(a));
        if (!targets) throw new FbnetError('USAGE', 'fit predictor: proxy pretraining needs targets or arch defs');
        const epochs = px.epochs ?? 100;
        const r = await p.pretrainProxy(px.arch, targets, { epochs, lr: px.lr, batchSize: px.batchSize, signal: io.signal });
        state.proxy = { samples: px.arch.length, epochs, loss: r.loss, kendallTau: Number.isFinite(r.kendallTau) ? r.kendallTau : 0 };
        io.emit({ type: 'predictor/proxy-pretrained', ...state.proxy });
      }
      state.membersDone = 0;
      save();
    }
    while (state.membersDone < p.size) {
      if (io.signal.aborted) return undefined as unknown as FitPredictorResult;
      const i = state.membersDone;
      const r = await p.fitMember(i, input.samples, { ...input.fit, signal: io.signal });
      state.reports.push(r);
      state.membersDone = i + 1;
      io.emit({ type: 'predictor/member-fitted', member: i, members: p.size, trainRmse: r.trainRmse });
      io.progress('fitting members', i + 1, p.size);
      save();
    }
    const fit = p.fitReport(input.samples, state.reports);
    const heldOut = input.heldOut?.length ? sanitizeMetrics(p.evaluate(input.heldOut)) : null;
    io.emit({ type: 'predictor/fitted', iteration: 0, samples: input.samples.length, trainRmse: fit.trainRmse, ...(heldOut ? { heldOut } : {}) });
    return { predictor: checkpointToSerialized(p.state()), fit, proxy: state.proxy, train: sanitizeMetrics(p.evaluate(input.samples)), heldOut };
  } catch (e) {
    if (stopped(e)) return undefined as unknown as FitPredictorResult;
    throw e;
  } finally {
    p.dispose();
  }
});
