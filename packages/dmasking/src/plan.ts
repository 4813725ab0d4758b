import {
  ArchDefError,
  candidateBlock,
  convNode,
  FbnetError,
  spaceSlots,
  type BlockLocation,
  type BlockSpec,
  type BlockTuple,
  type SearchLayer,
  type SearchSpace,
} from '@fbnet/core';
import { compactAxes, tupleSpec } from '@fbnet/latency-lut';
import { spaceChoiceKey } from '@fbnet/shape-propagation';
import { jointConfigs, type MaskTable } from './masks.ts';

/**
 * The static plan of a DMasking supernet: for every block slot of the space, the block each
 * candidate runs (built once at the largest widths: one set of shared weights) and the mask
 * tables that turn its output into the padded weighted sum over every channel/expansion
 * option (eq. 1-3). Plain data, no tensors.
 */
export interface CandidatePlan {
  id: string;
  /** The shared-weight block at the largest widths, residual left to the plan; null: a pure identity. */
  spec: BlockSpec | null;
  /** Mask on the expanded width (after pw and dw); null when every option uses the full width. */
  mid: MaskTable | null;
  /** Mask on the block body's output; null when every option keeps every channel. */
  out: MaskTable | null;
  /**
   * Shortcut x (channels cut or zero-padded to the output width) times this mask: the options
   * where a residual (or a skip's identity) exists, stride 1 and C_in = C_out. null: never.
   * `'always'`: one option, always a residual over the full width.
   */
  residual: MaskTable | null | 'always';
  /**
   * Where some options have no pointwise expansion (mid = C_in, e.g. expansion 1): the pw output
   * is multiplied by `pwGate` (the weight of the options that have it) and the input, zero-padded to
   * the expanded width, by `pwSkip` (the options that feed the dw directly). null: pw in every option.
   */
  pwGate: MaskTable | null;
  pwSkip: MaskTable | null;
  /** The block the derived arch has for every joint option, row-major over (input width, width, expansion). */
  options: BlockSpec[];
}

export interface SlotPlan {
  index: number;
  kind: 'fixed' | 'search';
  name: string;
  location: BlockLocation;
  layer?: SearchLayer;
  /** Choice key of the V1 block choice (absent with one candidate). */
  opKey?: string;
  inMax: number;
  outMax: number;
  /** Input widths (the previous slot's options) and their choice key when searched. */
  inKey?: string;
  inOptions: number[];
  outKey?: string;
  outOptions: number[];
  expKey?: string;
  expCount: number;
  candidates: CandidatePlan[];
}

/** The channel options flowing out of a slot: one fixed count or a channel choice. */
interface Source {
  key?: string;
  options: number[];
}

function resolveOne(space: SearchSpace, tuple: BlockTuple, cin: number, loc: BlockLocation, what: string): BlockSpec {
  try {
    return tupleSpec(space, tuple, cin);
  } catch (e) {
    if (e instanceof FbnetError) throw new ArchDefError(`${what} with ${cin} input channels: ${e.message.replace(/^invalid arch def: (stage \d+, block \d+: )?/, '')}`, loc);
    throw e;
  }
}

/** Drop the axes a mask table does not depend on (the latency model's rule, `compactAxes`). */
export function compactTable(t: MaskTable): MaskTable {
  const c = compactAxes(t.widths, t.keys, t.dims);
  return { keys: c.keys, dims: c.dims, widths: c.ms, k: t.k };
}

const isIdentity = (s: BlockSpec) => s.op === 'skip' && s.nodes.length === 0;
const hasResidual = (s: BlockSpec) => s.residual || isIdentity(s);
/** The expanded width: the depthwise conv's channels, or the pointwise output where there is no dw (ir_pool). */
const midWidth = (s: BlockSpec) => {
  const dw = s.nodes.find((n) => n.kind === 'conv' && n.name === 'dw');
  if (dw && dw.kind === 'conv') return dw.inChannels;
  const pw = s.nodes.find((n) => n.kind === 'conv' && n.name === 'pw');
  return pw && pw.kind === 'conv' ? pw.outChannels : undefined;
};

function planCandidate(id: string, specAt: (j: number, k: number, m: number) => BlockSpec, src: Source, outKey: string | undefined, outs: number[], expKey: string | undefined, exps: number, loc: BlockLocation): CandidatePlan {
  const ins = src.options;
  const inMax = Math.max(...ins);
  const outMax = Math.max(...outs);
  const jm = ins.indexOf(inMax);
  const km = outs.indexOf(outMax);
  // Every joint option (prev width j, own width k, expansion m): what the derived block would be.
  const specs = jointConfigs([ins.length, outs.length, exps]).map(([j, k, m]) => ({ j, k, m, spec: specAt(j, k, m) }));
  const mids = specs.map((s) => midWidth(s.spec));
  const midMax = Math.max(0, ...mids.map((x) => x ?? 0));
  let big = specAt(jm, km, 0);
  for (let m = 0; m < exps; m++) if ((midWidth(specAt(jm, km, m)) ?? 0) >= (midWidth(big) ?? 0)) big = specAt(jm, km, m);
  if ((midWidth(big) ?? 0) !== midMax) throw new ArchDefError(`candidate "${id}": the largest expanded width ${midMax} is not at the largest input/expansion`, loc);
  if (specs.some((s) => s.spec.nodes.some((n) => n.name === 'pw')) && !big.nodes.some((n) => n.name === 'pw') && midMax > 0) {
    throw new ArchDefError(`candidate "${id}": some options have a pointwise expansion the widest option lacks (width_divisor rounding); DMasking shares the widest block's weights, so it cannot represent them`, loc);
  }
  const keys2 = (withExp: boolean) => {
    const keys: string[] = [];
    const dims: number[] = [];
    if (src.key) (keys.push(src.key), dims.push(ins.length));
    if (outKey) (keys.push(outKey), dims.push(outs.length));
    if (withExp && expKey) (keys.push(expKey), dims.push(exps));
    return { keys, dims };
  };
  // Tables over (j, k) only: residual and skip gates do not depend on the expansion.
  const jk = jointConfigs([ins.length, outs.length]).map(([j, k]) => specAt(j, k, 0));
  const table = (widths: number[], k: number): MaskTable | null => {
    const t = compactTable({ ...keys2(false), widths, k });
    return t.widths.every((c) => c >= k) ? null : t;
  };

  const anyBody = jk.some((s) => !isIdentity(s));
  let body: BlockSpec | null = null;
  if (anyBody) {
    if (isIdentity(big) || big.op === 'skip') {
      // A skip projects wherever it is not an identity: one shared 1x1 projection at the largest widths.
      body = {
        op: 'skip',
        inChannels: inMax,
        outChannels: outMax,
        stride: big.stride,
        residual: false,
        nodes: [convNode({ name: 'proj', inChannels: inMax, outChannels: outMax, kernel: 1, stride: big.stride, padding: [0, 0], act: 'none' })],
      };
    } else body = { ...big, residual: false };
  }
  const resWidths = jk.map((s, d) => (hasResidual(s) ? Math.min(ins[Math.floor(d / outs.length)], outMax) : 0));
  let residual: CandidatePlan['residual'] = null;
  if (resWidths.some((w) => w > 0)) {
    residual = resWidths.length === 1 && ins[0] === outMax ? 'always' : compactTable({ ...keys2(false), widths: resWidths, k: outMax });
  }
  // A skip's projection exists only where it is not an identity; other blocks always have a body.
  const outWidths = jk.map((s, d) => (isIdentity(s) ? 0 : outs[d % outs.length]));
  const out = body ? table(outWidths, outMax) : null;
  let pwGate: MaskTable | null = null;
  let pwSkip: MaskTable | null = null;
  const hasPw = (b: BlockSpec) => b.nodes.some((n) => n.name === 'pw');
  if (body && hasPw(body) && specs.some((x) => !hasPw(x.spec))) {
    pwGate = compactTable({ ...keys2(true), widths: specs.map((x) => (hasPw(x.spec) ? midMax : 0)), k: midMax });
    pwSkip = compactTable({ ...keys2(true), widths: specs.map((x) => (hasPw(x.spec) ? 0 : ins[x.j])), k: midMax });
  }
  let mid: MaskTable | null = null;
  if (body && midMax > 0) {
    const t = compactTable({ ...keys2(true), widths: specs.map((_, d) => mids[d] ?? 0), k: midMax });
    // The (j, k, m) table does not depend on k: dropped by compaction.
    mid = t.widths.every((c) => c >= midMax) ? null : t;
  }
  return { id, spec: body, mid, out, residual, pwGate, pwSkip, options: specs.map((x) => x.spec) };
}

/** Plan every slot of a space (fixed blocks, repeats expanded, and searchable layers). */
export function planSupernet(space: SearchSpace): SlotPlan[] {
  const slots: SlotPlan[] = [];
  let src: Source = { options: [space.input_channels] };
  const blockInStage = new Map<number, number>();
  for (const slot of spaceSlots(space)) {
    const block = blockInStage.get(slot.stage) ?? 0;
    blockInStage.set(slot.stage, block + 1);
    const loc = { stage: slot.stage, block };
    if (slot.kind === 'fixed') {
      const [op, c, s, n, ...kw] = slot.block;
      for (let r = 0; r < n; r++) {
        const tuple = [op, c, r === 0 ? s : 1, 1, ...kw] as BlockTuple;
        const inSrc = src;
        const cand = planCandidate(op, (j) => resolveOne(space, tuple, inSrc.options[j], loc, `block ${op}`), inSrc, undefined, [c], undefined, 1, loc);
        slots.push({
          index: slots.length,
          kind: 'fixed',
          name: `s${slot.stage}.b${block}.${r}:${op}`,
          location: loc,
          inMax: Math.max(...inSrc.options),
          outMax: c,
          inKey: inSrc.key,
          inOptions: inSrc.options,
          outOptions: [c],
          expCount: 1,
          candidates: [cand],
        });
        src = { options: [c] };
      }
      continue;
    }
    const l = slot.layer;
    const outs = l.channels && l.channels.length > 1 ? l.channels : [l.channels?.[0] ?? l.c];
    const outKey = outs.length > 1 ? spaceChoiceKey.channels(l.index) : undefined;
    const exps = l.expansions ?? [undefined];
    const expKey = exps.length > 1 ? spaceChoiceKey.expansion(l.index) : undefined;
    const inSrc = src;
    const candidates = l.candidates.map((id) =>
      planCandidate(
        id,
        (j, k, m) => resolveOne(space, candidateBlock(space, id, outs[k], l.s, exps[m]), inSrc.options[j], loc, `layer ${l.index} candidate "${id}"`),
        inSrc,
        outKey,
        outs,
        expKey,
        exps.length,
        loc,
      ),
    );
    slots.push({
      index: slots.length,
      kind: 'search',
      name: `layer${l.index}`,
      location: loc,
      layer: l,
      opKey: l.candidates.length > 1 ? spaceChoiceKey.op(l.index) : undefined,
      inMax: Math.max(...inSrc.options),
      outMax: Math.max(...outs),
      inKey: inSrc.key,
      inOptions: inSrc.options,
      outKey,
      outOptions: outs,
      expKey,
      expCount: exps.length,
      candidates,
    });
    src = outKey ? { key: outKey, options: outs } : { options: outs };
  }
  return slots;
}
