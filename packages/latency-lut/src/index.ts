export { measureLut, activateBackend, resolveSource } from './measure-lut.ts';
export type { MeasureLutInput, LutContext } from './measure-lut.ts';
export { validateLut, validateLutStage, sampleDistinct } from './validate.ts';
export type { ValidateLutInput, ValidationResult } from './validate.ts';
export type { ValidationReport, ArchValidation } from './validate-report.ts';
export { showLut, formatLutSummary, formatValidationReport } from './show.ts';
export type { LutSummary } from './show.ts';

export { archLatency, applyCorrection, correctionWeight, entryStepMs, opTypeSums } from './predict.ts';
export type { ArchLatency, StepLatency, CorrectionTerms } from './predict.ts';
export { LatencyModel, latencyMatrix, latencyChoiceKey, jointConfigs, jointWeights, contractTable, compactAxes, tupleSpec } from './expected-latency.ts';
export type { LatencyMatrix, LayerLatency } from './expected-latency.ts';
export { fitCorrection, fitCorrectionModel, ridgeFit, solveLinear, CORRECTION_MODELS } from './correction.ts';
export type { CalibrationPoint, CorrectionModel } from './correction.ts';
export { fitFigures } from './metrics.ts';
export type { FitFigures } from './metrics.ts';

export { parseLut, lutEntryMap, latencyTableSchema, lutEntrySchema, LUT_FORMAT_VERSION, LUT_KIND } from './schema.ts';
export type { LatencyTable, LutEntry, LutDevice, LutTiming, LutCorrection, LutSourceRecord, EntryStats } from './schema.ts';
export { loadLut, saveLut, writeJsonAtomic, lutExists } from './storage.ts';
export type { LoadLutOptions } from './storage.ts';
export { assertLutDevice, fingerprintDifferences, planHash } from './device.ts';
export type { FingerprintDifference } from './device.ts';
export { nodeFingerprint } from './node-device.ts';

export { archSteps, spaceEntries, archListEntries, sourceEntries } from './enumerate.ts';
export type { EntryRef, ArchStep, LutSource } from './enumerate.ts';
export { entryKey, entryOpType, blockOutputShape } from './block-key.ts';
export type { EntryConfig, Hwc } from './block-key.ts';
export { planContexts, planSpaceContexts, planArchContexts } from './context-plan.ts';
export type { ContextPlan } from './context-plan.ts';
export { measureContexts, isSynchronousBackend } from './measure-context.ts';
export type { MeasureContextsOptions } from './measure-context.ts';
export { measureEntry, measureNet, measureConfigs, measureProbes, entryProbe, netProbe } from './measure-probes.ts';
export { sampleRound, summarizeRounds, DEFAULT_TIMING, resolveTiming, MeasurementAborted } from './timing.ts';
export type { TimingOptions, Probe, RoundSamples } from './timing.ts';
export { loadSearchSpace } from './space-source.ts';
export { LUT_STAGE } from './events.ts';
export type { LutEvent, LutEventMap, LutOwnEvent } from './events.ts';

export { serveLut } from './serve/server.ts';
export type { ServeLutOptions, LutServer, LutServeEvent, BrowserBackend } from './serve/server.ts';
export type { BrowserJob, BrowserMessage } from './serve/job.ts';
export { bundleBrowserRunner } from './serve/bundle.ts';
export { runMeasureLut } from './measure-lut.ts';
export type { MeasureLutOutcome, LutEmit } from './measure-lut.ts';
export { measureLutStage } from './measure-lut-stage.ts';
export type { MeasureLutStageInput, MeasureLutStageResult, MeasureLutStageEvent } from './measure-lut-stage.ts';
