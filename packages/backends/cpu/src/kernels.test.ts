import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
// After tfjs-core: imported first, its gradients (Relu6, Cast) read an uninitialised chained-op table.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  batchNormConformanceCases,
  checkVariants,
  convConformanceCases,
  depthwiseConformanceCases,
  fusedConvConformanceCases,
  elementwiseConformanceCases,
  referenceOutputs,
  STOCK_VARIANT,
  type ConformanceResult,
} from '@fbnet/backend-common';
import { cpuPlugin } from './plugin.ts';

tf.env().set('PROD', true);

const families = {
  conv: convConformanceCases(),
  depthwise: depthwiseConformanceCases(),
  fusedConv: fusedConvConformanceCases(),
  batchNorm: batchNormConformanceCases(),
  elementwise: elementwiseConformanceCases(),
};
const refs: Record<string, Float32Array[][]> = {};

beforeAll(async () => {
  // References come from the stock cpu kernels, before the plugin wraps them.
  await tf.setBackend('cpu');
  for (const [name, cases] of Object.entries(families)) {
    refs[name] = [];
    for (const c of cases) refs[name].push(await referenceOutputs(c));
  }
  await cpuPlugin.init();
});

function summarize(rs: ConformanceResult[]): string[] {
  return rs.filter((r) => !r.ok).map((r) => `${r.case} [${r.variant}]: ${r.error ?? `max |diff| ${r.maxAbsDiff} > tol·${r.scale}`}`);
}

describe('cpu plugin kernels agree with stock tfjs-backend-cpu / stock-op references', () => {
  for (const name of Object.keys(families) as (keyof typeof families)[]) {
    it(name, async () => {
      const results = await checkVariants(cpuPlugin, families[name], refs[name]);
      expect(summarize(results)).toEqual([]);
      // Every kernel in the family was checked with at least one fbnet variant.
      for (const kernel of new Set(families[name].map((c) => c.kernel))) {
        expect(results.some((r) => r.kernel === kernel && r.variant !== STOCK_VARIANT)).toBe(true);
      }
    });
  }

  it('lists variants for every kernel an FBNet training step needs', () => {
    const kernels = new Set(cpuPlugin.variants().filter((v) => v.variant !== STOCK_VARIANT).map((v) => v.kernel));
    for (const k of ['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter', 'DepthwiseConv2dNative', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'FbnetBatchNormActTrain', 'FbnetBatchNormActGrad', 'Mean', 'Add', 'Multiply']) {
      expect(kernels.has(k), k).toBe(true);
    }
  });
});
