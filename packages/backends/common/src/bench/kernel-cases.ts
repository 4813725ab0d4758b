import * as tf from '@tensorflow/tfjs-core';
import {
  archFromChoice,
  FBNET_KERNELS,
  parseArchDef,
  resolveArch,
  searchLayers,
  type ArchDef,
  type FusedActivation,
  type KernelShape,
  type ResolvedArch,
  type SearchSpace,
} from '@fbnet/core';
import { describeCall } from '../call-info.ts';
import { shapeKey } from '../plan.ts';

/** One kernel call to time: the kernel, its canonical shape, and a maker for inputs/attrs. */
export interface KernelCase {
  kernel: string;
  shape: KernelShape;
  /** Where the shape comes from, e.g. `b3.dw`. */
  source: string;
  make(): { inputs: tf.NamedTensorMap; attrs: tf.NamedAttrMap };
}

export interface ConvCallSpec {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  k: number;
  stride: number;
  pad: number;
  depthwise: boolean;
}

function padArg(p: number): 'valid' | tf.backend_util.ExplicitPadding {
  // @fbnet/nn passes 'valid' for zero padding, explicit symmetric padding otherwise.
  return p === 0 ? 'valid' : [[0, 0], [p, p], [p, p], [0, 0]];
}

const rnd = (shape: number[]) => tf.randomNormal(shape, 0, 1, 'float32');

/** The forward and backprop kernel calls of one convolution (as @fbnet/nn issues them). */
export function convCases(c: ConvCallSpec, source: string, opts: { forward?: boolean; backpropInput?: boolean; backpropFilter?: boolean } = {}): KernelCase[] {
  const oh = Math.floor((c.h + 2 * c.pad - c.k) / c.stride) + 1;
  const ow = Math.floor((c.w + 2 * c.pad - c.k) / c.stride) + 1;
  const xShape: [number, number, number, number] = [c.n, c.h, c.w, c.cin];
  const fShape: [number, number, number, number] = c.depthwise ? [c.k, c.k, c.cin, 1] : [c.k, c.k, c.cin, c.cout];
  const dyShape = [c.n, oh, ow, c.depthwise ? c.cin : c.cout];
  const common = { strides: [c.stride, c.stride], pad: padArg(c.pad), dataFormat: 'NHWC', dimRoundingMode: undefined } as Record<string, unknown>;
  const dil = { dilations: [1, 1] };
  const names = c.depthwise
    ? ['DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter']
    : ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter'];
  const out: KernelCase[] = [];
  // Shapes are keyed exactly as the dispatcher keys a live call (no tensors needed for that).
  const info = (shape: number[]) => ({ shape, dtype: 'float32' }) as tf.TensorInfo;
  const add = (kernel: string, inputs: Record<string, number[]>, attrs: Record<string, unknown>) => {
    const shape = describeCall(kernel, Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, info(v)])), attrs).shape;
    const make = () => ({ inputs: Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, rnd(v)])) as tf.NamedTensorMap, attrs: attrs as tf.NamedAttrMap });
    out.push({ kernel, shape, source, make });
  };
  if (opts.forward !== false) add(names[0], { x: xShape, filter: fShape }, { ...common, ...dil });
  if (opts.backpropInput !== false) add(names[1], { dy: dyShape, filter: fShape }, { ...common, ...(c.depthwise ? dil : {}), inputShape: xShape });
  if (opts.backpropFilter !== false) add(names[2], { x: xShape, dy: dyShape }, { ...common, ...(c.depthwise ? dil : {}), filterShape: fShape });
  return out;
}

/** FbnetBatchNormActTrain / Grad calls on [n, h, w, c]. */
export function batchNormCases(n: number, h: number, w: number, c: number, act: FusedActivation, source: string): KernelCase[] {
  const attrs = { epsilon: 1e-5, act } as unknown as tf.NamedAttrMap;
  const xShape = [n, h, w, c];
  const shape: KernelShape = { n, h, w, c, act };
  return [
    { kernel: FBNET_KERNELS.BatchNormActTrain, shape, source, make: () => ({ inputs: { x: rnd(xShape), gamma: tf.ones([c]), beta: tf.zeros([c]) }, attrs }) },
    {
      kernel: FBNET_KERNELS.BatchNormActGrad,
      shape,
      source,
      make: () => ({
        inputs: { dy: rnd(xShape), x: rnd(xShape), gamma: tf.ones([c]), beta: tf.zeros([c]), mean: tf.zeros([c]), invStd: tf.ones([c]) },
        attrs,
      }),
    },
  ];
}

/**
 * Every conv / depthwise / fused-BN kernel call (forward and backward) a training step of
 * `arch` at batch `n` makes, deduplicated by (kernel, shape). The stem's input gradient is
 * not needed in training, so it is left out.
 */
export function kernelCasesForArch(arch: ArchDef | ResolvedArch, n: number, options: { backward?: boolean } = {}): KernelCase[] {
  const r = 'head' in arch ? (arch as ResolvedArch) : resolveArch(parseArchDef(arch));
  const backward = options.backward !== false;
  let h = r.inputSize;
  const cases: KernelCase[] = [];
  let first = true;
  for (const b of r.blocks) {
    for (const node of b.spec.nodes) {
      if (node.kind !== 'conv') continue;
      const src = `b${b.index}.${node.name}`;
      const [p] = node.padding;
      const oh = Math.floor((h + 2 * p - node.kernel) / node.stride) + 1;
      const depthwise = node.groups > 1 && node.groups === node.inChannels && node.groups === node.outChannels;
      const cin = depthwise ? node.inChannels : node.inChannels / node.groups;
      const cout = depthwise ? node.outChannels : node.outChannels / node.groups;
      cases.push(
        ...convCases({ n, h, w: h, cin, cout, k: node.kernel, stride: node.stride, pad: p, depthwise }, src, {
          backpropInput: backward && !first,
          backpropFilter: backward,
        }),
      );
      if (node.bn) {
        const bn = batchNormCases(n, oh, oh, node.outChannels, node.act, src);
        cases.push(...(backward ? bn : bn.slice(0, 1)));
      }
      first = false;
      h = oh;
    }
  }
  return dedupe(cases);
}

/**
 * The union of kernel calls over a search space: for j = 0, 1, ... every searchable layer
 * takes its j-th candidate (and j-th channel / expansion / resolution choice, clamped), so
 * every candidate of every layer is seen at least once.
 */
export function kernelCasesForSpace(space: SearchSpace, n: number, options: { backward?: boolean } = {}): KernelCase[] {
  const layers = searchLayers(space);
  const maxJ = Math.max(
    1,
    ...layers.map((l) => Math.max(l.candidates.length, l.channels?.length ?? 1, l.expansions?.length ?? 1)),
    space.resolutions?.length ?? 1,
  );
  const cases: KernelCase[] = [];
  for (let j = 0; j < maxJ; j++) {
    const arch = archFromChoice(space, {
      ops: layers.map((l) => Math.min(j, l.candidates.length - 1)),
      channels: layers.some((l) => l.channels) ? layers.map((l) => Math.min(j, (l.channels?.length ?? 1) - 1)) : undefined,
      expansions: layers.some((l) => l.expansions) ? layers.map((l) => Math.min(j, (l.expansions?.length ?? 1) - 1)) : undefined,
      resolution: space.resolutions ? Math.min(j, space.resolutions.length - 1) : undefined,
    });
    cases.push(...kernelCasesForArch(arch, n, options));
  }
  return dedupe(cases);
}

export function dedupe(cases: KernelCase[]): KernelCase[] {
  const seen = new Map<string, KernelCase>();
  for (const c of cases) {
    const key = `${c.kernel}|${shapeKey(c.shape)}`;
    if (!seen.has(key)) seen.set(key, c);
  }
  return [...seen.values()];
}
