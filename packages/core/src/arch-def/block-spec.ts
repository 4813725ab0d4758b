/**
 * A block, resolved: the primitive nodes it is made of, in execution order. Everything
 * downstream walks these nodes: shape propagation counts FLOPs/params on them, `nn` builds
 * TF.js layers from them, the LUT keys measurements by them. One description, many uses.
 */
export type Activation = 'relu' | 'hswish' | 'none';

export interface ConvNode {
  kind: 'conv';
  /** Role inside the block: stem/pw/dw/pwl/proj/conv. */
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: number;
  stride: number;
  /** Symmetric explicit padding [rows, cols] on each side (PyTorch semantics, not TF "same"). */
  padding: [number, number];
  groups: number;
  bias: boolean;
  bn: boolean;
  act: Activation;
  /** Initialise this node's BN gamma to zero (mobile-vision `zero_last_bn_gamma` on residual blocks). */
  zeroGamma: boolean;
}

export interface ShuffleNode {
  kind: 'shuffle';
  name: string;
  channels: number;
  groups: number;
}

/** Squeeze-excite: global pool, 1x1 conv (bias) + act, 1x1 conv (bias) + gate, multiply. */
export interface SeNode {
  kind: 'se';
  name: string;
  channels: number;
  midChannels: number;
  act: Activation;
  gate: 'sigmoid' | 'hsigmoid';
}

/** Global average pool to 1x1 (keeps the channel count). */
export interface GlobalPoolNode {
  kind: 'gpool';
  name: string;
  channels: number;
}

export type BlockNode = ConvNode | ShuffleNode | SeNode | GlobalPoolNode;

export interface BlockSpec {
  op: string;
  inChannels: number;
  outChannels: number;
  stride: number;
  /** Element-wise shortcut around the whole node list (stride 1 and in == out). */
  residual: boolean;
  nodes: BlockNode[];
}

export function convNode(n: Partial<ConvNode> & Pick<ConvNode, 'name' | 'inChannels' | 'outChannels' | 'kernel'>): ConvNode {
  const k = n.kernel;
  return {
    kind: 'conv',
    stride: 1,
    padding: [Math.floor(k / 2), Math.floor(k / 2)],
    groups: 1,
    bias: false,
    bn: true,
    act: 'relu',
    zeroGamma: false,
    ...n,
  };
}
