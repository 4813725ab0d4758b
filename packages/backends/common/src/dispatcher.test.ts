import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FbnetError, shapeKey, type KernelPlan } from '@fbnet/core';
import { describeCall } from './call-info.ts';
import { KernelDispatcher } from './dispatcher.ts';
import type { KernelImpl } from './variant.ts';

tf.env().set('PROD', true);

/** A fake Square variant that adds `tag` so the test can see which implementation ran. */
function squarePlus(variant: string, tag: number, supports: (n: number) => boolean = () => true): KernelImpl {
  return {
    kernel: 'Square',
    variant,
    description: `x² + ${tag}`,
    supports: (s) => supports(Number(String(s.x).split('x')[0])),
    run: ({ inputs, backend }) => {
      const be = backend as { data: { get(id: tf.DataId): { values: Float32Array } }; makeTensorInfo(s: number[], d: string, v: Float32Array): tf.TensorInfo };
      const x = be.data.get(inputs.x.dataId).values;
      return be.makeTensorInfo(inputs.x.shape, 'float32', x.map((v) => v * v + tag));
    },
  };
}

const sq = async (n: number) => {
  const y = tf.square(tf.ones([n]));
  const v = (await y.data())[0];
  y.dispose();
  return v;
};

describe('KernelDispatcher', () => {
  let d: KernelDispatcher;
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => d?.uninstall());

  it('runs the preferred variant, restores the stock kernel on uninstall', async () => {
    d = new KernelDispatcher('cpu', 'test');
    d.add([squarePlus('a', 10), squarePlus('b', 20)]);
    expect(await sq(2)).toBe(1);
    d.install();
    expect(await sq(2)).toBe(11);
    d.uninstall();
    expect(await sq(2)).toBe(1);
  });

  it('falls through to the next variant that supports the shape, then to stock', async () => {
    d = new KernelDispatcher('cpu', 'test');
    d.add([squarePlus('small', 10, (n) => n < 4), squarePlus('even', 20, (n) => n % 2 === 0)]);
    d.install();
    expect(await sq(2)).toBe(11);
    expect(await sq(6)).toBe(21);
    expect(await sq(5)).toBe(1);
    expect(d.callCounts().Square).toEqual({ small: 1, even: 1, tfjs: 1 });
  });

  it('forced variant, plan entry per shape and plan default decide in that order', async () => {
    d = new KernelDispatcher('cpu', 'test');
    d.add([squarePlus('a', 10), squarePlus('b', 20), squarePlus('c', 30)]);
    d.install();
    const x = tf.ones([3]);
    const key = shapeKey(describeCall('Square', { x }, {}).shape);
    x.dispose();
    const plan: KernelPlan = {
      version: 1,
      device: { cpuModel: 'x', cores: 1, os: 'x', runtime: 'x', backend: 'test', backendVersion: '1' },
      createdAt: '2024-01-01',
      entries: [{ kernel: 'Square', shape: key, variant: 'c', medianMs: 1 }],
      defaults: { Square: 'b' },
    };
    d.usePlan(plan);
    expect(await sq(3)).toBe(31);
    expect(await sq(4)).toBe(21);
    d.force('Square', 'tfjs');
    expect(await sq(3)).toBe(1);
    d.force('Square', undefined);
    d.usePlan(undefined);
    expect(await sq(3)).toBe(11);
  });

  it('prefer() can put the stock kernel first', async () => {
    d = new KernelDispatcher('cpu', 'test');
    d.add([squarePlus('a', 10)]);
    d.prefer('Square', ['tfjs']);
    d.install();
    expect(await sq(2)).toBe(1);
  });

  it('lists every variant with its backend, the stock one included; unknown names are errors that list the known', () => {
    d = new KernelDispatcher('cpu', 'test');
    d.add([squarePlus('a', 10)]);
    d.install();
    expect(d.variants().map((v) => `${v.kernel}/${v.variant}/${v.backend}`)).toEqual(['Square/a/test', 'Square/tfjs/test']);
    expect(() => d.force('Square', 'nope')).toThrow(/unknown variant "nope" of Square; known: a, tfjs/);
    expect(() => d.add([squarePlus('a', 1)])).toThrow(FbnetError);
    expect(() => d.add([squarePlus('tfjs', 1)])).toThrow(/reserved/);
  });

  it('a kernel with no stock implementation and no supporting variant fails with the shape', async () => {
    d = new KernelDispatcher('cpu', 'test');
    d.add([{ ...squarePlus('only-small', 1, (n) => n < 2), kernel: 'FbnetTestKernel' }]);
    d.install();
    const x = tf.ones([5]);
    expect(() => tf.engine().runKernel('FbnetTestKernel', { x }, {})).toThrow(/no variant of FbnetTestKernel supports x=5/);
    x.dispose();
  });
});

describe('describeCall', () => {
  it('keys convolutions by resolved geometry, same for explicit and equivalent padding', () => {
    const x = { shape: [2, 8, 8, 3], dtype: 'float32' } as tf.TensorInfo;
    const filter = { shape: [3, 3, 3, 16], dtype: 'float32' } as tf.TensorInfo;
    const a = describeCall('Conv2D', { x, filter }, { strides: [2, 2], pad: [[0, 0], [1, 1], [1, 1], [0, 0]], dilations: [1, 1], dataFormat: 'NHWC' });
    expect(a.shape).toEqual({ n: 2, h: 8, w: 8, cin: 3, cout: 16, kh: 3, kw: 3, s: 2, pad: '1,1,1,1' });
    expect(a.conv).toMatchObject({ oh: 4, ow: 4, padT: 1, padL: 1 });
    const dy = { shape: [2, 4, 4, 16], dtype: 'float32' } as tf.TensorInfo;
    const b = describeCall('Conv2DBackpropFilter', { x, dy }, { strides: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]], filterShape: [3, 3, 3, 16], dataFormat: 'NHWC' });
    expect(b.shape).toEqual(a.shape);
    const nchw = describeCall('Conv2D', { x, filter }, { strides: 1, pad: 'valid', dataFormat: 'NCHW' });
    expect(nchw.fast).toBe(false);
  });

  it('marks non-float32 calls as not fast', () => {
    const a = { shape: [4], dtype: 'int32' } as tf.TensorInfo;
    expect(describeCall('Add', { a, b: a }, {}).fast).toBe(false);
  });
});
