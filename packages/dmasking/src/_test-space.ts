import { parseSearchSpace, type SearchSpace } from '@fbnet/core';

/**
 * A tiny mixed V1/V2 space for tests (12x12x1): block choices, channel and expansion choices,
 * resolutions 8/10/12, a skip that is an identity for some width choices only, and a fixed
 * residual block whose shortcut exists only where the searched width equals its own.
 */
export function tinyV2Space(overrides: Record<string, unknown> = {}): SearchSpace {
  return parseSearchSpace({
    version: 1,
    name: 'tiny-v2',
    input_size: 12,
    input_channels: 1,
    num_classes: 10,
    candidates: {
      k3: { op: 'ir_k3', kwargs: { expansion: 3 } },
      k5: { op: 'ir_k5', kwargs: { expansion: 3 } },
      skip: { op: 'skip' },
    },
    stages: [
      [{ fixed: ['conv_k3', 8, 2, 1] }],
      [{ searchable: { c: 8, s: 1, n: 1, candidates: ['k3', 'skip'], channels: [4, 8], expansions: [1, 2] } }],
      [{ searchable: { c: 12, s: 2, n: 1, candidates: ['k3', 'k5', 'skip'], channels: [6, 9, 12], expansions: [2, 3] } }],
      [{ fixed: ['ir_k3', 12, 1, 1, { expansion: 2 }] }],
      [{ fixed: ['conv_k1', 16, 1, 1] }],
    ],
    resolutions: [8, 10, 12],
    ...overrides,
  });
}

/** A smaller mixed space at 28x28 (resolutions 20/28) for end-to-end searches on Fashion-MNIST in tests. */
export function tinyV2Space28(): SearchSpace {
  return parseSearchSpace({
    version: 1,
    name: 'tiny-v2-28',
    input_size: 28,
    input_channels: 1,
    num_classes: 10,
    candidates: { k3: { op: 'ir_k3', kwargs: { expansion: 2 } }, k5: { op: 'ir_k5', kwargs: { expansion: 2 } }, skip: { op: 'skip' } },
    stages: [
      [{ fixed: ['conv_k3', 4, 2, 1] }],
      [{ searchable: { c: 8, s: 2, n: 1, candidates: ['k3', 'skip'], channels: [4, 8], expansions: [1, 2] } }],
      [{ searchable: { c: 8, s: 2, n: 1, candidates: ['k3', 'k5', 'skip'], channels: [4, 6, 8], expansions: [1, 2] } }],
      [{ fixed: ['conv_k1', 8, 1, 1] }],
    ],
    resolutions: [20, 28],
  });
}
