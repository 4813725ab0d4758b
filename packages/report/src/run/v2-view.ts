import type { DMaskingEventMap, LayerDistribution, V2ArchSummary } from '@fbnet/dmasking';
import { byEpoch, eventsOf, isNum, isObj, lastEventOf, memo, type RunData } from './run-data.ts';
import type { Fits, None } from './views.ts';

/*
 * Typed view over a `search v2` log (@fbnet/dmasking's `DMaskingEventMap`, events.ts there).
 * Every field is optional: a report reads logs of older, newer or interrupted runs.
 */

export interface V2ChoiceView {
  /** `op/3`, `channels/3`, `expansion/3`, `resolution`. */
  key: string;
  kind?: string;
  layer?: number;
  options?: (string | number)[];
}

export interface V2StartedView {
  choices?: V2ChoiceView[];
  layers?: number;
  epochs?: number;
  resumedAtEpoch?: number;
  params?: number;
  resource?: string;
  spaceSizeLog10?: number;
}

export interface V2EpochView {
  epoch: number;
  temperature?: number;
  weightLoss?: number;
  weightCe?: number;
  thetaLoss?: number;
  thetaCe?: number;
  thetaAccuracy?: number;
  effectiveFlops?: number;
  effectiveParams?: number;
  sampledFlops?: number;
  expectedLatencyMs?: number;
  argmaxFlops?: number;
  lrWeights?: number;
  seconds?: number;
  imagesPerSec?: number;
}

export interface V2LayerDistributionView {
  layer?: number;
  ops?: number[];
  channels?: number[];
  expansions?: number[];
}

export interface V2DistributionsView {
  epoch: number;
  layers: V2LayerDistributionView[];
  /** P_α over the resolutions. */
  resolution?: number[];
  /** The resolutions themselves (pixels). */
  resolutions?: number[];
}

export interface V2ArchView {
  choice?: { ops?: number[]; channels?: number[]; expansions?: number[]; resolution?: number };
  ops?: string[];
  channels?: number[];
  expansions?: (number | null)[];
  resolution?: number;
  arch?: unknown;
  flops?: number;
  params?: number;
  latencyMs?: number;
  probability?: number;
  supernetAccuracy?: number;
}

// Compile-time guard: what dmasking emits must fit these views (a renamed field fails typecheck here).
// (Fits/None: see views.ts.)
export type _V2ViewsFit = [
  None<Fits<V2StartedView, DMaskingEventMap['dmasking/started']>>,
  None<Fits<V2EpochView, DMaskingEventMap['dmasking/epoch-ended']>>,
  None<Fits<V2DistributionsView, DMaskingEventMap['dmasking/distributions']>>,
  None<Fits<V2LayerDistributionView, LayerDistribution>>,
  None<Fits<V2ArchView, V2ArchSummary>>,
];

export interface V2View {
  started?: V2StartedView;
  epochs: V2EpochView[];
  /** P_α after each epoch, one entry per epoch. */
  distributions: V2DistributionsView[];
  sampled: V2ArchView[];
  derived?: V2ArchView;
}


/**
 * The DMasking search's story from the log. Sampled/derived archs fall back to `search.json`
 * (written when the search ends) when the log lacks them.
 */
export function v2View(run: RunData): V2View {
  return memo(run, 'v2-view', () => {
    const started = lastEventOf<V2StartedView & Record<string, unknown>>(run, 'dmasking/started');
    const epochs = byEpoch(eventsOf<Record<string, unknown>>(run, 'dmasking/epoch-ended')) as unknown as V2EpochView[];
    const distributions = byEpoch(eventsOf<Record<string, unknown>>(run, 'dmasking/distributions'))
      .filter((e) => Array.isArray(e.layers))
      .map((e) => ({
        epoch: e.epoch,
        layers: (e.layers as unknown[]).filter(isObj) as V2LayerDistributionView[],
        resolution: Array.isArray(e.resolution) ? (e.resolution as number[]) : undefined,
        resolutions: Array.isArray(e.resolutions) ? (e.resolutions as number[]) : undefined,
      }));
    const sampledEv = lastEventOf<{ archs?: unknown }>(run, 'search/arch-sampled');
    const rawSampled = Array.isArray(sampledEv?.archs) ? sampledEv.archs : Array.isArray(run.search?.sampled) ? run.search.sampled : [];
    const sampled = (rawSampled as unknown[]).filter(isObj) as V2ArchView[];
    const fromFile = isObj(run.search?.derived) ? (run.search.derived as V2ArchView) : undefined;
    const derived = lastEventOf<V2ArchView & Record<string, unknown>>(run, 'search/arch-derived') ?? fromFile;
    return { started, epochs, distributions, sampled, derived };
  });
}

/** The options of one choice key from `dmasking/started` (e.g. the widths of `channels/3`). */
export function choiceOptions(view: V2View, key: string): (string | number)[] | undefined {
  const c = view.started?.choices?.find((x) => x && x.key === key);
  return Array.isArray(c?.options) ? c.options : undefined;
}

/** "skip", "k3 e3", "k5 e6" from a V2 summary's op and expansion at a layer. */
export function v2BlockLabel(a: V2ArchView, l: number): string {
  const op = a.ops?.[l] ?? '?';
  const e = a.expansions?.[l];
  return isNum(e) ? `${op} e${e}` : op;
}

/** "k3 e1:8 skip:12 … @20" — a compact text form of a V2 arch. */
export function v2ArchText(a: V2ArchView): string {
  const n = Math.max(a.ops?.length ?? 0, a.channels?.length ?? 0);
  const parts = Array.from({ length: n }, (_, l) => `${v2BlockLabel(a, l)}:${a.channels?.[l] ?? '?'}`);
  return `${parts.join(' ')}${isNum(a.resolution) ? ` @${a.resolution}` : ''}`;
}
