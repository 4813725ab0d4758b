import * as tf from '@tensorflow/tfjs-core';
import { FbnetError } from '@fbnet/core';
import { numberAlgebra, tensorAlgebra, type Algebra, type Val } from './algebra.ts';
import { analyzeEffectiveGraph, type CostMode, type EffectiveCount, type EffectiveGraph, type EffectiveNode, type NodeSpatial } from './effective-graph.ts';

/** Gumbel weights per choice name (a choice with one option may be left out). */
export type GumbelWeights<V> = Record<string, V>;

export interface EffectiveCostOptions {
  /** 'flops' (default): k²·h̄·w̄·C̄_in·C̄_out/γ per conv; 'params': k²·C̄_in·C̄_out/γ (eq. 10). */
  mode?: CostMode;
}

/** Effective shape after a layer and the layer's cost. */
export interface EffectiveLayerResult<T> {
  name: string;
  channels: T;
  height: T;
  width: T;
  cost: T;
}

export interface EffectiveResult<T> {
  cost: T;
  layers: EffectiveLayerResult<T>[];
}

function resolveWeights<S, V>(alg: Algebra<S, V>, graph: EffectiveGraph, weights: GumbelWeights<V>): Map<string, V> {
  const out = new Map<string, V>();
  for (const [key, n] of Object.entries(graph.choices)) {
    const w = weights[key];
    if (w === undefined) {
      if (n === 1) {
        out.set(key, alg.unit());
        continue;
      }
      throw new FbnetError('USAGE', `no Gumbel weights for choice "${key}" (${n} options); the graph's choices: ${Object.keys(graph.choices).join(', ')}`);
    }
    if (alg.length(w) !== n) throw new FbnetError('USAGE', `Gumbel weights for choice "${key}" have ${alg.length(w)} entries, the choice has ${n} options`);
    out.set(key, w);
  }
  return out;
}

/** The shared walk: effective channels propagate node to node, C̄_in^{l+1} = C̄_out^l. */
function walk<S, V>(alg: Algebra<S, V>, graph: EffectiveGraph, weights: GumbelWeights<V>, mode: CostMode): EffectiveResult<Val<S>> & { weights: V[] } {
  const spatial = analyzeEffectiveGraph(graph);
  const ws = resolveWeights(alg, graph, weights);
  const res = graph.input.resolution !== undefined ? ws.get(graph.input.resolution) : undefined;

  // Equal counts give the same value object, so equal candidate outputs can be recognised below.
  const memo = new Map<string, Val<S>>();
  const memoized = (key: string, f: () => Val<S>): Val<S> => {
    let v = memo.get(key);
    if (v === undefined) memo.set(key, (v = f()));
    return v;
  };
  const count = (c: EffectiveCount): Val<S> => {
    if (typeof c === 'number') return c;
    return memoized(JSON.stringify(c), () =>
      'choice' in c
        ? alg.dot(ws.get(c.choice) as V, c.options)
        : alg.contract(
            c.choices.map((k) => ws.get(k) as V),
            c.choices.map((k) => graph.choices[k]),
            c.table,
          ),
    );
  };
  // Eq. 6: h̄ = Σ_r g_r h_r, with h_r the exact (floor) size the layer sees at input resolution r.
  const eff = (sizes: number[]): Val<S> =>
    sizes.every((x) => x === sizes[0]) || res === undefined ? sizes[0] : memoized(`res:${sizes.join(',')}`, () => alg.dot(res, sizes));

  const runNodes = (nodes: EffectiveNode[], sp: NodeSpatial[], cin: Val<S>): { c: Val<S>; cost: Val<S> } => {
    let c = cin;
    let cost: Val<S> = 0;
    nodes.forEach((n, i) => {
      const s = sp[i];
      let term: Val<S>;
      if (n.kind === 'conv') {
        const cout = n.out === 'same' ? c : count(n.out);
        // input channels per group: C̄_in/γ (eq. 10), 1 for depthwise (eq. 9), or a fixed group width
        const width = n.groupWidth !== undefined ? count(n.groupWidth) : n.out === 'same' && n.groups === undefined ? 1 : alg.div(c, n.groups ?? 1);
        term = alg.mul(n.kernel * n.kernel, alg.mul(width, cout));
        if (mode === 'flops') term = alg.mul(term, alg.mul(eff(s.hOut), eff(s.wOut)));
        if (n.gate !== undefined) term = alg.mul(term, count(n.gate));
        c = cout;
      } else if (n.kind === 'se') {
        term = alg.mul(2, alg.mul(c, count(n.mid)));
        if (mode === 'flops') term = alg.add(term, alg.mul(alg.mul(eff(s.hIn), eff(s.wIn)), c));
        if (n.gate !== undefined) term = alg.mul(term, count(n.gate));
      } else {
        term = mode === 'flops' ? alg.mul(alg.mul(eff(s.hIn), eff(s.wIn)), c) : 0;
      }
      cost = alg.add(cost, term);
    });
    return { c, cost };
  };

  let c: Val<S> = graph.input.channels;
  let h = graph.input.sizes.map((x) => x[0]);
  let w = graph.input.sizes.map((x) => x[1]);
  let total: Val<S> = 0;
  const layers: EffectiveLayerResult<Val<S>>[] = [];
  graph.layers.forEach((layer, li) => {
    const cands = spatial[li].candidates;
    let cost: Val<S>;
    if (layer.kind === 'path') {
      ({ c, cost } = runNodes(layer.nodes, cands[0], c));
    } else {
      const runs = layer.candidates.map((cand, i) => runNodes(cand.nodes, cands[i], c));
      const m = ws.get(layer.choice) as V;
      cost = alg.dot(m, runs.map((r) => r.cost));
      // Candidates that all give the same count leave no channel choice: the real count passes
      // (eq. 8), not Σ m_i C, which equals it for weights on the simplex.
      c = runs.every((r) => r.c === runs[0].c) ? runs[0].c : alg.dot(m, runs.map((r) => r.c));
    }
    const last = cands[0][cands[0].length - 1];
    if (last) ({ hOut: h, wOut: w } = last);
    total = alg.add(total, cost);
    layers.push({ name: layer.name, channels: c, height: eff(h), width: eff(w), cost });
  });
  return { cost: total, layers, weights: [...ws.values()] };
}

/**
 * Differentiable effective cost (FBNetV2 eqs. 5-10; V1 mixtures as Σ m_i cost(b_i)) as a
 * tf.Scalar. Gradients flow to every Gumbel weight tensor. Computed in the backend's float32:
 * exact while partial sums stay below 2^24 (small nets); use `effectiveCostValue` for an exact
 * float64 figure of the same expression.
 */
export function effectiveCost(graph: EffectiveGraph, weights: GumbelWeights<tf.Tensor1D>, options: EffectiveCostOptions = {}): tf.Scalar {
  return tf.tidy(() => {
    const r = walk(tensorAlgebra, graph, weights, options.mode ?? 'flops');
    return connect(r.cost, r.weights);
  });
}

/**
 * The cost as a tensor that depends on every choice's weights, with a zero gradient where the
 * cost does not (params do not depend on the resolution), so tf.grads never finds a weight
 * disconnected.
 */
function connect(cost: Val<tf.Scalar>, ws: tf.Tensor1D[]): tf.Scalar {
  const zero = ws.length ? tf.mul(0, tf.addN(ws.map((w) => tf.sum(w)))) : tf.scalar(0);
  return tf.add(typeof cost === 'number' ? tf.scalar(cost) : cost, zero) as tf.Scalar;
}

/**
 * Like `effectiveCost`, plus the effective shape (C̄, h̄, w̄) after every layer and each layer's
 * cost. The caller owns (and disposes) every returned tensor.
 */
export function propagateEffective(
  graph: EffectiveGraph,
  weights: GumbelWeights<tf.Tensor1D>,
  options: EffectiveCostOptions = {},
): EffectiveResult<tf.Scalar> {
  return tf.tidy(() => {
    const r = walk(tensorAlgebra, graph, weights, options.mode ?? 'flops');
    const t = (x: Val<tf.Scalar>): tf.Scalar => (typeof x === 'number' ? tf.scalar(x) : x);
    return {
      cost: connect(r.cost, r.weights),
      layers: r.layers.map((l) => ({ name: l.name, channels: t(l.channels), height: t(l.height), width: t(l.width), cost: t(l.cost) })),
    };
  }) as unknown as EffectiveResult<tf.Scalar>;
}

/**
 * The same expression in float64 on plain numbers: exact for integer counts at one-hot weights
 * (equal to the concrete count of the derived arch), and the reference for gradient checks.
 */
export function effectiveCostValue(
  graph: EffectiveGraph,
  weights: GumbelWeights<ArrayLike<number>> = {},
  options: EffectiveCostOptions = {},
): EffectiveResult<number> {
  const { cost, layers } = walk(numberAlgebra, graph, weights, options.mode ?? 'flops');
  return { cost, layers };
}
