import { FBNET_KERNELS } from '@fbnet/core';
import type { F32Kernel } from '../f32-kernel.ts';

/**
 * PyTorch's running-statistics update from a training-mode BN's batch mean and invStd (the
 * `FbnetBatchNormRunningStats` contract), in float64, one pass over the channels.
 */
export const batchNormRunningStatsJs: F32Kernel = {
  kernel: FBNET_KERNELS.BatchNormRunningStats,
  variant: 'js',
  description: 'running mean/var update in one pass (replaces ~10 element-wise kernels per BN)',
  inputs: ['runMean', 'runVar', 'mean', 'invStd'],
  multiOutput: true,
  supports: () => true,
  outputShapes: (_call, inputs) => [inputs.runMean.shape, inputs.runVar.shape],
  compute: ([runMean, runVar, mean, invStd], [newMean, newVar], _call, attrs) => {
    const momentum = attrs.momentum as number;
    const eps = attrs.epsilon as number;
    const count = attrs.count as number;
    const unbias = count > 1 ? count / (count - 1) : 1;
    for (let c = 0; c < runMean.length; c++) {
      const s = invStd[c];
      const variance = Math.max(0, 1 / (s * s) - eps) * unbias;
      newMean[c] = (1 - momentum) * runMean[c] + momentum * mean[c];
      newVar[c] = (1 - momentum) * runVar[c] + momentum * variance;
    }
  },
};
