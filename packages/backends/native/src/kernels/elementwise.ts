/** Elementwise helpers: add, activation, bias, global average pool, channel shuffle, softmax-CE. */
import { checkLength, runKernel } from '../call.ts';
import type { F32Input, F32Output } from '../heap.ts';
import { activationCode, rowsOf, type Activation, type ChannelsShape } from '../params.ts';
import type { NativeRuntime } from '../runtime.ts';

/** y = a + b (same length; e.g. a residual connection). */
export function add(rt: NativeRuntime, a: F32Input, b: F32Input, out?: F32Output): F32Output {
  rt.assertLive();
  checkLength('b', b.length, a.length);
  const n = a.length;
  return runKernel(rt.heap, [{ name: 'a', data: a, length: n }, { name: 'b', data: b, length: n }], [{ name: 'out', length: n, out }],
    ([pa, pb], [py]) => rt.exports.fb_add(pa, pb, py, n))[0];
}

/** y = act(x). */
export function activation(rt: NativeRuntime, x: F32Input, act: Activation, out?: F32Output): F32Output {
  rt.assertLive();
  const code = activationCode(act), n = x.length;
  return runKernel(rt.heap, [{ name: 'x', data: x, length: n }], [{ name: 'out', length: n, out }],
    ([px], [py]) => rt.exports.fb_act_fwd(px, py, n, code))[0];
}

/** dx = dy * act'(x), x being the activation's input. */
export function activationGrad(rt: NativeRuntime, dy: F32Input, x: F32Input, act: Activation, out?: F32Output): F32Output {
  rt.assertLive();
  const code = activationCode(act), n = dy.length;
  return runKernel(rt.heap, [{ name: 'dy', data: dy, length: n }, { name: 'x', data: x, length: n }], [{ name: 'out', length: n, out }],
    ([pdy, px], [pdx]) => rt.exports.fb_act_bwd(pdy, px, pdx, n, code))[0];
}

/** y[m, c] = x[m, c] + bias[c] (m = n*h*w). */
export function biasAdd(rt: NativeRuntime, x: F32Input, bias: F32Input, p: ChannelsShape, out?: F32Output): F32Output {
  rt.assertLive();
  const { m, c } = rowsOf(p);
  return runKernel(rt.heap, [{ name: 'x', data: x, length: m * c }, { name: 'bias', data: bias, length: c }], [{ name: 'out', length: m * c, out }],
    ([px, pb], [py]) => rt.exports.fb_bias_add(px, pb, py, m, c))[0];
}

/** dbias[c] = sum over rows of dy[m, c]. */
export function biasAddGrad(rt: NativeRuntime, dy: F32Input, p: ChannelsShape, out?: F32Output): F32Output {
  rt.assertLive();
  const { m, c } = rowsOf(p);
  return runKernel(rt.heap, [{ name: 'dy', data: dy, length: m * c }], [{ name: 'out', length: c, out }],
    ([pdy], [pdb]) => rt.exports.fb_bias_grad(pdy, pdb, m, c))[0];
}

/** y[n, c] = mean over h, w of x[n, h, w, c]. */
export function globalAvgPool(rt: NativeRuntime, x: F32Input, p: ChannelsShape, out?: F32Output): F32Output {
  rt.assertLive();
  const { m, c } = rowsOf(p);
  const hw = m / p.n;
  return runKernel(rt.heap, [{ name: 'x', data: x, length: m * c }], [{ name: 'out', length: p.n * c, out }],
    ([px], [py]) => rt.exports.fb_gap_fwd(px, py, p.n, hw, c))[0];
}

/** dx[n, h, w, c] = dy[n, c] / (h*w). */
export function globalAvgPoolGrad(rt: NativeRuntime, dy: F32Input, p: ChannelsShape, out?: F32Output): F32Output {
  rt.assertLive();
  const { m, c } = rowsOf(p);
  const hw = m / p.n;
  return runKernel(rt.heap, [{ name: 'dy', data: dy, length: p.n * c }], [{ name: 'out', length: m * c, out }],
    ([pdy], [pdx]) => rt.exports.fb_gap_bwd(pdy, pdx, p.n, hw, c))[0];
}

/**
 * mobile-vision ChannelShuffle on [m, c]: channels viewed as [groups, c/groups] and transposed,
 * y[:, k*groups + g] = x[:, g*(c/groups) + k]. Its gradient is the same op with c/groups groups.
 */
export function channelShuffle(rt: NativeRuntime, x: F32Input, p: ChannelsShape & { groups: number }, out?: F32Output): F32Output {
  rt.assertLive();
  const { m, c } = rowsOf(p);
  if (!Number.isInteger(p.groups) || p.groups < 1 || c % p.groups)
    throw new RangeError(`native-kernels: channelShuffle groups ${p.groups} must divide c ${c}`);
  return runKernel(rt.heap, [{ name: 'x', data: x, length: m * c }], [{ name: 'out', length: m * c, out }],
    ([px], [py]) => rt.exports.fb_channel_shuffle(px, py, m, c, p.groups))[0];
}

export interface SoftmaxCrossEntropyResult<D extends F32Output = F32Output> {
  /** Mean over the batch of the (smoothed) cross-entropy. */
  loss: number;
  /** d loss / d logits, [n, k] = (softmax - target) / n. */
  dlogits: D;
}

/**
 * Softmax cross-entropy of logits [n, k] against integer labels in [0, k), with PyTorch's
 * label smoothing (target = (1 - s) * onehot + s / k), forward and gradient in one pass.
 */
export function softmaxCrossEntropy(
  rt: NativeRuntime, logits: F32Input, labels: Int32Array, p: { n: number; k: number; labelSmoothing?: number }, out?: F32Output,
): SoftmaxCrossEntropyResult {
  rt.assertLive();
  const { n, k } = p;
  const s = p.labelSmoothing ?? 0;
  if (!(s >= 0 && s <= 1)) throw new RangeError(`native-kernels: labelSmoothing must be in [0, 1], got ${s}`);
  for (let i = 0; i < labels.length; i++)
    if (labels[i] < 0 || labels[i] >= k) throw new RangeError(`native-kernels: label ${labels[i]} at ${i} outside [0, ${k})`);
  let loss = 0;
  const [dlogits] = runKernel(rt.heap, [{ name: 'logits', data: logits, length: n * k }, { name: 'labels', data: labels, length: n }],
    [{ name: 'out', length: n * k, out }],
    ([pz, pl], [pd]) => { loss = rt.exports.fb_softmax_xent(pz, pl, pd, n, k, s); });
  return { loss, dlogits };
}
