import { FbnetError, type ArchDef, type BlockNode, type ConvNode, type ResolvedArch } from '@fbnet/core';
import { toResolvedArch } from './arch-cost.ts';
import type { EffectiveCount, EffectiveGraph, EffectiveLayer, EffectiveNode } from './effective-graph.ts';
import { inputHW } from './shape.ts';

export interface ArchCostGraphOptions {
  /**
   * Channel choices on nodes of the arch (a DMasking supernet's masks), keyed
   * `<blockIndex>/<nodeName>`, e.g. `"4/pw"` (expanded width), `"4/pwl"` (block output),
   * `"4/se"` (SE mid width). Replaces that conv's output count or that SE's mid count.
   */
  channels?: Record<string, EffectiveCount>;
  /** Options per choice referred to only through table-form counts. */
  choiceSizes?: Record<string, number>;
  /** Input-resolution choice (eq. 6): its name and the candidate sizes, option order. */
  resolution?: { choice: string; sizes: (number | [number, number])[] };
  /** Fixed input size instead of the arch def's `input_size` (ignored with `resolution`). */
  inputSize?: number | [number, number];
}

/**
 * A conv that keeps its input's channels by construction, so under masking it follows its
 * input (eq. 9): a true depthwise conv, or a block's `dw` conv with a group width > 1
 * (`dw_group_ratio`).
 */
export function isDepthwiseLike(n: ConvNode): boolean {
  return n.inChannels === n.outChannels && n.groups > 1 && (n.name === 'dw' || n.groups === n.inChannels);
}

/** A block node as an effective node; depthwise-like convs pass C̄ through (eq. 9). */
export function effectiveNodeOf(n: BlockNode, override?: EffectiveCount): EffectiveNode | null {
  switch (n.kind) {
    case 'conv': {
      const base = { kind: 'conv' as const, name: n.name, kernel: n.kernel, stride: n.stride, padding: [n.padding[0], n.padding[1]] as [number, number] };
      if (override === undefined && isDepthwiseLike(n)) {
        const width = n.inChannels / n.groups;
        return width === 1 ? { ...base, out: 'same' } : { ...base, out: 'same', groupWidth: width };
      }
      const out = override ?? n.outChannels;
      return n.groups > 1 ? { ...base, out, groups: n.groups } : { ...base, out };
    }
    case 'se':
      return { kind: 'se', name: n.name, mid: override ?? n.midChannels };
    case 'gpool':
      return { kind: 'gpool', name: n.name };
    case 'shuffle':
      // a permutation: no cost, no shape change
      return null;
  }
}

/** The implicit classifier as an effective layer: global pool + 1x1 conv to `numClasses`. */
export function headLayer(numClasses: number): EffectiveLayer {
  return {
    kind: 'path',
    name: 'head',
    nodes: [
      { kind: 'gpool', name: 'pool' },
      { kind: 'conv', name: 'fc', kernel: 1, stride: 1, padding: [0, 0], out: numClasses },
    ],
  };
}

function collectChoices(c: EffectiveCount, into: Record<string, number>, sizes: Record<string, number>): void {
  if (typeof c === 'number') return;
  if ('choice' in c) {
    into[c.choice] = c.options.length;
    return;
  }
  for (const k of c.choices) {
    const n = sizes[k] ?? into[k];
    if (n === undefined) throw new FbnetError('USAGE', `archCostGraph: choice "${k}" is used in a table; give its number of options in choiceSizes`);
    into[k] = n;
  }
}

/**
 * The effective graph of a concrete arch: one path per block plus the head. Without options
 * it evaluates to exactly `archCost(arch)`; with `channels`/`resolution` it is the cost model
 * of a DMasking supernet built on this arch.
 */
export function archCostGraph(arch: ArchDef | ResolvedArch, options: ArchCostGraphOptions = {}): EffectiveGraph {
  const r = toResolvedArch(arch);
  const overrides = options.channels ?? {};
  const choices: Record<string, number> = { ...(options.choiceSizes ?? {}) };
  const used = new Set<string>();
  const layers: EffectiveLayer[] = r.blocks.map((b) => ({
    kind: 'path',
    name: `${b.index}:${b.spec.op}`,
    location: { stage: b.stage, block: b.block },
    nodes: b.spec.nodes.flatMap((n) => {
      const key = `${b.index}/${n.name}`;
      const o = overrides[key];
      if (o !== undefined) {
        if (n.kind !== 'conv' && n.kind !== 'se') throw new FbnetError('USAGE', `archCostGraph: "${key}" is a ${n.kind}; only conv outputs and SE mid widths can be chosen`);
        used.add(key);
        collectChoices(o, choices, options.choiceSizes ?? {});
      }
      const e = effectiveNodeOf(n, o);
      return e ? [e] : [];
    }),
  }));
  const unused = Object.keys(overrides).filter((k) => !used.has(k));
  if (unused.length) throw new FbnetError('USAGE', `archCostGraph: no node ${unused.map((k) => `"${k}"`).join(', ')} (keys are <blockIndex>/<nodeName>)`);
  layers.push(headLayer(r.numClasses));
  let input: EffectiveGraph['input'];
  if (options.resolution) {
    choices[options.resolution.choice] = options.resolution.sizes.length;
    input = { channels: r.inputChannels, sizes: options.resolution.sizes.map(inputHW), resolution: options.resolution.choice };
  } else {
    input = { channels: r.inputChannels, sizes: [inputHW(options.inputSize ?? r.inputSize)] };
  }
  return { version: 1, choices, input, layers };
}
