import { ArchDefError, FbnetError, type BlockLocation } from '@fbnet/core';
import { convOutputSize } from './shape.ts';

/**
 * The effective-shape model of FBNetV2 (DMaskingNAS, eqs. 4-10) as plain data: a chain of
 * layers whose channel counts and spatial sizes may be chosen by Gumbel weights. Graphs
 * carry no tensors; the Gumbel weights are supplied when a cost is evaluated, keyed by the
 * choice names the graph declares.
 */
export type CostMode = 'flops' | 'params';

/**
 * A channel count: fixed (eq. 8), chosen by one Gumbel choice, C̄ = Σ_i g_i C_i (eq. 5), or
 * jointly determined by several choices (e.g. an expanded width that depends on the input
 * width choice and the expansion choice through rounding): C̄ = Σ_{i,j,..} g_i h_j .. T[i,j,..],
 * `table` row-major over `choices` in the order given.
 */
export type EffectiveCount = number | { choice: string; options: number[] } | { choices: string[]; table: number[] };

/**
 * A convolution. `out: 'same'` keeps the effective input count (eq. 9); with neither `groups`
 * nor `groupWidth` it is depthwise (one input channel per group). Cost (eq. 10):
 * k² · h̄_out · w̄_out · width · C̄_out, where width = input channels per group = C̄_in / γ,
 * or `groupWidth` when the group width, not the group count, is what the net fixes.
 * `gate` (0/1 per choice, or its Gumbel expectation) scales the cost of a conv that exists only
 * for some choices (a skip's projection); a gated conv must keep the spatial size and its
 * `out` must give the input count where the gate is 0.
 */
export interface EffectiveConv {
  kind: 'conv';
  name: string;
  kernel: number;
  stride: number;
  /** Symmetric explicit padding [rows, cols] on each side. */
  padding: [number, number];
  out: EffectiveCount | 'same';
  groups?: number;
  groupWidth?: EffectiveCount;
  gate?: EffectiveCount;
}

/** Squeeze-excite on the current channels: pool (h̄·w̄·C̄) + 1x1 C̄→mid + 1x1 mid→C̄. */
export interface EffectiveSe {
  kind: 'se';
  name: string;
  mid: EffectiveCount;
  gate?: EffectiveCount;
}

/** Global average pool: h̄·w̄·C̄ adds, output 1x1. */
export interface EffectivePool {
  kind: 'gpool';
  name: string;
}

export type EffectiveNode = EffectiveConv | EffectiveSe | EffectivePool;

export interface EffectivePath {
  kind: 'path';
  name: string;
  location?: BlockLocation;
  nodes: EffectiveNode[];
}

/**
 * A V1 layer (DNAS): candidates b_i weighted by the Gumbel weights m of `choice`; expected
 * cost Σ m_i cost(b_i), each computed from the layer's effective input channels; effective
 * output channels Σ m_i C̄_out(b_i). All candidates must give the same spatial size.
 */
export interface EffectiveMixture {
  kind: 'mixture';
  name: string;
  location?: BlockLocation;
  choice: string;
  candidates: { name: string; nodes: EffectiveNode[] }[];
}

export type EffectiveLayer = EffectivePath | EffectiveMixture;

export interface EffectiveInput {
  channels: number;
  /** Candidate input sizes [height, width]: one entry, or the options of the `resolution` choice (eq. 6). */
  sizes: [number, number][];
  resolution?: string;
}

export interface EffectiveGraph {
  version: 1;
  /** Every Gumbel choice the graph refers to, with its number of options. */
  choices: Record<string, number>;
  input: EffectiveInput;
  layers: EffectiveLayer[];
}

/** Static spatial sizes of one node: per input-resolution option, before and after. */
export interface NodeSpatial {
  hIn: number[];
  wIn: number[];
  hOut: number[];
  wOut: number[];
}

export interface AnalyzedLayer {
  /** For a path: one entry; for a mixture: one per candidate. */
  candidates: NodeSpatial[][];
}

function graphError(layer: EffectiveLayer, msg: string): never {
  if (layer.location) throw new ArchDefError(`${layer.name}: ${msg}`, layer.location);
  throw new FbnetError('USAGE', `effective graph: layer "${layer.name}": ${msg}`);
}

function checkCount(graph: EffectiveGraph, layer: EffectiveLayer, where: string, c: EffectiveCount): void {
  if (typeof c === 'number') {
    if (!(Number.isFinite(c) && c >= 0)) graphError(layer, `${where}: count must be a non-negative number, got ${c}`);
    return;
  }
  if ('choice' in c) {
    const n = graph.choices[c.choice];
    if (n === undefined) graphError(layer, `${where}: unknown choice "${c.choice}"; declared: ${Object.keys(graph.choices).join(', ') || 'none'}`);
    if (c.options.length !== n) graphError(layer, `${where}: choice "${c.choice}" has ${n} options, got ${c.options.length} counts`);
    return;
  }
  let size = 1;
  const seen = new Set<string>();
  for (const k of c.choices) {
    const n = graph.choices[k];
    if (n === undefined) graphError(layer, `${where}: unknown choice "${k}"; declared: ${Object.keys(graph.choices).join(', ') || 'none'}`);
    if (seen.has(k)) graphError(layer, `${where}: choice "${k}" appears twice in one table`);
    seen.add(k);
    size *= n;
  }
  if (c.table.length !== size) graphError(layer, `${where}: table over [${c.choices.join(', ')}] needs ${size} entries, got ${c.table.length}`);
}

function isOne(c: EffectiveCount | undefined): boolean {
  return c === undefined || c === 1;
}

function walkNodes(graph: EffectiveGraph, layer: EffectiveLayer, nodes: EffectiveNode[], h: number[], w: number[], sizes: [number, number][]): NodeSpatial[] {
  const out: NodeSpatial[] = [];
  for (const n of nodes) {
    const where = `node "${n.name}"`;
    if (n.kind === 'conv') {
      if (!(Number.isInteger(n.kernel) && n.kernel > 0 && Number.isInteger(n.stride) && n.stride > 0)) graphError(layer, `${where}: kernel and stride must be positive integers`);
      if (n.out !== 'same') checkCount(graph, layer, `${where} out`, n.out);
      if (n.groupWidth !== undefined) checkCount(graph, layer, `${where} groupWidth`, n.groupWidth);
      if (n.gate !== undefined) checkCount(graph, layer, `${where} gate`, n.gate);
      if (n.groups !== undefined && !(Number.isInteger(n.groups) && n.groups > 0)) graphError(layer, `${where}: groups must be a positive integer`);
      const hOut = h.map((x) => convOutputSize(x, n.kernel, n.stride, n.padding[0]));
      const wOut = w.map((x) => convOutputSize(x, n.kernel, n.stride, n.padding[1]));
      hOut.forEach((ho, r) => {
        if (ho < 1 || wOut[r] < 1) {
          const res = sizes.length > 1 ? ` at input resolution ${sizes[r].join('x')}` : '';
          graphError(layer, `${where}: output would be ${ho}x${wOut[r]} (input ${h[r]}x${w[r]}, kernel ${n.kernel}, stride ${n.stride})${res}; the input is too small`);
        }
      });
      if (!isOne(n.gate) && hOut.some((x, r) => x !== h[r] || wOut[r] !== w[r])) graphError(layer, `${where}: a gated conv must keep the spatial size`);
      out.push({ hIn: h, wIn: w, hOut, wOut });
      h = hOut;
      w = wOut;
    } else if (n.kind === 'se') {
      checkCount(graph, layer, `${where} mid`, n.mid);
      if (n.gate !== undefined) checkCount(graph, layer, `${where} gate`, n.gate);
      out.push({ hIn: h, wIn: w, hOut: h, wOut: w });
    } else {
      const ones = h.map(() => 1);
      out.push({ hIn: h, wIn: w, hOut: ones, wOut: ones });
      h = ones;
      w = ones;
    }
  }
  return out;
}

/**
 * Check a graph (choices declared and sized, tables complete, no feature map below 1x1 at any
 * candidate resolution, mixture candidates agree on spatial size) and compute every node's
 * spatial sizes per resolution option.
 */
export function analyzeEffectiveGraph(graph: EffectiveGraph): AnalyzedLayer[] {
  if (graph.version !== 1) throw new FbnetError('USAGE', `effective graph: unsupported version ${String(graph.version)}`);
  for (const [k, n] of Object.entries(graph.choices)) {
    if (!(Number.isInteger(n) && n > 0)) throw new FbnetError('USAGE', `effective graph: choice "${k}" must have a positive integer number of options, got ${n}`);
  }
  const { sizes, resolution } = graph.input;
  if (sizes.length === 0) throw new FbnetError('USAGE', 'effective graph: input.sizes is empty');
  if (resolution !== undefined && graph.choices[resolution] !== sizes.length) {
    throw new FbnetError('USAGE', `effective graph: resolution choice "${resolution}" must be declared with ${sizes.length} options`);
  }
  if (resolution === undefined && sizes.length !== 1) throw new FbnetError('USAGE', 'effective graph: several input sizes need a resolution choice');
  let h = sizes.map((s) => s[0]);
  let w = sizes.map((s) => s[1]);
  const out: AnalyzedLayer[] = [];
  for (const layer of graph.layers) {
    if (layer.kind === 'path') {
      const sp = walkNodes(graph, layer, layer.nodes, h, w, sizes);
      out.push({ candidates: [sp] });
      if (sp.length) ({ hOut: h, wOut: w } = sp[sp.length - 1]);
      continue;
    }
    if (graph.choices[layer.choice] !== layer.candidates.length) {
      graphError(layer, `mixture choice "${layer.choice}" must be declared with ${layer.candidates.length} options`);
    }
    const cands = layer.candidates.map((c) => walkNodes(graph, layer, c.nodes, h, w, sizes));
    const ends = cands.map((sp) => (sp.length ? [sp[sp.length - 1].hOut, sp[sp.length - 1].wOut] : [h, w]));
    ends.forEach(([hh, ww], i) => {
      if (hh.some((x, r) => x !== ends[0][0][r] || ww[r] !== ends[0][1][r])) {
        graphError(layer, `candidate "${layer.candidates[i].name}" gives ${hh[0]}x${ww[0]}, candidate "${layer.candidates[0].name}" gives ${ends[0][0][0]}x${ends[0][1][0]}; a mixture's candidates must agree on spatial size`);
      }
    });
    out.push({ candidates: cands });
    [h, w] = ends[0];
  }
  return out;
}
