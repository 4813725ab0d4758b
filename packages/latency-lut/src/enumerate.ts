import {
  candidateBlock,
  FbnetError,
  parseArchDef,
  resolveArch,
  spaceSlots,
  type ArchDef,
  type BlockSpec,
  type BlockTuple,
  type ResolvedArch,
  type SearchSpace,
} from '@fbnet/core';
import { blockOutputShape, entryKey, type EntryConfig, type Hwc } from './block-key.ts';

/** An entry to measure: its config and canonical key. */
export interface EntryRef {
  key: string;
  config: EntryConfig;
}

/** One step of an arch's forward, in order, with the LUT entry that times it. */
export interface ArchStep extends EntryRef {
  /** `input`, `head`, or the flat block index of the resolved arch. */
  role: 'input' | 'head' | number;
  /** Block op name, or `input` / `head`. */
  op: string;
  stage?: number;
  output: Hwc;
}

function ref(config: EntryConfig): EntryRef {
  return { key: entryKey(config), config };
}

/** The LUT entries an arch's forward goes through: input, every block, head (eq. 3's terms plus the fixed ones). */
export function archSteps(arch: ArchDef | ResolvedArch | unknown): ArchStep[] {
  const r: ResolvedArch = isResolved(arch) ? arch : resolveArch(parseArchDef(arch));
  let cur: Hwc = [r.inputSize, r.inputSize, r.inputChannels];
  const steps: ArchStep[] = [{ ...ref({ kind: 'input', input: cur }), role: 'input', op: 'input', output: cur }];
  for (const b of r.blocks) {
    const out = blockOutputShape(b.spec, cur);
    steps.push({ ...ref({ kind: 'block', input: cur, spec: b.spec }), role: b.index, op: b.spec.op, stage: b.stage, output: out });
    cur = out;
  }
  steps.push({ ...ref({ kind: 'head', input: cur, numClasses: r.numClasses }), role: 'head', op: 'head', output: [1, 1, r.numClasses] });
  return steps;
}

function isResolved(a: unknown): a is ResolvedArch {
  return typeof a === 'object' && a !== null && 'blocks' in a && 'head' in a && 'inputSize' in a;
}

/** Specs of a block tuple (repeats expanded) for a given input channel count; spatial size does not change a spec. */
export function resolveTuple(space: Pick<SearchSpace, 'num_classes' | 'basic_args'>, tuple: BlockTuple, inChannels: number): BlockSpec[] {
  const def = parseArchDef({
    input_size: 8,
    input_channels: inChannels,
    num_classes: space.num_classes,
    basic_args: space.basic_args,
    blocks: [[tuple]],
  });
  return resolveArch(def).blocks.map((b) => b.spec);
}

const stateKey = (s: Hwc) => s.join('x');

/** Every entry a search space can need, deduplicated by key (see `spaceLayerInputs` for the per-layer view). */
export function spaceEntries(space: SearchSpace): EntryRef[] {
  const out = new Map<string, EntryRef>();
  const add = (c: EntryConfig) => {
    const r = ref(c);
    if (!out.has(r.key)) out.set(r.key, r);
  };
  walkSpace(space, {
    onInput: (s) => add({ kind: 'input', input: s }),
    onBlock: (s, spec) => add({ kind: 'block', input: s, spec }),
    onHead: (s) => add({ kind: 'head', input: s, numClasses: space.num_classes }),
  });
  return [...out.values()];
}

export function archListEntries(archs: readonly unknown[]): EntryRef[] {
  const out = new Map<string, EntryRef>();
  for (const a of archs) for (const s of archSteps(a)) if (!out.has(s.key)) out.set(s.key, { key: s.key, config: s.config });
  return [...out.values()];
}

interface SpaceVisitor {
  onInput(s: Hwc): void;
  /** `layer` is the searchable-layer index, or undefined for a fixed block. */
  onBlock(s: Hwc, spec: BlockSpec, where: { slot: number; layer?: number; candidate?: number }): void;
  onHead(s: Hwc): void;
}

/**
 * Walk a space propagating the set of possible input shapes slot by slot. In the V1 spaces
 * every set has one element (the macro-architecture fixes each layer's input channels and
 * resolution); channel and resolution choices (V2) make the sets larger, and every
 * (input shape, candidate, channels, expansion) combination becomes an entry.
 */
export function walkSpace(space: SearchSpace, v: SpaceVisitor): void {
  const resolutions = space.resolutions ?? [space.input_size];
  let states = new Map<string, Hwc>();
  for (const r of resolutions) {
    const s: Hwc = [r, r, space.input_channels];
    states.set(stateKey(s), s);
    v.onInput(s);
  }
  spaceSlots(space).forEach((slot, si) => {
    const next = new Map<string, Hwc>();
    for (const s of states.values()) {
      if (slot.kind === 'fixed') {
        let cur = s;
        for (const spec of resolveTuple(space, slot.block, s[2])) {
          v.onBlock(cur, spec, { slot: si });
          cur = blockOutputShape(spec, cur);
        }
        next.set(stateKey(cur), cur);
        continue;
      }
      const l = slot.layer;
      const channels = l.channels ?? [l.c];
      const expansions: (number | undefined)[] = l.expansions ?? [undefined];
      l.candidates.forEach((cand, ci) => {
        for (const c of channels) {
          for (const e of expansions) {
            const [spec] = resolveTuple(space, candidateBlock(space, cand, c, l.s, e), s[2]);
            v.onBlock(s, spec, { slot: si, layer: l.index, candidate: ci });
            const o = blockOutputShape(spec, s);
            next.set(stateKey(o), o);
          }
        }
      });
    }
    states = next;
  });
  for (const s of states.values()) v.onHead(s);
}

/** A search space or a list of arch defs: what a table is measured for. */
export type LutSource = { space: SearchSpace } | { archs: readonly unknown[] };

export function sourceEntries(source: LutSource): EntryRef[] {
  if ('space' in source) return spaceEntries(source.space);
  if (!source.archs.length) throw new FbnetError('USAGE', 'no arch defs given to measure');
  return archListEntries(source.archs);
}
