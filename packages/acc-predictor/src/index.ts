export { AccuracyPredictor, PredictorNet, asAccuracy } from './predictor.ts';
export type {
  PredictorConfig,
  PredictorFitOptions,
  PredictorFitReport,
  PredictorMeta,
  PredictorNetMeta,
  PredictorMetrics,
  PredictorSample,
  ProxyPretrainOptions,
} from './predictor.ts';
export { proxyTargets } from './proxy.ts';
export { huberLoss } from './mlp.ts';
