import { FbnetError, parseArchDef, resolveArch, type ArchDef, type ResolvedArch } from '@fbnet/core';
import { blockCost, type NodeCost } from './block-cost.ts';
import { inputHW, type Shape3 } from './shape.ts';

export interface BlockCost {
  /** Index in the flat list of block instances (repeats expanded). */
  index: number;
  stage: number;
  /** Index of the block entry within its stage, as written in the arch def. */
  block: number;
  /** 0 for the first instance of a repeated entry. */
  repeat: number;
  op: string;
  input: Shape3;
  output: Shape3;
  flops: number;
  params: number;
  nodes: NodeCost[];
}

export interface StageCost {
  stage: number;
  /** Number of block instances in the stage (repeats expanded). */
  blocks: number;
  input: Shape3;
  output: Shape3;
  flops: number;
  params: number;
}

/** The implicit classifier: global average pool (counted) + 1x1 conv to num_classes (bias not counted). */
export interface HeadCost {
  input: Shape3;
  output: Shape3;
  flops: number;
  params: number;
  nodes: NodeCost[];
}

export interface ArchCost {
  input: Shape3;
  output: Shape3;
  blocks: BlockCost[];
  stages: StageCost[];
  head: HeadCost;
  flops: number;
  params: number;
}

export interface ArchCostOptions {
  /** Count at this input resolution instead of the arch def's `input_size` (number = square). */
  inputSize?: number | [number, number];
}

function isResolved(a: ArchDef | ResolvedArch): a is ResolvedArch {
  return typeof a === 'object' && a !== null && 'def' in a && 'head' in a && 'inputSize' in a && Array.isArray((a as ResolvedArch).blocks);
}

/** Accept an arch def (validated here, defaults filled) or an already resolved arch. */
export function toResolvedArch(arch: ArchDef | ResolvedArch): ResolvedArch {
  return isResolved(arch) ? arch : resolveArch(parseArchDef(arch));
}

function checkSafe(what: string, n: number): void {
  if (!Number.isSafeInteger(n)) {
    throw new FbnetError('NUMERIC', `${what} = ${n} is not an exact integer below 2^53; the count cannot be exact`);
  }
}

export function headCost(input: Shape3, numClasses: number): HeadCost {
  const [h, w, c] = input;
  const pool: NodeCost = { kind: 'gpool', name: 'pool', input, output: [1, 1, c], flops: h * w * c, params: 0 };
  const fc: NodeCost = { kind: 'conv', name: 'fc', input: [1, 1, c], output: [1, 1, numClasses], flops: c * numClasses, params: c * numClasses };
  return { input, output: fc.output, flops: pool.flops + fc.flops, params: fc.params, nodes: [pool, fc] };
}

/**
 * Output shape of every node and block, and FLOPs/params in the convention of the published
 * FBNet tables: FLOPs = multiply-adds of conv and linear weights (no bias, no BN; grouped conv
 * k*k*(cin/groups)*cout*hout*wout) + input elements of every global pool (SE, ir_pool, head);
 * params = conv and linear weights. A layer whose output would be smaller than 1x1 is an
 * ArchDefError naming the stage and block.
 */
export function archCost(arch: ArchDef | ResolvedArch, options: ArchCostOptions = {}): ArchCost {
  const r = toResolvedArch(arch);
  const [h0, w0] = inputHW(options.inputSize ?? r.inputSize);
  if (!(Number.isInteger(h0) && Number.isInteger(w0) && h0 > 0 && w0 > 0)) {
    throw new FbnetError('USAGE', `input size must be positive integers, got ${JSON.stringify(options.inputSize)}`);
  }
  const input: Shape3 = [h0, w0, r.inputChannels];
  const blocks: BlockCost[] = [];
  const stages: StageCost[] = [];
  let shape = input;
  let flops = 0;
  let params = 0;
  for (const b of r.blocks) {
    const bc = blockCost(b.spec, shape, { stage: b.stage, block: b.block });
    blocks.push({ index: b.index, stage: b.stage, block: b.block, repeat: b.repeat, op: b.spec.op, ...bc });
    let st = stages[stages.length - 1];
    if (!st || st.stage !== b.stage) {
      st = { stage: b.stage, blocks: 0, input: shape, output: shape, flops: 0, params: 0 };
      stages.push(st);
    }
    st.blocks += 1;
    st.output = bc.output;
    st.flops += bc.flops;
    st.params += bc.params;
    flops += bc.flops;
    params += bc.params;
    shape = bc.output;
  }
  const head = headCost(shape, r.numClasses);
  flops += head.flops;
  params += head.params;
  checkSafe('FLOPs', flops);
  checkSafe('params', params);
  return { input, output: head.output, blocks, stages, head, flops, params };
}
