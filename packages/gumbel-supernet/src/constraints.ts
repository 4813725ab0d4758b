import { archFromChoice, FbnetError, searchLayers, type SearchSpace } from '@fbnet/core';
import { archCost } from '@fbnet/shape-propagation';
import { thetaProbs } from './gumbel.ts';

/** Hard limits on the derived (and sampled) architecture of a V1 search. */
export interface V1Constraints {
  maxParams?: number;
  maxFlops?: number;
  /** Σ LAT(b) from the latency table (eq. 9's terms), milliseconds. */
  maxLatencyMs?: number;
}

const KEYS = ['params', 'flops', 'latencyMs'] as const;
type CostKey = (typeof KEYS)[number];
const LIMIT_OF: Record<CostKey, keyof V1Constraints> = { params: 'maxParams', flops: 'maxFlops', latencyMs: 'maxLatencyMs' };

/**
 * Per-layer additive costs of a layer-wise space: cost(ops) = base + Σ_l perOp[l][ops[l]].
 * In a V1 space every searchable layer has fixed input and output channels, so a layer's params
 * and FLOPs do not depend on the other layers' choices; `layerCosts` measures each op's share by
 * shape propagation (`archCost`) of the arch that differs from all-first-ops in that layer only.
 */
export interface LayerCosts {
  base: Record<CostKey, number>;
  perOp: Record<CostKey, number[][]>;
}

export function layerCosts(space: SearchSpace, latency?: { layerMs: number[][]; fixedMs: number }): LayerCosts {
  const layers = searchLayers(space);
  const zero = layers.map(() => 0);
  const cost = (ops: number[]) => archCost(archFromChoice(space, { ops }));
  const b = cost(zero);
  const perOp: LayerCosts['perOp'] = { params: [], flops: [], latencyMs: [] };
  layers.forEach((l, i) => {
    const params: number[] = [], flops: number[] = [];
    for (let k = 0; k < l.candidates.length; k++) {
      const c = k === 0 ? b : cost(zero.map((z, j) => (j === i ? k : z)));
      params.push(c.params - b.params);
      flops.push(c.flops - b.flops);
    }
    perOp.params.push(params);
    perOp.flops.push(flops);
  });
  // Latency is additive by construction (the table's per-layer terms plus the fixed part).
  perOp.latencyMs = latency ? latency.layerMs.map((row) => [...row]) : layers.map((l) => l.candidates.map(() => 0));
  return { base: { params: b.params, flops: b.flops, latencyMs: latency?.fixedMs ?? 0 }, perOp };
}

/** The costs of one choice under the additive model. */
export function choiceCosts(c: LayerCosts, ops: readonly number[]): Record<CostKey, number> {
  const out = { ...c.base };
  for (const k of KEYS) ops.forEach((o, l) => (out[k] += c.perOp[k][l][o]));
  return out;
}

/**
 * Slack on a limit: latencies are sums of float table entries, and the derivation and this check
 * add them in different orders. Both use it, so what one admits the other does.
 */
const TOLERANCE = 1e-9;

/** Whether a choice meets every given limit. */
export function meetsConstraints(c: LayerCosts, limits: V1Constraints, ops: readonly number[]): boolean {
  const x = choiceCosts(c, ops);
  return KEYS.every((k) => limits[LIMIT_OF[k]] === undefined || x[k] <= limits[LIMIT_OF[k]]! + TOLERANCE);
}

interface State {
  logp: number;
  cost: number[];
  ops: number[];
}

/**
 * The most probable architecture under P_θ (eq. 6: the product of the layers' softmax(θ)) whose
 * costs meet the limits: max Σ_l log p_l(o_l) s.t. Σ_l cost_l(o_l) ≤ limit for each limited cost
 * (a multiple-choice knapsack). Exact dynamic programming over the layers, keeping only
 * non-dominated partial choices (no other partial choice is at least as probable and no more
 * costly in every limited cost) and dropping those that cannot meet a limit even with the
 * cheapest remaining ops. `maxStates` bounds the frontier: past it the least probable partial
 * choices are dropped and `exact` is false.
 * Throws a USAGE error naming the limit when no architecture of the space meets it.
 */
export function mostProbableUnder(
  thetas: ArrayLike<number>[],
  costs: LayerCosts,
  limits: V1Constraints,
  maxStates = 20_000,
): { ops: number[]; probability: number; exact: boolean } {
  const keys = KEYS.filter((k) => limits[LIMIT_OF[k]] !== undefined);
  const L = thetas.length;
  const logp = Array.from(thetas, (t) => thetaProbs(t).map((p) => Math.log(Math.max(p, 1e-300))));
  // Cheapest completion of layers l.. for each limited cost.
  const rest = keys.map((k) => {
    const r = new Array<number>(L + 1).fill(0);
    for (let l = L - 1; l >= 0; l--) r[l] = r[l + 1] + Math.min(...costs.perOp[k][l]);
    return r;
  });
  const limit = keys.map((k) => limits[LIMIT_OF[k]]! - costs.base[k]);
  keys.forEach((k, j) => {
    if (rest[j][0] > limit[j] + TOLERANCE) {
      const min = costs.base[k] + rest[j][0];
      throw new FbnetError('USAGE', `no architecture of the space meets ${LIMIT_OF[k]} ${limits[LIMIT_OF[k]]}: the cheapest has ${k} ${Number(min.toPrecision(6))}`);
    }
  });
  let states: State[] = [{ logp: 0, cost: keys.map(() => 0), ops: [] }];
  let exact = true;
  for (let l = 0; l < L; l++) {
    const next: State[] = [];
    for (const s of states) {
      for (let o = 0; o < logp[l].length; o++) {
        const cost = keys.map((k, j) => s.cost[j] + costs.perOp[k][l][o]);
        if (cost.some((c, j) => c + rest[j][l + 1] > limit[j] + TOLERANCE)) continue;
        next.push({ logp: s.logp + logp[l][o], cost, ops: [...s.ops, o] });
      }
    }
    // Pareto frontier: by probability, keep a state only if it is cheaper in some limited cost than every more probable one kept.
    next.sort((a, b) => b.logp - a.logp);
    const kept: State[] = [];
    let minCost = Infinity; // one limited cost: dominated = no cheaper than every more probable state
    for (const s of next) {
      if (keys.length === 1) {
        if (s.cost[0] >= minCost) continue;
        minCost = s.cost[0];
      } else if (kept.some((t) => t.cost.every((c, j) => c <= s.cost[j]))) continue;
      kept.push(s);
      if (kept.length >= maxStates) {
        exact = false;
        break;
      }
    }
    states = kept;
    if (!states.length) {
      const what = keys.map((k) => `${LIMIT_OF[k]} ${limits[LIMIT_OF[k]]}`).join(', ');
      throw new FbnetError('USAGE', `no architecture of the space meets ${what} together (each alone can be met)`);
    }
  }
  const best = states[0];
  return { ops: best.ops, probability: Math.exp(best.logp), exact };
}
