import type { ArchSummary, SupernetEventMap } from '@fbnet/gumbel-supernet';
import type { TrainEventMap } from '@fbnet/train';
import { byEpoch, eventsOf, isNum, lastEventOf, type LoggedEvent, type RunData } from './run-data.ts';

/*
 * Typed views over a run's event log. The supernet payloads mirror @fbnet/gumbel-supernet's
 * `SupernetEventMap` (events.ts there); they are re-declared with every field optional because
 * a report reads logs written by older, newer or interrupted runs and must not trust them.
 */

/** `ArchSummary` of @fbnet/gumbel-supernet, as read from a log. */
export interface ArchSummaryView {
  choice?: { ops?: number[] };
  /** Candidate id per searchable layer. */
  ops?: string[];
  arch?: unknown;
  latencyMs?: number;
  probability?: number;
  supernetAccuracy?: number;
}

export interface SupernetEpochView {
  epoch: number;
  temperature?: number;
  weightLoss?: number;
  weightCe?: number;
  thetaLoss?: number;
  thetaCe?: number;
  latencyMs?: number;
  thetaAccuracy?: number;
  lrWeights?: number;
  seconds?: number;
  imagesPerSec?: number;
}

// Compile-time guard: what the supernet emits must fit these views (a renamed field fails typecheck here).
// Two checks: the emitted payload must be assignable to the view (types agree), and every field
// the view reads must exist in the payload (`None` fails naming the field if one was renamed).
export type Fits<View, Emitted extends View> = Exclude<keyof View, keyof Emitted>;
export type None<Missing extends never> = Missing;
export type _SupernetViewsFit = [
  None<Fits<SupernetEpochView, SupernetEventMap['supernet/epoch-ended']>>,
  None<Fits<ArchSummaryView, ArchSummary>>,
  None<Fits<{ epoch: number; probs: number[][] }, SupernetEventMap['supernet/theta']>>,
  None<Fits<NonNullable<SupernetView['started']>, SupernetEventMap['supernet/started']>>,
];

export interface SupernetView {
  started?: { layers?: number; candidates?: string[][]; epochs?: number; resumedAtEpoch?: number; params?: number };
  epochs: SupernetEpochView[];
  /** P_θ per layer after each epoch, one entry per epoch. */
  theta: { epoch: number; probs: number[][] }[];
  /** The archs of the last `search/arch-sampled` event. */
  sampled: ArchSummaryView[];
  derived?: ArchSummaryView;
}

/**
 * The supernet's story from the log. Sampled/derived archs fall back to `search.json` (the CLI
 * writes it when the search ends) when the log lacks them, e.g. a log truncated by a crash.
 */
export function supernetView(run: Pick<RunData, 'events'> & Partial<Pick<RunData, 'search'>>): SupernetView {
  const started = lastEventOf<NonNullable<SupernetView['started']>>(run, 'supernet/started');
  const epochs = byEpoch(eventsOf<Record<string, unknown>>(run, 'supernet/epoch-ended')) as unknown as SupernetEpochView[];
  const theta = byEpoch(eventsOf<{ probs?: unknown }>(run, 'supernet/theta'))
    .filter((e) => Array.isArray(e.probs) && (e.probs as unknown[]).every((row) => Array.isArray(row)))
    .map((e) => ({ epoch: e.epoch, probs: e.probs as number[][] }));
  const sampledEv = lastEventOf<{ archs?: unknown }>(run, 'search/arch-sampled');
  const rawSampled = Array.isArray(sampledEv?.archs) ? sampledEv.archs : Array.isArray(run.search?.sampled) ? run.search.sampled : [];
  const sampled = (rawSampled as ArchSummaryView[]).filter((a) => a && typeof a === 'object');
  const fromFile = run.search?.derived && typeof run.search.derived === 'object' ? (run.search.derived as ArchSummaryView) : undefined;
  const derived = lastEventOf<ArchSummaryView & Record<string, unknown>>(run, 'search/arch-derived') ?? fromFile;
  return { started, epochs, theta, sampled, derived };
}

export type TrainEpochView = TrainEventMap['train/epoch-ended'];

export interface TrainView {
  started?: Partial<TrainEventMap['train/started']>;
  epochs: TrainEpochView[];
  completed?: Partial<TrainEventMap['train/completed']>;
}

export function trainView(run: Pick<RunData, 'events'>): TrainView {
  const epochs = byEpoch(eventsOf<Record<string, unknown>>(run, 'train/epoch-ended')).filter((e) => isNum(e.trainLoss)) as unknown as TrainEpochView[];
  return {
    started: lastEventOf(run, 'train/started'),
    epochs,
    completed: lastEventOf(run, 'train/completed'),
  };
}

/** One stage's span in the log: from its first `stage/started` to its last `stage/completed` (or `stage/result`, the stage contract's last event) or error. */
export interface StageSpan {
  stage: string;
  startedAt?: number;
  endedAt?: number;
  status: 'completed' | 'error' | 'unfinished';
  error?: string;
}

export function stageSpans(run: Pick<RunData, 'events'>): StageSpan[] {
  const spans = new Map<string, StageSpan>();
  const get = (stage: string) => {
    let s = spans.get(stage);
    if (!s) spans.set(stage, (s = { stage, status: 'unfinished' }));
    return s;
  };
  for (const e of run.events as LoggedEvent[]) {
    const stage = typeof e.stage === 'string' ? e.stage : undefined;
    if (!stage) continue;
    const t = isNum(e.t) ? e.t : undefined;
    if (e.type === 'stage/started') {
      const s = get(stage);
      s.startedAt ??= t;
    } else if (e.type === 'stage/completed' || e.type === 'stage/result') {
      const s = get(stage);
      s.endedAt = t;
      s.status = 'completed';
      s.error = undefined;
    } else if (e.type === 'stage/error') {
      const s = get(stage);
      s.endedAt = t;
      s.status = 'error';
      s.error = `${typeof e.code === 'string' ? e.code + ': ' : ''}${typeof e.message === 'string' ? e.message : 'error'}`;
    }
  }
  return [...spans.values()];
}

/** Wall-clock span of the whole log in seconds (first to last event time). */
export function logSpanSeconds(run: Pick<RunData, 'events'>): number | undefined {
  const ts = run.events.map((e) => e.t).filter(isNum);
  return ts.length >= 2 ? (Math.max(...ts) - Math.min(...ts)) / 1000 : undefined;
}
