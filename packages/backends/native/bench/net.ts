/**
 * A full training step (forward + backward, no optimizer) of the FBNet-like net in
 * small-net.json built only from native kernels with resident buffers: what a TF.js backend
 * can at best reach when every op of the step runs on these kernels. Also lists each kernel
 * call with its shape, so the benchmark can time kernels one by one and PyTorch the same ops.
 */
import { readFileSync } from 'node:fs';
import type { Activation, Conv2DShape, DepthwiseShape, HeapArray, NativeKernels } from '../src/index.ts';

export interface NetSpec {
  batch: number;
  input: { h: number; w: number; c: number };
  numClasses: number;
  stem: { cout: number; k: number; stride: number; act: Activation };
  blocks: { k: number; e: number; cout: number; stride: number; groups: number; act: Activation }[];
  head: { cout: number; act: Activation };
}

export function loadNetSpec(): NetSpec {
  return JSON.parse(readFileSync(new URL('./small-net.json', import.meta.url), 'utf8')) as NetSpec;
}

/** One kernel invocation of the step, keyed so PyTorch can time the same op. */
export interface ConvOpParams { n: number; h: number; w: number; cin: number; cout: number; kh: number; kw: number; stride: number; padH: number; padW: number; groups: number }
export interface DwOpParams { n: number; h: number; w: number; c: number; kh: number; kw: number; stride: number; padH: number; padW: number }
export type OpSpec =
  | { kind: 'conv2d'; pass: 'fwd' | 'dx' | 'dw'; p: ConvOpParams }
  | { kind: 'depthwise'; pass: 'fwd' | 'dx' | 'dw'; p: DwOpParams }
  | { kind: 'bn'; pass: 'fwd' | 'bwd'; p: { n: number; h: number; w: number; c: number; act: Activation } }
  | { kind: 'gemm'; pass: 'fwd' | 'dx' | 'dw'; p: { m: number; n: number; k: number } };

export function opKey(o: OpSpec): string {
  const p = o.p as Record<string, unknown>;
  switch (o.kind) {
    case 'conv2d': {
      const c = o.p;
      return `conv2d.${o.pass} n${c.n} ${c.h}x${c.w} ${c.cin}->${c.cout} k${c.kh} s${c.stride} p${c.padH} g${c.groups}`;
    }
    case 'depthwise': {
      const c = o.p;
      return `dwconv.${o.pass} n${c.n} ${c.h}x${c.w} c${c.c} k${c.kh} s${c.stride} p${c.padH}`;
    }
    case 'bn':
      return `bn+${o.p.act}.${o.pass} n${o.p.n} ${o.p.h}x${o.p.w} c${o.p.c}`;
    case 'gemm':
      return `gemm.${o.pass} ${p.m}x${p.n}x${p.k}`;
  }
}

/** Multiply-adds x 2 of an op (0 for BN). */
export function opFlops(o: OpSpec): number {
  switch (o.kind) {
    case 'conv2d': {
      const c = o.p, oh = Math.floor((c.h + 2 * c.padH - c.kh) / c.stride) + 1, ow = Math.floor((c.w + 2 * c.padW - c.kw) / c.stride) + 1;
      return 2 * c.n * oh * ow * c.cout * c.kh * c.kw * (c.cin / c.groups);
    }
    case 'depthwise': {
      const c = o.p, oh = Math.floor((c.h + 2 * c.padH - c.kh) / c.stride) + 1, ow = Math.floor((c.w + 2 * c.padW - c.kw) / c.stride) + 1;
      return 2 * c.n * oh * ow * c.c * c.kh * c.kw;
    }
    case 'gemm':
      return 2 * o.p.m * o.p.n * o.p.k;
    default:
      return 0;
  }
}

function randomFill(a: Float32Array, seed: number, scale: number): void {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = (s / 2 ** 31 - 1) * scale;
  }
}

interface Unit {
  forward(x: HeapArray): HeapArray;
  /** Returns dx (or null when the input needs no gradient). */
  backward(dy: HeapArray): HeapArray | null;
}

/** conv (regular or depthwise) + BN + act with resident weights, activations and grads. */
class ConvBnAct implements Unit {
  private readonly w: HeapArray;
  private readonly dw: HeapArray;
  private readonly z: HeapArray; // conv output (BN input)
  private readonly y: HeapArray;
  private readonly dz: HeapArray;
  private readonly dx: HeapArray | null;
  private readonly gamma: Float32Array;
  private readonly beta: Float32Array;
  private mean: Float32Array = new Float32Array(0);
  private invStd: Float32Array = new Float32Array(0);
  private x: HeapArray | null = null;
  readonly outH: number;
  readonly outW: number;

  constructor(
    private readonly k: NativeKernels,
    private readonly conv: { dw: false; p: Conv2DShape } | { dw: true; p: DepthwiseShape },
    private readonly act: Activation,
    needDx: boolean,
    ops: OpSpec[],
    seed: number,
  ) {
    const n = conv.p.n;
    let wSize: number, cout: number, xSize: number;
    if (conv.dw) {
      ({ outH: this.outH, outW: this.outW } = k.depthwiseOutShape(conv.p));
      wSize = conv.p.kh * conv.p.kw * conv.p.c;
      cout = conv.p.c;
      xSize = n * conv.p.h * conv.p.w * conv.p.c;
      const c = conv.p;
      const p: DwOpParams = { n: c.n, h: c.h, w: c.w, c: c.c, kh: c.kh, kw: c.kw, stride: (c.stride as number | undefined) ?? 1, padH: c.padH ?? 0, padW: c.padW ?? 0 };
      ops.push({ kind: 'depthwise', pass: 'fwd', p }, { kind: 'depthwise', pass: 'dw', p });
      if (needDx) ops.push({ kind: 'depthwise', pass: 'dx', p });
    } else {
      ({ outH: this.outH, outW: this.outW } = k.conv2dOutShape(conv.p));
      const g = conv.p.groups ?? 1;
      wSize = conv.p.kh * conv.p.kw * (conv.p.cin / g) * conv.p.cout;
      cout = conv.p.cout;
      xSize = n * conv.p.h * conv.p.w * conv.p.cin;
      const c = conv.p;
      const p: ConvOpParams = { n: c.n, h: c.h, w: c.w, cin: c.cin, cout: c.cout, kh: c.kh, kw: c.kw, stride: (c.stride as number | undefined) ?? 1, padH: c.padH ?? 0, padW: c.padW ?? 0, groups: g };
      ops.push({ kind: 'conv2d', pass: 'fwd', p }, { kind: 'conv2d', pass: 'dw', p });
      if (needDx) ops.push({ kind: 'conv2d', pass: 'dx', p });
    }
    const bn = { n, h: this.outH, w: this.outW, c: cout, act };
    ops.push({ kind: 'bn', pass: 'fwd', p: bn }, { kind: 'bn', pass: 'bwd', p: bn });
    const ySize = n * this.outH * this.outW * cout;
    const w0 = new Float32Array(wSize);
    randomFill(w0, seed, Math.sqrt(3 / (wSize / cout)));
    this.w = k.heap.fromArray(w0);
    this.dw = k.heap.alloc(wSize);
    this.z = k.heap.alloc(ySize);
    this.y = k.heap.alloc(ySize);
    this.dz = k.heap.alloc(ySize);
    this.dx = needDx ? k.heap.alloc(xSize) : null;
    this.gamma = new Float32Array(cout).fill(1);
    this.beta = new Float32Array(cout);
  }

  get channels(): number {
    return this.conv.dw ? this.conv.p.c : this.conv.p.cout;
  }

  forward(x: HeapArray): HeapArray {
    this.x = x;
    if (this.conv.dw) this.k.depthwiseConv2d(x, this.w, this.conv.p, this.z);
    else this.k.conv2d(x, this.w, this.conv.p, this.z);
    const r = this.k.batchNormActTrain(this.z, this.gamma, this.beta, this.bnShape(), this.y);
    this.mean = r.mean;
    this.invStd = r.invStd;
    return this.y;
  }

  backward(dy: HeapArray): HeapArray | null {
    const x = this.x!;
    this.k.batchNormActGrad(dy, this.z, this.gamma, this.beta, this.mean, this.invStd, this.bnShape(), this.dz);
    if (this.conv.dw) {
      this.k.depthwiseConv2dBackpropFilter(x, this.dz, this.conv.p, this.dw);
      if (this.dx) this.k.depthwiseConv2dBackpropInput(this.dz, this.w, this.conv.p, this.dx);
    } else {
      this.k.conv2dBackpropFilter(x, this.dz, this.conv.p, this.dw);
      if (this.dx) this.k.conv2dBackpropInput(this.dz, this.w, this.conv.p, this.dx);
    }
    return this.dx;
  }

  private bnShape() {
    return { n: this.conv.p.n, h: this.outH, w: this.outW, c: this.channels, act: this.act };
  }

  dispose(): void {
    for (const h of [this.w, this.dw, this.z, this.y, this.dz, this.dx]) h?.dispose();
  }
}

/** Channel shuffle as a unit (its backward is the inverse shuffle). */
class Shuffle implements Unit {
  private readonly y: HeapArray;
  private readonly dx: HeapArray;
  constructor(private readonly k: NativeKernels, private readonly s: { n: number; h: number; w: number; c: number; groups: number }) {
    this.y = k.heap.alloc(s.n * s.h * s.w * s.c);
    this.dx = k.heap.alloc(s.n * s.h * s.w * s.c);
  }
  forward(x: HeapArray): HeapArray {
    return this.k.channelShuffle(x, this.s, this.y);
  }
  backward(dy: HeapArray): HeapArray {
    return this.k.channelShuffle(dy, { ...this.s, groups: this.s.c / this.s.groups }, this.dx);
  }
  dispose(): void {
    this.y.dispose();
    this.dx.dispose();
  }
}

class Block implements Unit {
  private readonly out: HeapArray;
  private readonly dIn: HeapArray;
  constructor(private readonly k: NativeKernels, private readonly units: (ConvBnAct | Shuffle)[], private readonly residual: boolean, size: number) {
    this.out = k.heap.alloc(size);
    this.dIn = k.heap.alloc(size);
  }
  forward(x: HeapArray): HeapArray {
    let h = x;
    for (const u of this.units) h = u.forward(h);
    return this.residual ? this.k.add(h, x, this.out) : h;
  }
  backward(dy: HeapArray): HeapArray {
    let d: HeapArray = dy;
    for (let i = this.units.length - 1; i >= 0; i--) d = this.units[i].backward(d)!;
    return this.residual ? this.k.add(d, dy, this.dIn) : d;
  }
  dispose(): void {
    for (const u of this.units) u.dispose();
    this.out.dispose();
    this.dIn.dispose();
  }
}

/** The whole net as resident buffers; `step()` runs forward + loss + backward once. */
export class NativeNet {
  readonly ops: OpSpec[] = [];
  private readonly stem: ConvBnAct;
  private readonly blocks: Block[] = [];
  private readonly head: ConvBnAct;
  private readonly x: HeapArray;
  private readonly pooled: HeapArray;
  private readonly fcW: HeapArray;
  private readonly fcB: Float32Array;
  private readonly logits: HeapArray;
  private readonly dLogits: HeapArray;
  private readonly dFcW: HeapArray;
  private readonly dPooled: HeapArray;
  private readonly dHead: HeapArray;
  private readonly labels: Int32Array;
  private readonly headShape: { n: number; h: number; w: number; c: number };
  lastLoss = 0;

  constructor(private readonly k: NativeKernels, spec: NetSpec) {
    const n = spec.batch;
    let { h, w, c } = spec.input;
    let seed = 1;
    const x0 = new Float32Array(n * h * w * c);
    randomFill(x0, 99, 1);
    this.x = k.heap.fromArray(x0);
    const s = spec.stem, pad = s.k >> 1;
    this.stem = new ConvBnAct(k, { dw: false, p: { n, h, w, cin: c, cout: s.cout, kh: s.k, kw: s.k, stride: s.stride, padH: pad, padW: pad } }, s.act, false, this.ops, seed++);
    h = this.stem.outH;
    w = this.stem.outW;
    c = s.cout;
    for (const b of spec.blocks) {
      const mid = c * b.e, units: (ConvBnAct | Shuffle)[] = [];
      if (b.e !== 1) {
        units.push(new ConvBnAct(k, { dw: false, p: { n, h, w, cin: c, cout: mid, kh: 1, kw: 1, groups: b.groups } }, b.act, true, this.ops, seed++));
        if (b.groups > 1) units.push(new Shuffle(k, { n, h, w, c: mid, groups: b.groups }));
      }
      const dwp = { n, h, w, c: mid, kh: b.k, kw: b.k, stride: b.stride, padH: b.k >> 1, padW: b.k >> 1 };
      const dwu = new ConvBnAct(k, { dw: true, p: dwp }, b.act, true, this.ops, seed++);
      units.push(dwu);
      const oh = dwu.outH, ow = dwu.outW;
      units.push(new ConvBnAct(k, { dw: false, p: { n, h: oh, w: ow, cin: mid, cout: b.cout, kh: 1, kw: 1, groups: b.groups } }, 'none', true, this.ops, seed++));
      this.blocks.push(new Block(k, units, b.stride === 1 && c === b.cout, n * oh * ow * b.cout));
      h = oh;
      w = ow;
      c = b.cout;
    }
    this.head = new ConvBnAct(k, { dw: false, p: { n, h, w, cin: c, cout: spec.head.cout, kh: 1, kw: 1 } }, spec.head.act, true, this.ops, seed++);
    c = spec.head.cout;
    this.headShape = { n, h, w, c };
    const K = spec.numClasses;
    this.pooled = k.heap.alloc(n * c);
    const fw = new Float32Array(c * K);
    randomFill(fw, seed++, Math.sqrt(3 / c));
    this.fcW = k.heap.fromArray(fw);
    this.fcB = new Float32Array(K);
    this.logits = k.heap.alloc(n * K);
    this.dLogits = k.heap.alloc(n * K);
    this.dFcW = k.heap.alloc(c * K);
    this.dPooled = k.heap.alloc(n * c);
    this.dHead = k.heap.alloc(n * h * w * c);
    this.labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % K);
    this.ops.push({ kind: 'gemm', pass: 'fwd', p: { m: n, n: K, k: c } });
  }

  step(): number {
    const k = this.k, { n, c } = this.headShape, K = this.fcB.length;
    let h = this.stem.forward(this.x);
    for (const b of this.blocks) h = b.forward(h);
    h = this.head.forward(h);
    k.globalAvgPool(h, this.headShape, this.pooled);
    k.gemm(this.pooled, this.fcW, { m: n, n: K, k: c }, this.logits);
    k.biasAdd(this.logits, this.fcB, { n, c: K }, this.logits);
    const { loss } = k.softmaxCrossEntropy(this.logits, this.labels, { n, k: K, labelSmoothing: 0.1 }, this.dLogits);
    // backward
    k.gemm(this.pooled, this.dLogits, { m: c, n: K, k: n, transA: true }, this.dFcW);
    k.biasAddGrad(this.dLogits, { n, c: K });
    k.gemm(this.dLogits, this.fcW, { m: n, n: c, k: K, transB: true }, this.dPooled);
    k.globalAvgPoolGrad(this.dPooled, this.headShape, this.dHead);
    let d = this.head.backward(this.dHead)!;
    for (let i = this.blocks.length - 1; i >= 0; i--) d = this.blocks[i].backward(d);
    this.stem.backward(d);
    this.lastLoss = loss;
    return loss;
  }

  dispose(): void {
    this.stem.dispose();
    for (const b of this.blocks) b.dispose();
    this.head.dispose();
    for (const a of [this.x, this.pooled, this.fcW, this.logits, this.dLogits, this.dFcW, this.dPooled, this.dHead]) a.dispose();
  }
}
