import { parseSearchSpace, type SearchSpace } from '@fbnet/core';
import type { LayerLatency } from '@fbnet/latency-lut';

/** A tiny V1-style space on 28x28x1 for tests: two searchable layers of three candidates. */
export function tinySpace(): SearchSpace {
  return parseSearchSpace({
    version: 1,
    name: 'tiny',
    input_size: 28,
    input_channels: 1,
    num_classes: 10,
    candidates: {
      k3_e1: { op: 'ir_k3', kwargs: { expansion: 1 } },
      k3_e3: { op: 'ir_k3', kwargs: { expansion: 3 } },
      k5_e3: { op: 'ir_k5', kwargs: { expansion: 3 } },
      skip: { op: 'skip' },
    },
    stages: [
      [{ fixed: ['conv_k3', 8, 2, 1] }],
      [{ searchable: { c: 8, s: 2, n: 1, candidates: ['k3_e1', 'k3_e3', 'skip'] } }],
      [{ searchable: { c: 16, s: 1, n: 1, candidates: ['k3_e3', 'k5_e3', 'skip'] } }],
    ],
  });
}

/** Synthetic latency table: candidate 1 of every layer is by far the slowest. */
export const tinyLatency: LayerLatency = { layerMs: [[0.2, 3.0, 0.1], [0.3, 3.0, 0.1]], fixedMs: 0.2 };
