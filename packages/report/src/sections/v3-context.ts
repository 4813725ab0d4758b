import { getJointSpacePreset, JOINT_SPACE_PRESETS, jointArch, parseJointSpace, pointKey, type JointPoint, type JointSpace } from '@fbnet/autotrain';
import { parseArchDef, type ArchDef } from '@fbnet/core';
import { archCost } from '@fbnet/shape-propagation';
import { archLatencyFrom } from '../run/arch-latency.ts';
import { isNum, memo, runJson, type RunData } from '../run/run-data.ts';
import { v3View, type CandidateView, type JointPointView, type V3View } from '../run/v3-view.ts';

/** What a joint point costs: FLOPs and params by shape propagation, LAT(a) from the run's table when it has one. */
export interface PointCost {
  flops?: number;
  params?: number;
  latencyMs?: number;
}

/** What the V3 sections share, computed once per run. */
export interface V3Context {
  view: V3View;
  space?: JointSpace;
  spaceError?: string;
  /** Cost of a candidate's point (cached). */
  cost(point: JointPointView | undefined): PointCost;
  /** The trained candidates with their costs. */
  candidates: (CandidateView & PointCost)[];
  /** The found architecture: arch.json, else the arch of the chosen point (else the fine stage's best). */
  arch?: ArchDef;
  /**
   * The found arch's point and cost: the chosen (trained, exported) point when the run has one,
   * else the evolution's best while the run is still going; `source` says which.
   */
  found?: PointCost & { score?: number; point?: JointPointView; source?: 'coarse' | 'verified' | 'evolution' };
  /** Some candidate has a LUT latency (the run has a latency table that prices them). */
  hasLatency: boolean;
}

function jointSpaceOf(run: RunData, name: unknown): { space?: JointSpace; error?: string } {
  const inline = runJson(run, 'space.json');
  try {
    if (inline && typeof inline === 'object' && (inline as { arch?: unknown }).arch) return { space: parseJointSpace(inline) };
    if (typeof name === 'string' && JOINT_SPACE_PRESETS.has(name)) return { space: getJointSpacePreset(name) };
  } catch (e) {
    return { error: (e as Error).message };
  }
  return { error: typeof name === 'string' ? `unknown joint space "${name}"` : 'the run names no joint search space' };
}

export function v3Context(run: RunData): V3Context {
  return memo(run, 'v3', () => {
    const view = v3View(run);
    const { space, error: spaceError } = jointSpaceOf(run, view.started?.space ?? run.config.options?.space);
    const cache = new Map<string, PointCost>();
    const cost = (point: JointPointView | undefined): PointCost => {
      if (!point || !space) return {};
      const key = pointKey(point as JointPoint);
      let c = cache.get(key);
      if (!c) {
        c = {};
        try {
          const arch = jointArch(space, point as JointPoint);
          const ac = archCost(arch);
          c = { flops: ac.flops, params: ac.params };
          if (run.lut !== undefined) {
            const l = archLatencyFrom(run.lut, arch).latency;
            if (l) c.latencyMs = l.totalMs;
          }
        } catch {
          c = {};
        }
        cache.set(key, c);
      }
      return c;
    };
    const candidates = view.candidates.map((cand) => ({ ...cand, ...cost(cand.point) }));
    const best = view.best;
    // The arch trained and exported is the one chosen after verification (fine.json's `chosen`,
    // result.json's `point`): a coarse candidate or a verified proposal — not necessarily the
    // evolution's best. Every figure of the found arch describes that one point.
    const fine = runJson<{ chosen?: { point?: JointPointView; predicted?: number; source?: 'coarse' | 'verified' } }>(run, 'fine.json');
    const chosenPoint = (run.result?.point as JointPointView | undefined) ?? fine?.chosen?.point;
    const source = (run.result?.chosenFrom as 'coarse' | 'verified' | undefined) ?? fine?.chosen?.source;
    const foundPoint = chosenPoint ?? best?.point;
    let arch = run.arch;
    if (!arch && foundPoint && space) {
      try {
        arch = parseArchDef(jointArch(space, foundPoint as JointPoint));
      } catch {
        arch = undefined;
      }
    }
    let found: V3Context['found'];
    if (chosenPoint) {
      // A horizon step may have trained another contender than fine.json's choice: its prediction is not this point's.
      const same = (a?: JointPointView, b?: JointPointView) => !!a && !!b && JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
      const fromResult = source === 'verified' && (run.result?.horizon as { recipeFrom?: string } | undefined)?.recipeFrom !== 'default' && isNum(run.result?.predictedAccuracy) ? run.result.predictedAccuracy : undefined;
      const predicted = !fine?.chosen?.point || same(chosenPoint, fine.chosen.point) ? (fine?.chosen?.predicted ?? fromResult) : fromResult;
      found = { point: chosenPoint, score: predicted, source, ...cost(chosenPoint) };
    } else if (best) {
      const computed = cost(best.point);
      found = {
        point: best.point,
        score: best.score,
        source: 'evolution',
        flops: isNum(best.cost?.flops) ? best.cost.flops : computed.flops,
        params: isNum(best.cost?.params) ? best.cost.params : computed.params,
        latencyMs: isNum(best.cost?.latencyMs) ? best.cost.latencyMs : computed.latencyMs,
      };
    }
    if (arch && (!found || !isNum(found.flops))) {
      try {
        const ac = archCost(arch);
        found = { ...found, flops: ac.flops, params: ac.params, score: found?.score ?? (isNum(run.result?.predictedAccuracy) ? run.result.predictedAccuracy : undefined) };
      } catch {
        // an arch that cannot be costed is reported by the arch section
      }
    }
    const hasLatency = candidates.some((c) => isNum(c.latencyMs));
    return { view, space, spaceError, cost, candidates, arch, found, hasLatency };
  });
}
