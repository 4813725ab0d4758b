export { AccuracyPredictor } from './predictor.ts';
export type {
  PredictorConfig,
  PredictorFitOptions,
  PredictorFitReport,
  PredictorMeta,
  PredictorMetrics,
  PredictorSample,
  ProxyPretrainOptions,
} from './predictor.ts';
export { proxyTargets } from './proxy.ts';
export { huberLoss } from './mlp.ts';
