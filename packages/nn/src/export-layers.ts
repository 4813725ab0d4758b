import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ConvNode, SeNode } from '@fbnet/core';
import type { Net } from './net.ts';
import type { ParamStore } from './params.ts';
import { BN_EPSILON } from './block.ts';
import { foldConvBn } from './ops/folded-conv.ts';

type SymT = tfl.SymbolicTensor;

/** h-sigmoid from stock layers: clip(x/6 + 1/2, 0, 1) = relu6(x + 3) / 6. */
function hsigmoidLayers(x: SymT, name: string): SymT {
  const s = tfl.layers.rescaling({ scale: 1 / 6, offset: 0.5, name: `${name}_hs_scale` }).apply(x) as SymT;
  return tfl.layers.reLU({ maxValue: 1, name: `${name}_hs_clip` }).apply(s) as SymT;
}

function activationLayers(x: SymT, act: string, name: string): SymT {
  switch (act) {
    case 'none':
      return x;
    case 'relu':
      return tfl.layers.reLU({ name: `${name}_relu` }).apply(x) as SymT;
    case 'hswish':
      return tfl.layers.multiply({ name: `${name}_hswish` }).apply([x, hsigmoidLayers(x, name)]) as SymT;
    case 'sigmoid':
      return tfl.layers.activation({ activation: 'sigmoid', name: `${name}_sigmoid` }).apply(x) as SymT;
    case 'hsigmoid':
      return hsigmoidLayers(x, name);
    default:
      throw new Error(`no Layers export for activation ${act}`);
  }
}

/** Grouped (non-depthwise) conv as a dense conv with a block-diagonal kernel: same function, stock layer. */
function blockDiagonal(w: tf.Tensor4D, n: ConvNode): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, cinG, cout] = w.shape;
    const coutG = cout / n.groups;
    const src = w.arraySync();
    const out = new Float32Array(kh * kw * n.inChannels * cout);
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++)
        for (let ci = 0; ci < cinG; ci++)
          for (let co = 0; co < cout; co++) {
            const g = Math.floor(co / coutG);
            out[((i * kw + j) * n.inChannels + g * cinG + ci) * cout + co] = src[i][j][ci][co];
          }
    return tf.tensor4d(out, [kh, kw, n.inChannels, cout]);
  });
}

interface Pending {
  layer: tfl.layers.Layer;
  weights: () => tf.Tensor[];
}

/**
 * Export a Net as a stock TF.js Layers model: raw pixels in (float32 NHWC, 0..255), class
 * probabilities out. Only standard layers are used, so `tf.loadLayersModel` loads it in any
 * TF.js runtime without fbnet-ts code. Explicit padding becomes ZeroPadding2D + 'valid'.
 */
export function toLayersModel(net: Net): tfl.LayersModel {
  const store: ParamStore = net.store;
  const pending: Pending[] = [];
  const input = tfl.input({ shape: net.inputShape, name: 'pixels' });
  const { mean, std } = net.normalization;
  // Per-channel scale/offset: Rescaling takes scalars, so use a depthwise 1x1 conv with bias when channels differ.
  let x: SymT;
  if (mean.every((m) => m === mean[0]) && std.every((s) => s === std[0])) {
    x = tfl.layers.rescaling({ scale: 1 / (255 * std[0]), offset: -mean[0] / std[0], name: 'normalize' }).apply(input) as SymT;
  } else {
    const layer = tfl.layers.depthwiseConv2d({ kernelSize: 1, useBias: true, name: 'normalize' });
    x = layer.apply(input) as SymT;
    pending.push({ layer, weights: () => [tf.tensor4d(std.map((s) => 1 / (255 * s)), [1, 1, std.length, 1]), tf.tensor1d(mean.map((m, i) => -m / std[i]))] });
  }

  const convLayers = (h: SymT, n: ConvNode, prefix: string, name: string): SymT => {
    let y = h;
    if (n.padding[0] > 0 || n.padding[1] > 0) {
      y = tfl.layers.zeroPadding2d({ padding: [[n.padding[0], n.padding[0]], [n.padding[1], n.padding[1]]], name: `${name}_pad` }).apply(y) as SymT;
    }
    const w = store.get(`${prefix}.w`) as unknown as tf.Tensor4D;
    const b = n.bias ? store.get(`${prefix}.b`) : null;
    const depthwise = n.groups > 1 && n.groups === n.inChannels && n.groups === n.outChannels;
    // BN folded into the conv (running statistics): one layer, and a fused conv + bias + ReLU
    // kernel at inference, exactly what Net runs in eval mode.
    const useBias = n.bn || n.bias;
    const fusedAct = n.act === 'relu' ? 'relu' : 'linear';
    const layer = depthwise
      ? tfl.layers.depthwiseConv2d({ kernelSize: n.kernel, strides: n.stride, padding: 'valid', depthMultiplier: 1, useBias, activation: fusedAct, name: `${name}_conv` })
      : tfl.layers.conv2d({ filters: n.outChannels, kernelSize: n.kernel, strides: n.stride, padding: 'valid', useBias, activation: fusedAct, name: `${name}_conv` });
    y = layer.apply(y) as SymT;
    pending.push({
      layer,
      weights: () => {
        let kernel: tf.Tensor4D = w;
        let bias: tf.Tensor | null = b;
        let folded: { w: tf.Tensor4D; b: tf.Tensor1D } | null = null;
        if (n.bn) {
          const bn = (k: string) => store.get(`${prefix}.bn.${k}`);
          folded = foldConvBn(n, { w, b: b ?? undefined, gamma: bn('gamma'), beta: bn('beta'), runMean: bn('mean'), runVar: bn('var') }, BN_EPSILON, undefined);
          kernel = folded.w;
          bias = folded.b;
        }
        const out = [n.groups > 1 && !depthwise ? blockDiagonal(kernel, n) : tf.clone(kernel), ...(bias ? [tf.clone(bias)] : [])];
        if (folded) tf.dispose([folded.w, folded.b]);
        return out;
      },
    });
    return fusedAct === 'relu' || n.act === 'none' ? y : activationLayers(y, n.act, name);
  };

  const seLayers = (h: SymT, n: SeNode, prefix: string, name: string): SymT => {
    const pooled = tfl.layers.globalAveragePooling2d({ name: `${name}_pool` }).apply(h) as SymT;
    const d1 = tfl.layers.dense({ units: n.midChannels, name: `${name}_fc1` });
    let g = activationLayers(d1.apply(pooled) as SymT, n.act, `${name}_fc1`);
    const d2 = tfl.layers.dense({ units: n.channels, name: `${name}_fc2` });
    g = activationLayers(d2.apply(g) as SymT, n.gate, `${name}_fc2`);
    pending.push({ layer: d1, weights: () => [tf.clone(store.get(`${prefix}.w1`)), tf.clone(store.get(`${prefix}.b1`))] });
    pending.push({ layer: d2, weights: () => [tf.clone(store.get(`${prefix}.w2`)), tf.clone(store.get(`${prefix}.b2`))] });
    const g4 = tfl.layers.reshape({ targetShape: [1, 1, n.channels], name: `${name}_gate` }).apply(g) as SymT;
    return tfl.layers.multiply({ name: `${name}_scale` }).apply([h, g4]) as SymT;
  };

  for (const b of net.blocks) {
    const bi = b.prefix;
    const name = bi.replace(/\./g, '_');
    let y = x;
    for (const n of b.spec.nodes) {
      const nodeName = `${name}_${n.name}`;
      if (n.kind === 'conv') y = convLayers(y, n, `${bi}.${n.name}`, nodeName);
      else if (n.kind === 'se') y = seLayers(y, n, `${bi}.${n.name}`, nodeName);
      else if (n.kind === 'shuffle') {
        const [h, w, c] = (y.shape as number[]).slice(1);
        y = tfl.layers.reshape({ targetShape: [h, w, n.groups, c / n.groups], name: `${nodeName}_split` }).apply(y) as SymT;
        y = tfl.layers.permute({ dims: [1, 2, 4, 3], name: `${nodeName}_swap` }).apply(y) as SymT;
        y = tfl.layers.reshape({ targetShape: [h, w, c], name: `${nodeName}_merge` }).apply(y) as SymT;
      } else {
        const p = tfl.layers.globalAveragePooling2d({ name: `${nodeName}_gap` }).apply(y) as SymT;
        y = tfl.layers.reshape({ targetShape: [1, 1, n.channels], name: `${nodeName}_4d` }).apply(p) as SymT;
      }
    }
    if (b.spec.residual) y = tfl.layers.add({ name: `${name}_add` }).apply([y, x]) as SymT;
    x = y;
  }
  const pooled = tfl.layers.globalAveragePooling2d({ name: 'head_pool' }).apply(x) as SymT;
  const fc = tfl.layers.dense({ units: net.resolved.head.numClasses, name: 'head_fc' });
  const logits = fc.apply(pooled) as SymT;
  const prefix = net.blocks.length ? net.blocks[0].prefix.replace(/b0$/, '') : '';
  pending.push({ layer: fc, weights: () => [tf.clone(store.get(`${prefix}head.w`)), tf.clone(store.get(`${prefix}head.b`))] });
  const probs = tfl.layers.softmax({ name: 'probabilities' }).apply(logits) as SymT;
  const model = tfl.model({ inputs: input, outputs: probs, name: 'fbnet' });
  for (const p of pending) {
    const ws = p.weights();
    p.layer.setWeights(ws);
    tf.dispose(ws);
  }
  return model;
}

/** Files of a saved Layers model (model.json + one weights shard), ready to write to disk or serve. */
export async function serializeLayersModel(model: tfl.LayersModel): Promise<{ modelJson: object; weights: Uint8Array }> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = artifacts!;
  const weightData = a.weightData as ArrayBuffer;
  const modelJson = {
    format: 'layers-model',
    generatedBy: `fbnet-ts (TensorFlow.js ${tf.version_core})`,
    convertedBy: null,
    modelTopology: a.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: a.weightSpecs }],
  };
  return { modelJson, weights: new Uint8Array(weightData) };
}
