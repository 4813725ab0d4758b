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
import { wasmPlugin } from './plugin.ts';

tf.env().set('PROD', true);

const families = {
  conv: convConformanceCases(),
  depthwise: depthwiseConformanceCases(),
  fusedConv: fusedConvConformanceCases(),
  batchNorm: batchNormConformanceCases(),
  reductions: elementwiseConformanceCases().filter((c) => c.kernel === 'Sum' || c.kernel === 'Mean'),
};
const refs: Record<string, Float32Array[][]> = {};

beforeAll(async () => {
  // References: stock tfjs-backend-cpu kernels (wasm lacks several of these kernels entirely).
  await tf.setBackend('cpu');
  for (const [name, cases] of Object.entries(families)) {
    refs[name] = [];
    for (const c of cases) refs[name].push(await referenceOutputs(c));
  }
  await wasmPlugin.init();
});

function summarize(rs: ConformanceResult[]): string[] {
  return rs.filter((r) => !r.ok).map((r) => `${r.case} [${r.variant}]: ${r.error ?? `max |diff| ${r.maxAbsDiff} > tol·${r.scale}`}`);
}

describe('wasm plugin kernels agree with stock tfjs-backend-cpu / stock-op references', () => {
  it('reports SIMD and why threads are off in Node', async () => {
    const a = await wasmPlugin.availability();
    expect(a.available).toBe(true);
    if (a.available) expect(a.detail).toMatch(/SIMD (on|off); threads (on|off)/);
  });

  for (const name of Object.keys(families) as (keyof typeof families)[]) {
    it(name, async () => {
      const results = await checkVariants(wasmPlugin, families[name], refs[name]);
      expect(summarize(results)).toEqual([]);
      for (const kernel of new Set(families[name].map((c) => c.kernel))) {
        expect(results.some((r) => r.kernel === kernel && r.variant !== STOCK_VARIANT)).toBe(true);
      }
    });
  }

  it('fills in the training kernels stock tfjs-backend-wasm lacks', () => {
    const v = wasmPlugin.variants();
    for (const k of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'DepthwiseConv2dNativeBackpropFilter', 'FbnetBatchNormActTrain', 'FbnetBatchNormActGrad']) {
      expect(v.some((x) => x.kernel === k && x.variant !== STOCK_VARIANT), k).toBe(true);
    }
  });
});
