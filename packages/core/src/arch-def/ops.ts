import { FbnetError } from '../errors.ts';
import { Registry } from '../registry.ts';
import { convNode, type BlockNode, type BlockSpec } from './block-spec.ts';
import { getDivisibleBy } from './divisible.ts';
import type { BlockKwargs, KwargName } from './kwargs.ts';
import { allOpNames, type ParsedOpName } from './op-name.ts';

/** Uniform factory arguments, as mobile-vision's `(in_channels, out_channels, stride, **kwargs)`. */
export interface OpArgs {
  inChannels: number;
  outChannels: number;
  stride: number;
  kwargs: BlockKwargs;
  /** From `basic_args.width_divisor` (mobile-vision's builder default is 1). */
  widthDivisor: number;
}

export interface OpDefinition {
  name: string;
  /** Kwargs this op understands; any other known kwarg is an error for it, except where `ignores` lists it. */
  accepts: readonly KwargName[];
  /** Known kwargs accepted and ignored, as mobile-vision's factory does (e.g. `skip` swallows `expansion`). */
  ignores: readonly KwargName[];
  build(args: OpArgs): BlockSpec;
}

function padPair(p: number | [number, number]): [number, number] {
  return Array.isArray(p) ? [p[0], p[1]] : [p, p];
}

function checkChannels(op: string, what: string, channels: number, groups: number): void {
  if (channels % groups !== 0) {
    throw new FbnetError('ARCH_DEF_INVALID', `${op}: ${what} channels ${channels} not divisible by groups ${groups}`);
  }
}

function buildConv(p: ParsedOpName, a: OpArgs): BlockSpec {
  const node = convNode({
    name: 'conv',
    inChannels: a.inChannels,
    outChannels: a.outChannels,
    kernel: p.kernel,
    stride: a.stride,
    bias: a.kwargs.bias ?? false,
    act: p.act,
  });
  return { op: p.name, inChannels: a.inChannels, outChannels: a.outChannels, stride: a.stride, residual: false, nodes: [node] };
}

/** mobile-vision IRFBlock: [pw 1x1 (+shuffle)] → dw kxk → [SE] → pwl 1x1 (BN, no act) (+ residual). */
function buildIr(p: ParsedOpName, a: OpArgs): BlockSpec {
  const kw = a.kwargs;
  const e = kw.expansion ?? 6;
  const wd = kw.width_divisor ?? a.widthDivisor;
  const mid = getDivisibleBy(a.inChannels * e, wd);
  const pwGroups = kw.pw_groups ?? p.pwGroups;
  const pwlGroups = kw.pwl_groups ?? 1;
  const dwGroups = Math.floor(mid / (kw.dw_group_ratio ?? 1));
  const bias = kw.bias ?? false;
  const residual = a.stride === 1 && a.inChannels === a.outChannels;
  const nodes: BlockNode[] = [];
  if (a.inChannels !== mid) {
    checkChannels(p.name, 'pw input', a.inChannels, pwGroups);
    checkChannels(p.name, 'pw output', mid, pwGroups);
    nodes.push(convNode({ name: 'pw', inChannels: a.inChannels, outChannels: mid, kernel: 1, padding: [0, 0], groups: pwGroups, bias, act: p.act }));
  }
  if (pwGroups > 1) nodes.push({ kind: 'shuffle', name: 'shuffle', channels: mid, groups: pwGroups });
  checkChannels(p.name, 'dw', mid, dwGroups);
  nodes.push(
    convNode({
      name: 'dw',
      inChannels: mid,
      outChannels: mid,
      kernel: p.kernel,
      stride: a.stride,
      padding: padPair(kw.dw_args?.padding ?? Math.floor(p.kernel / 2)),
      groups: dwGroups,
      bias,
      act: p.act,
    }),
  );
  if (p.se !== 'none') {
    // mobile-vision: se_ratio = 0.25, divided by the expansion when less_se_channels;
    // the product is truncated, then rounded to the width divisor. Same float order as Python.
    let seRatio = 0.25;
    if (kw.less_se_channels) seRatio /= e;
    const seMid = getDivisibleBy(Math.trunc(mid * seRatio), wd);
    nodes.push({ kind: 'se', name: 'se', channels: mid, midChannels: seMid, act: p.act, gate: p.se });
  }
  checkChannels(p.name, 'pwl input', mid, pwlGroups);
  checkChannels(p.name, 'pwl output', a.outChannels, pwlGroups);
  nodes.push(
    convNode({
      name: 'pwl',
      inChannels: mid,
      outChannels: a.outChannels,
      kernel: 1,
      padding: [0, 0],
      groups: pwlGroups,
      bias,
      act: 'none',
      zeroGamma: (kw.zero_last_bn_gamma ?? false) && residual,
    }),
  );
  return { op: p.name, inChannels: a.inChannels, outChannels: a.outChannels, stride: a.stride, residual, nodes };
}

/** mobile-vision IRPoolBlock: pw 1x1 (BN, act) → global pool → 1x1 conv (act, no BN). */
function buildIrPool(p: ParsedOpName, a: OpArgs): BlockSpec {
  const kw = a.kwargs;
  const e = kw.expansion ?? 6;
  const wd = kw.width_divisor ?? a.widthDivisor;
  const mid = getDivisibleBy(a.inChannels * e, wd);
  const bias = kw.bias ?? false;
  const nodes: BlockNode[] = [];
  if (a.inChannels !== mid) {
    nodes.push(convNode({ name: 'pw', inChannels: a.inChannels, outChannels: mid, kernel: 1, padding: [0, 0], bias, act: p.act }));
  }
  nodes.push({ kind: 'gpool', name: 'pool', channels: mid });
  nodes.push(convNode({ name: 'pwl', inChannels: mid, outChannels: a.outChannels, kernel: 1, padding: [0, 0], bias, bn: false, act: p.act }));
  const residual = a.stride === 1 && a.inChannels === a.outChannels;
  return { op: p.name, inChannels: a.inChannels, outChannels: a.outChannels, stride: a.stride, residual, nodes };
}

/** Identity when shape is kept; otherwise a 1x1 conv + BN projection. */
function buildSkip(p: ParsedOpName, a: OpArgs): BlockSpec {
  const nodes: BlockNode[] = [];
  if (a.inChannels !== a.outChannels || a.stride !== 1) {
    nodes.push(convNode({ name: 'proj', inChannels: a.inChannels, outChannels: a.outChannels, kernel: 1, stride: a.stride, padding: [0, 0], act: 'none' }));
  }
  return { op: p.name, inChannels: a.inChannels, outChannels: a.outChannels, stride: a.stride, residual: false, nodes };
}

const IR_KWARGS: KwargName[] = ['expansion', 'dw_args', 'less_se_channels', 'zero_last_bn_gamma', 'bias', 'pw_groups', 'pwl_groups', 'dw_group_ratio', 'width_divisor'];
const ALL_KWARGS: KwargName[] = IR_KWARGS;

function definitionFor(p: ParsedOpName): OpDefinition {
  switch (p.family) {
    case 'conv':
      return { name: p.name, accepts: ['bias', 'width_divisor'], ignores: [], build: (a) => buildConv(p, a) };
    case 'ir':
      return { name: p.name, accepts: IR_KWARGS, ignores: [], build: (a) => buildIr(p, a) };
    case 'ir_pool':
      return {
        name: p.name,
        accepts: ['expansion', 'bias', 'width_divisor'],
        ignores: ['less_se_channels', 'zero_last_bn_gamma'],
        build: (a) => buildIrPool(p, a),
      };
    case 'skip':
      return { name: p.name, accepts: [], ignores: ALL_KWARGS, build: (a) => buildSkip(p, a) };
  }
}

/** The one op registry. Stages and tools register extra ops here; duplicates throw. */
export const OPS = new Registry<OpDefinition>('op');
for (const p of allOpNames()) OPS.register(p.name, definitionFor(p));

export function registerOp(def: OpDefinition): void {
  OPS.register(def.name, def);
}
