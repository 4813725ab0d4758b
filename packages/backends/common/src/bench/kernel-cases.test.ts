import { describe, expect, it } from 'vitest';
import { getSearchSpacePreset, shapeKey } from '@fbnet/core';
import fs from 'node:fs';
import { kernelCasesForArch, kernelCasesForSpace } from './kernel-cases.ts';

const ref = JSON.parse(fs.readFileSync(new URL('../../../../../benchmarks/nets/fbnet-bench-28.json', import.meta.url), 'utf8'));

describe('kernel cases', () => {
  it('enumerate every conv / depthwise / BN call of a training step of the reference net', () => {
    const cases = kernelCasesForArch(ref, 64);
    const count = (k: string) => cases.filter((c) => c.kernel === k).length;
    expect(count('Conv2D')).toBe(count('Conv2DBackpropFilter'));
    expect(count('Conv2DBackpropInput')).toBe(count('Conv2D') - 1);
    // Six depthwise layers, two of which (blocks 5 and 6: 192 channels at 4x4, k3 s1) share a shape.
    expect(count('DepthwiseConv2dNative')).toBe(5);
    expect(count('DepthwiseConv2dNativeBackpropInput')).toBe(5);
    expect(count('FbnetBatchNormActTrain')).toBe(count('FbnetBatchNormActGrad'));
    const stem = cases.find((c) => c.source === 'b0.conv' && c.kernel === 'Conv2D')!;
    expect(stem.shape).toEqual({ n: 64, h: 28, w: 28, cin: 1, cout: 16, kh: 3, kw: 3, s: 2, pad: '1,1,1,1' });
    const dw5 = cases.find((c) => c.source === 'b4.dw' && c.kernel === 'DepthwiseConv2dNative')!;
    expect(dw5.shape).toMatchObject({ h: 7, cin: 144, cout: 144, kh: 5, s: 2, pad: '2,2,2,2' });
    const keys = cases.map((c) => `${c.kernel}|${shapeKey(c.shape)}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('forward-only cases for latency tables', () => {
    const cases = kernelCasesForArch(ref, 1, { backward: false });
    expect(cases.every((c) => !c.kernel.includes('Backprop') && c.kernel !== 'FbnetBatchNormActGrad')).toBe(true);
  });

  it('cover every candidate of every layer of a search space', () => {
    const space = getSearchSpacePreset('fbnet-v1-fmnist');
    const cases = kernelCasesForSpace(space, 8);
    const kernels = new Set(cases.map((c) => `${c.kernel}:${c.shape.kh}`));
    expect(kernels.has('DepthwiseConv2dNative:3')).toBe(true);
    expect(kernels.has('DepthwiseConv2dNative:5')).toBe(true);
  });
});
