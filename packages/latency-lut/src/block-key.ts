import type { BlockNode, BlockSpec } from '@fbnet/core';

/** [height, width, channels] of a batch-1 NHWC tensor. */
export type Hwc = [number, number, number];

/**
 * What a LUT entry times. Three kinds cover a whole `Net` forward:
 *   input  — `Net.normalize` of raw pixels (the first thing the net does),
 *   block  — one resolved block (stem, searchable layer, last conv, ...), eval-mode BN,
 *   head   — global average pool + the implicit 1x1 classifier (`Net.classify`).
 */
export type EntryConfig =
  | { kind: 'input'; input: Hwc }
  | { kind: 'block'; input: Hwc; spec: BlockSpec }
  | { kind: 'head'; input: Hwc; numClasses: number };

function convOut(size: number, k: number, s: number, p: number): number {
  return Math.floor((size + 2 * p - k) / s) + 1;
}

/** Output [h, w, c] of a block for an input shape: conv arithmetic with explicit padding. */
export function blockOutputShape(spec: BlockSpec, input: Hwc): Hwc {
  let [h, w, c] = input;
  for (const n of spec.nodes) {
    if (n.kind === 'conv') {
      h = convOut(h, n.kernel, n.stride, n.padding[0]);
      w = convOut(w, n.kernel, n.stride, n.padding[1]);
      c = n.outChannels;
    } else if (n.kind === 'gpool') {
      h = 1;
      w = 1;
    }
  }
  return [h, w, spec.nodes.length ? c : spec.outChannels];
}

function nodeSignature(n: BlockNode): string {
  switch (n.kind) {
    case 'conv': {
      const extras = `${n.bias ? '+b' : ''}${n.bn ? '+bn' : ''}${n.act !== 'none' ? `+${n.act}` : ''}`;
      return `conv${n.kernel}s${n.stride}p${n.padding[0]},${n.padding[1]}g${n.groups}:${n.inChannels}>${n.outChannels}${extras}`;
    }
    case 'se':
      return `se${n.channels}/${n.midChannels}+${n.act}+${n.gate}`;
    case 'shuffle':
      return `shuffle${n.groups}`;
    case 'gpool':
      return 'gpool';
  }
}

const shape = (s: Hwc) => `${s[0]}x${s[1]}x${s[2]}`;

/**
 * Canonical key: everything that changes the work a forward does (op, every node's
 * geometry, groups, SE, activations, padding, residual) and the input shape. Values that
 * do not change the work (BN gamma init) are left out, so such blocks share an entry.
 */
export function entryKey(e: EntryConfig): string {
  switch (e.kind) {
    case 'input':
      return `input@${shape(e.input)}`;
    case 'head':
      return `head:${e.input[2]}>${e.numClasses}@${shape(e.input)}`;
    case 'block':
      return `block:${e.spec.op}[${e.spec.nodes.map(nodeSignature).join(' ')}]${e.spec.residual ? '+res' : ''}@${shape(e.input)}`;
  }
}

/**
 * Op type of an entry, for per-op-type correction terms: the op name plus, for inverted
 * residuals, the expansion the block actually has (mid / in), e.g. `ir_k5_g2_e1`.
 */
export function entryOpType(e: EntryConfig): string {
  if (e.kind !== 'block') return e.kind;
  const spec = e.spec;
  if (spec.op.startsWith('ir_') && !spec.op.startsWith('ir_pool')) {
    const dw = spec.nodes.find((n) => n.kind === 'conv' && n.name === 'dw');
    if (dw && dw.kind === 'conv') return `${spec.op}_e${Math.round((dw.inChannels / spec.inChannels) * 100) / 100}`;
  }
  if (spec.op === 'skip') return spec.nodes.length ? 'skip_proj' : 'skip';
  return spec.op;
}
