import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_PLUGINS, parseArchDef, type BackendPlugin } from '@fbnet/core';
import type { TfjsBackendPlugin } from '@fbnet/backend-common';
import { resolvePlugin } from '@fbnet/bench';
import { Net } from '@fbnet/nn';
import './cpu-plus-plugin.ts';

// Two blocks, the second with a residual connection (a same-shape Add).
const TINY = parseArchDef({
  input_size: 8,
  input_channels: 1,
  num_classes: 4,
  blocks: [[['conv_k3', 8, 2, 1]], [['ir_k3', 8, 1, 1, { expansion: 2 }]]],
});

async function logits(plugin: BackendPlugin): Promise<Float32Array> {
  await plugin.init();
  const net = new Net(TINY, { seed: 3 });
  const x = tf.tensor4d(Float32Array.from({ length: 2 * 8 * 8 }, (_, i) => ((i * 37) % 17) / 17 - 0.5), [2, 8, 8, 1]);
  try {
    const y = net.forward(x, { training: false });
    const v = (await y.data()) as Float32Array;
    y.dispose();
    return v;
  } finally {
    x.dispose();
    net.dispose();
  }
}

describe('docs example: cpu-plus plugin', () => {
  it('registers itself on import, resolves through the registry, adds one variant, computes what cpu does', async () => {
    expect(BACKEND_PLUGINS.ids()).toEqual(['cpu', 'wasm', 'webgpu', 'node-gpu', 'cpu-plus']);
    const cpu = await resolvePlugin('cpu');
    const stock = await logits(cpu);
    await cpu.dispose?.();

    const plus = (await resolvePlugin('cpu-plus')) as TfjsBackendPlugin;
    expect(plus.id).toBe('cpu-plus');
    expect(await plus.availability()).toMatchObject({ available: true });
    const got = await logits(plus);
    try {
      const added = plus.variants().filter((v) => v.variant === 'same-shape-js');
      expect(added.map(({ kernel, backend }) => ({ kernel, backend }))).toEqual([{ kernel: 'Add', backend: 'cpu-plus' }]);
      expect(cpu.variants().some((v) => v.variant === 'same-shape-js')).toBe(false);
      // The residual add ran through the new variant.
      expect(plus.dispatcher.callCounts().Add['same-shape-js']).toBeGreaterThan(0);
      expect(got.length).toBe(2 * 4);
      expect(Array.from(got)).toEqual(Array.from(stock));
    } finally {
      await plus.dispose();
    }
  });
});
