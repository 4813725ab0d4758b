export { AccuracyPredictor, PredictorNet, asAccuracy, normalQuantile, normalScores, scoreToAccuracy } from './predictor.ts';
export type {
  PredictorConfig,
  PredictorFitOptions,
  PredictorFitReport,
  PredictorMeta,
  PredictorNetMeta,
  PredictorMetrics,
  PredictorSample,
  ProxyPretrainOptions,
  ScoreMap,
} from './predictor.ts';
export { proxyTargets } from './proxy.ts';
export { huberLoss } from './mlp.ts';
export { PREDICTOR_FORMAT, serializePredictor, deserializePredictor, checkpointToSerialized, serializedToCheckpoint } from './serialize.ts';
export type { SerializedPredictor } from './serialize.ts';
export { fitPredictorStage, sanitizeMetrics } from './stage.ts';
export type { FitPredictorInput, FitPredictorResult, PredictorEvent, PredictorEventMap } from './stage.ts';
