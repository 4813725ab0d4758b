// Joint architecture + recipe space
export { jointSpaceSchema, parseJointSpace, jointDimensions, pointFromUnit, checkPoint, jointArch, jointRecipe, withDefaultRecipe, encodingSizes, encodePoint, encodeRecipe, pointKey, archPart, RECIPE_DIMENSIONS } from './space/joint-space.ts';
export type { JointSpace, JointSpaceInput, JointDimension, JointPoint, RecipeDimension } from './space/joint-space.ts';
export { fromUnit, toUnit, inRange, rangeSize, isCategorical, encodingWidth, choiceIndex } from './space/range.ts';
export type { DimValue } from './space/range.ts';
export { JOINT_SPACE_PRESETS, getJointSpacePreset } from './space/presets.ts';
export { resizeDataset } from './space/resize.ts';

// Quasi-Monte-Carlo sampling
export { Sobol, sobolPoints, SOBOL_MAX_DIMENSIONS } from './sobol/sobol.ts';
export type { SobolOptions } from './sobol/sobol.ts';
export { centeredL2Discrepancy, l2StarDiscrepancy } from './sobol/discrepancy.ts';

// Early-stopping rule
export { chooseEarlyStopBudget, accuracyAtBudget } from './early-stop.ts';
export type { EarlyStopOptions, EarlyStopDecision } from './early-stop.ts';

// Candidate jobs and evaluation queues
export { dataSpecSchema, fashionMnistDataSpecSchema, pathDataSpecSchema, candidateJobSchema, parseCandidateJob } from './candidate/job.ts';
export type { DataSpec, CandidateJob, CandidateResult, CandidateEvent, CandidateEventMap, EvaluationQueue } from './candidate/job.ts';
export { makeCandidateJob, jobFor } from './candidate/make-job.ts';
export { candidatesFailedError, FailureLog, summarizeFailures } from './candidate/failures.ts';
export type { CandidateFailure } from './candidate/failures.ts';
export type { MakeJobOptions } from './candidate/make-job.ts';
export { trainCandidate } from './candidate/train-candidate.ts';
export type { TrainCandidateOptions } from './candidate/train-candidate.ts';
export { loadCandidateData, loadUserData } from './candidate/data.ts';
export type { CandidateData, UserDataSpec } from './candidate/data.ts';
export { MemoryResultStore, FileResultStore } from './queue/result-store.ts';
export type { ResultStore } from './queue/result-store.ts';
export { InProcessQueue } from './queue/in-process.ts';
export { ProcessPoolQueue } from './queue/process-pool.ts';
export type { ProcessPoolQueueOptions } from './queue/process-pool.ts';
export type { InProcessQueueOptions } from './queue/in-process.ts';
export { BullmqQueue } from './queue/bullmq-queue.ts';
export type { BullmqQueueOptions } from './queue/bullmq-queue.ts';
export { runWorker } from './queue/worker.ts';
export type { RunWorkerOptions, WorkerHandle, WorkerEvent, WorkerEventMap } from './queue/worker.ts';
export { parseRedisConnection, DEFAULT_QUEUE_NAME } from './queue/redis-connection.ts';
export type { RedisConnection } from './queue/redis-connection.ts';
export { probeRedis } from './queue/redis-probe.ts';
export type { RedisProbeOptions } from './queue/redis-probe.ts';

// Coarse stage and recipe search (stages)
export { coarseSearchStage, runCoarse, queueFrom } from './coarse/coarse-search.ts';
export type { CoarseSearchInput, CoarseSettings, CoarseResult, CoarseStageResult, QueueSpec, SeedToSeed } from './coarse/coarse-search.ts';
export { recipeSearchStage } from './coarse/recipe-search.ts';
export { CoarseSearch } from './coarse/coarse-search-class.ts';
export type { CoarseSearchOptions } from './coarse/coarse-search-class.ts';
export type { RecipeSearchInput, RecipeSearchResult } from './coarse/recipe-search.ts';
export { jointCoarseSpace, recipeCoarseSpace, archCoarseSpace } from './coarse/coarse-space.ts';
export { archSlots, choiceToPoint, pointToChoice } from './space/arch-point.ts';
export type { ArchSlot } from './space/arch-point.ts';
export type { CoarseSpace } from './coarse/coarse-space.ts';
export type { CoarseEvent, CoarseEventMap, CoarseSample } from './coarse/events.ts';

// The joint space as a genome for @fbnet/evolutionary-search (registered as space kind `joint`),
// and the accuracy predictor's serialized format as a fitness it can load.
export { jointGenome, mutatePoint, crossoverPoints } from './space/joint-genome.ts';
import { registerGenomeKind, registerPredictorFormat, type Genome } from '@fbnet/evolutionary-search';
import { deserializePredictor, PREDICTOR_FORMAT, type SerializedPredictor } from '@fbnet/acc-predictor';
import { jointGenome } from './space/joint-genome.ts';
import { parseJointSpace } from './space/joint-space.ts';
registerGenomeKind('joint', (space) => jointGenome(parseJointSpace(space)) as Genome<unknown>);
registerPredictorFormat(PREDICTOR_FORMAT, (s) => deserializePredictor(s as unknown as SerializedPredictor));
