/** Fused batch-norm + activation, training and inference, and its backward (csrc/batchnorm.c). */
import { runKernel } from '../call.ts';
import type { F32Input, F32Output } from '../heap.ts';
import { activationCode, rowsOf, type BatchNormOptions } from '../params.ts';
import type { NativeRuntime } from '../runtime.ts';

export interface BatchNormTrainResult<Y extends F32Output = F32Output> {
  /** act(gamma * (x - mean) * invStd + beta), same shape as x. */
  y: Y;
  /** Batch mean per channel, [c]. */
  mean: Float32Array;
  /** 1 / sqrt(biased batch variance + eps) per channel, [c]. */
  invStd: Float32Array;
}

export interface BatchNormGradResult<D extends F32Output = F32Output> {
  dx: D;
  dgamma: Float32Array;
  dbeta: Float32Array;
}

export function batchNormActTrain(
  rt: NativeRuntime, x: F32Input, gamma: F32Input, beta: F32Input, p: BatchNormOptions, out?: F32Output,
): BatchNormTrainResult {
  rt.assertLive();
  const { m, c } = rowsOf(p);
  const act = activationCode(p.act);
  const [y, mean, invStd] = runKernel(rt.heap,
    [{ name: 'x', data: x, length: m * c }, { name: 'gamma', data: gamma, length: c }, { name: 'beta', data: beta, length: c }],
    [{ name: 'out', length: m * c, out }, { name: 'mean', length: c }, { name: 'invStd', length: c }],
    ([px, pg, pb], [py, pm, ps]) => rt.exports.fb_bn_act_train(px, pg, pb, py, pm, ps, m, c, p.eps ?? 1e-5, act));
  return { y, mean: mean as Float32Array, invStd: invStd as Float32Array };
}

export function batchNormActGrad(
  rt: NativeRuntime, dy: F32Input, x: F32Input, gamma: F32Input, beta: F32Input, mean: F32Input, invStd: F32Input,
  p: BatchNormOptions, out?: F32Output,
): BatchNormGradResult {
  rt.assertLive();
  const { m, c } = rowsOf(p);
  const act = activationCode(p.act);
  const [dx, dgamma, dbeta] = runKernel(rt.heap,
    [
      { name: 'dy', data: dy, length: m * c }, { name: 'x', data: x, length: m * c },
      { name: 'gamma', data: gamma, length: c }, { name: 'beta', data: beta, length: c },
      { name: 'mean', data: mean, length: c }, { name: 'invStd', data: invStd, length: c },
    ],
    [{ name: 'out', length: m * c, out }, { name: 'dgamma', length: c }, { name: 'dbeta', length: c }],
    ([pdy, px, pg, pb, pm, ps], [pdx, pdg, pdb]) => rt.exports.fb_bn_act_grad(pdy, px, pg, pb, pm, ps, pdx, pdg, pdb, m, c, act));
  return { dx, dgamma: dgamma as Float32Array, dbeta: dbeta as Float32Array };
}

export function batchNormActInference(
  rt: NativeRuntime, x: F32Input, gamma: F32Input, beta: F32Input, runningMean: F32Input, runningVar: F32Input,
  p: BatchNormOptions, out?: F32Output,
): F32Output {
  rt.assertLive();
  const { m, c } = rowsOf(p);
  const act = activationCode(p.act);
  return runKernel(rt.heap,
    [
      { name: 'x', data: x, length: m * c }, { name: 'gamma', data: gamma, length: c }, { name: 'beta', data: beta, length: c },
      { name: 'runningMean', data: runningMean, length: c }, { name: 'runningVar', data: runningVar, length: c },
    ],
    [{ name: 'out', length: m * c, out }],
    ([px, pg, pb, pm, pv], [py]) => rt.exports.fb_bn_act_infer(px, pg, pb, pm, pv, py, m, c, p.eps ?? 1e-5, act))[0];
}

/**
 * PyTorch's running-stat update after a training-mode forward, in place:
 * running = (1 - momentum) * running + momentum * batch, with the *unbiased* batch variance
 * var * m / (m - 1), recovered from invStd as 1/invStd^2 - eps.
 */
export function updateRunningStats(
  runningMean: Float32Array, runningVar: Float32Array, mean: Float32Array, invStd: Float32Array,
  p: { m: number; momentum?: number; eps?: number },
): void {
  const mom = p.momentum ?? 0.1, eps = p.eps ?? 1e-5;
  const corr = p.m > 1 ? p.m / (p.m - 1) : 1;
  for (let i = 0; i < runningMean.length; i++) {
    const v = Math.max(0, 1 / (invStd[i] * invStd[i]) - eps) * corr;
    runningMean[i] = (1 - mom) * runningMean[i] + mom * mean[i];
    runningVar[i] = (1 - mom) * runningVar[i] + mom * v;
  }
}
