import { FBNET_KERNELS, type OptimizerStepAttrs } from '@fbnet/core';
import type { F32Kernel } from '../f32-kernel.ts';

/**
 * The `FbnetOptimizerStep` contract in one pass over the elements, in float64: the same
 * formulas `@fbnet/train`'s Optimizer composes from element-wise ops (PyTorch semantics).
 */
export const optimizerStepJs: F32Kernel = {
  kernel: FBNET_KERNELS.OptimizerStep,
  variant: 'js',
  description: 'SGD(momentum, nesterov) / Adam / AdamW / RMSProp update of one variable in one pass',
  inputs: ['v', 'g', 's0', 's1'],
  multiOutput: true,
  supports: () => true,
  outputShapes: (_call, inputs) => [inputs.v.shape, ...(inputs.s0 ? [inputs.s0.shape] : []), ...(inputs.s1 ? [inputs.s1.shape] : [])],
  compute: ([v, g, s0, s1], [nv, ns0, ns1], _call, attrs) => {
    const a = attrs as unknown as OptimizerStepAttrs;
    const { lr, t } = a;
    const wd = a.weightDecay;
    const l2 = wd > 0 && a.kind !== 'adamw' ? wd : 0;
    const n = v.length;
    switch (a.kind) {
      case 'sgd': {
        const mom = a.momentum;
        for (let i = 0; i < n; i++) {
          const gi = g[i] + l2 * v[i];
          if (mom === 0) {
            nv[i] = v[i] - lr * gi;
            continue;
          }
          const b = t === 1 ? gi : mom * s0[i] + gi;
          ns0[i] = b;
          nv[i] = v[i] - lr * (a.nesterov ? gi + mom * b : b);
        }
        break;
      }
      case 'adam':
      case 'adamw': {
        const b1 = a.beta1, b2 = a.beta2, eps = a.epsilon;
        const c1 = 1 - b1 ** t, c2 = 1 - b2 ** t;
        const decoupled = a.kind === 'adamw' && wd > 0 ? lr * wd : 0;
        for (let i = 0; i < n; i++) {
          const gi = g[i] + l2 * v[i];
          const m = b1 * s0[i] + (1 - b1) * gi;
          const s = b2 * s1[i] + (1 - b2) * gi * gi;
          ns0[i] = m;
          ns1[i] = s;
          nv[i] = v[i] - lr * ((m / c1) / (Math.sqrt(s / c2) + eps)) - decoupled * v[i];
        }
        break;
      }
      case 'rmsprop': {
        const rho = a.rho, eps = a.epsilon, mom = a.momentum;
        for (let i = 0; i < n; i++) {
          const gi = g[i] + l2 * v[i];
          const sq = rho * s0[i] + (1 - rho) * gi * gi;
          ns0[i] = sq;
          const upd = gi / (Math.sqrt(sq) + eps);
          if (mom > 0) {
            const b = mom * s1[i] + upd;
            ns1[i] = b;
            nv[i] = v[i] - lr * b;
          } else {
            ns1[i] = s1[i];
            nv[i] = v[i] - lr * upd;
          }
        }
        break;
      }
    }
  },
};
