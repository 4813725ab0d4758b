import { ArchDefError, type BlockLocation, type BlockNode, type BlockSpec } from '@fbnet/core';
import { convOutputSize, type Shape3 } from './shape.ts';

/** Shape and cost of one primitive node of a block. */
export interface NodeCost {
  kind: BlockNode['kind'];
  name: string;
  input: Shape3;
  output: Shape3;
  /** Multiply-adds of conv/linear weights plus global-pool input elements (published FBNet convention). */
  flops: number;
  /** Conv/linear weights only (no bias, no BN). */
  params: number;
}

export interface BlockShapeCost {
  input: Shape3;
  output: Shape3;
  flops: number;
  params: number;
  nodes: NodeCost[];
}

function where(loc: BlockLocation | undefined): BlockLocation | undefined {
  return loc ? { stage: loc.stage, block: loc.block } : undefined;
}

/**
 * Shape and cost of one node on an input of shape `input`.
 * conv: k*k*(cin/groups)*cout weights, applied at every output pixel. SE: its pool reads
 * every input element, its two 1x1 convs are linear layers on a 1x1 map (biases and the gate
 * multiply are free). Global pool: one add per input element. Shuffle: free.
 */
export function nodeCost(node: BlockNode, input: Shape3, loc?: BlockLocation): NodeCost {
  const [h, w, c] = input;
  const fail = (msg: string): never => {
    throw new ArchDefError(`${node.kind} "${node.name}": ${msg}`, where(loc));
  };
  switch (node.kind) {
    case 'conv': {
      if (node.inChannels !== c) fail(`expects ${node.inChannels} input channels, got ${c}`);
      const ho = convOutputSize(h, node.kernel, node.stride, node.padding[0]);
      const wo = convOutputSize(w, node.kernel, node.stride, node.padding[1]);
      if (ho < 1 || wo < 1) {
        fail(
          `output would be ${ho}x${wo} (input ${h}x${w}, kernel ${node.kernel}, stride ${node.stride}, padding [${node.padding.join(', ')}]); the input is too small`,
        );
      }
      const params = node.kernel * node.kernel * (node.inChannels / node.groups) * node.outChannels;
      return { kind: 'conv', name: node.name, input, output: [ho, wo, node.outChannels], flops: params * ho * wo, params };
    }
    case 'se': {
      if (node.channels !== c) fail(`expects ${node.channels} channels, got ${c}`);
      const params = 2 * node.channels * node.midChannels;
      return { kind: 'se', name: node.name, input, output: input, flops: h * w * c + params, params };
    }
    case 'gpool': {
      if (node.channels !== c) fail(`expects ${node.channels} channels, got ${c}`);
      return { kind: 'gpool', name: node.name, input, output: [1, 1, c], flops: h * w * c, params: 0 };
    }
    case 'shuffle': {
      if (node.channels !== c) fail(`expects ${node.channels} channels, got ${c}`);
      return { kind: 'shuffle', name: node.name, input, output: input, flops: 0, params: 0 };
    }
  }
}

/**
 * Walk a block's nodes from `input`. The residual add is free, but its two operands must
 * have the same shape (a stride-1 block whose depthwise padding shrinks the map cannot add).
 */
export function blockCost(spec: BlockSpec, input: Shape3, loc?: BlockLocation): BlockShapeCost {
  if (input[2] !== spec.inChannels) {
    throw new ArchDefError(`block "${spec.op}" expects ${spec.inChannels} input channels, got ${input[2]}`, where(loc));
  }
  const nodes: NodeCost[] = [];
  let shape = input;
  let flops = 0;
  let params = 0;
  for (const n of spec.nodes) {
    const nc = nodeCost(n, shape, loc);
    nodes.push(nc);
    flops += nc.flops;
    params += nc.params;
    shape = nc.output;
  }
  if (spec.residual && (shape[0] !== input[0] || shape[1] !== input[1] || shape[2] !== input[2])) {
    throw new ArchDefError(
      `block "${spec.op}" has a residual connection but maps ${input.join('x')} to ${shape.join('x')}; the shapes must match`,
      where(loc),
    );
  }
  return { input, output: shape, flops, params, nodes };
}
