import { Registry } from '../registry.ts';
import { parseSearchSpace, type SearchSpace } from './search-space.ts';

/** FBNet's nine layer-wise candidates (paper Table 2); `_g2` as in mobile-vision's FBNet-A (grouped pw and pwl). */
export const FBNET_V1_CANDIDATES = {
  k3_e1: { op: 'ir_k3', kwargs: { expansion: 1 } },
  k3_e1_g2: { op: 'ir_k3_g2', kwargs: { expansion: 1, pwl_groups: 2 } },
  k3_e3: { op: 'ir_k3', kwargs: { expansion: 3 } },
  k3_e6: { op: 'ir_k3', kwargs: { expansion: 6 } },
  k5_e1: { op: 'ir_k5', kwargs: { expansion: 1 } },
  k5_e1_g2: { op: 'ir_k5_g2', kwargs: { expansion: 1, pwl_groups: 2 } },
  k5_e3: { op: 'ir_k5', kwargs: { expansion: 3 } },
  k5_e6: { op: 'ir_k5', kwargs: { expansion: 6 } },
  skip: { op: 'skip' },
};
const V1 = Object.keys(FBNET_V1_CANDIDATES);

const tbs = (c: number, n: number, s: number) => ({ searchable: { c, s, n, candidates: V1 } });

/** FBNet paper Table 1: 224x224x3 input, 22 searchable layers (TBS), 9 candidates each. */
const fbnetV1Imagenet = {
  version: 1,
  name: 'fbnet-v1-imagenet',
  description: 'FBNet (Wu et al. 2019) Table 1 macro-architecture, ImageNet 224x224',
  input_size: 224,
  input_channels: 3,
  num_classes: 1000,
  basic_args: { width_divisor: 1 },
  candidates: FBNET_V1_CANDIDATES,
  stages: [
    [{ fixed: ['conv_k3', 16, 2, 1] }],
    [tbs(16, 1, 1)],
    [tbs(24, 4, 2)],
    [tbs(32, 4, 2)],
    [tbs(64, 4, 2)],
    [tbs(112, 4, 1)],
    [tbs(184, 4, 2)],
    [tbs(352, 1, 1)],
    [{ fixed: ['conv_k1', 1984, 1, 1] }],
  ],
};

/**
 * A small space that searches on a CPU: 28x28 grayscale (Fashion-MNIST), 10 classes,
 * the FBNet macro-architecture scaled down (stride-2 stem, three resolutions 14/7/4).
 */
const fbnetV1Fmnist = {
  version: 1,
  name: 'fbnet-v1-fmnist',
  description: 'FBNet layer-wise space for 28x28x1 inputs (Fashion-MNIST), CPU-sized',
  input_size: 28,
  input_channels: 1,
  num_classes: 10,
  basic_args: { width_divisor: 1 },
  candidates: FBNET_V1_CANDIDATES,
  stages: [
    [{ fixed: ['conv_k3', 16, 2, 1] }],
    [tbs(16, 1, 1)],
    [tbs(24, 2, 2)],
    [tbs(32, 2, 2)],
    [tbs(64, 2, 1)],
  ],
};

/**
 * FBNetV2 (DMaskingNAS) on 28x28x1: the fbnet-v1-fmnist macro-architecture with, per layer, a
 * block choice (k3 / k5 inverted residual, skip), 3-5 output-width options, expansions 1/3/6,
 * and input resolutions 20/24/28 — a mixed V1 + V2 space of ~4·10^11 archs (36 k to 4.0 M FLOPs), CPU-sized.
 */
const v2 = (c: number, n: number, s: number, channels: number[]) => ({ searchable: { c, s, n, candidates: ['k3', 'k5', 'skip'], channels, expansions: [1, 3, 6] } });
const fbnetV2Fmnist = {
  version: 1,
  name: 'fbnet-v2-fmnist',
  description: 'FBNetV2 DMasking space for 28x28x1 inputs (Fashion-MNIST): blocks, widths, expansions and input resolution, CPU-sized',
  input_size: 28,
  input_channels: 1,
  num_classes: 10,
  basic_args: { width_divisor: 1 },
  candidates: { k3: { op: 'ir_k3' }, k5: { op: 'ir_k5' }, skip: { op: 'skip' } },
  stages: [
    [{ fixed: ['conv_k3', 16, 2, 1] }],
    [v2(16, 1, 1, [8, 12, 16])],
    [v2(24, 2, 2, [12, 16, 20, 24])],
    [v2(32, 2, 2, [16, 20, 24, 28, 32])],
    [v2(64, 2, 1, [32, 40, 48, 56, 64])],
  ],
  resolutions: [20, 24, 28],
};

export const SEARCH_SPACE_PRESETS = new Registry<SearchSpace>('search space preset');
SEARCH_SPACE_PRESETS.register('fbnet-v1-imagenet', parseSearchSpace(fbnetV1Imagenet));
SEARCH_SPACE_PRESETS.register('fbnet-v1-fmnist', parseSearchSpace(fbnetV1Fmnist));
SEARCH_SPACE_PRESETS.register('fbnet-v2-fmnist', parseSearchSpace(fbnetV2Fmnist));

export function getSearchSpacePreset(name: string): SearchSpace {
  return structuredClone(SEARCH_SPACE_PRESETS.get(name));
}
