import { FbnetError, parseSearchSpace, type SearchSpace } from '@fbnet/core';
import type { LoadedDataset } from '@fbnet/data';

/**
 * A search-space preset carried over to a user's data: the stem takes the data's channels, the
 * classifier its class count, and the input resolution is the data's image size (the macro
 * architecture, strides included, is kept). The name records the change, so a latency table of
 * the preset's own space is never mistaken for one of this space. A V2 space's input resolutions
 * scale with the image size (the largest is the data's size).
 */
export function adaptSpaceToData(space: SearchSpace, data: LoadedDataset): SearchSpace {
  if (data.height !== data.width) {
    throw new FbnetError('USAGE', `${data.path}: images are ${data.width}x${data.height}; the search spaces take square inputs`);
  }
  const k = data.classNames.length;
  const same = space.input_size === data.height && space.input_channels === data.channels && space.num_classes === k;
  if (same) return space;
  return parseSearchSpace({
    ...space,
    name: `${space.name}@${data.height}x${data.width}x${data.channels}-k${k}`,
    description: `${space.name} carried over to ${data.height}x${data.width}x${data.channels} inputs and ${k} classes (${data.path})`,
    input_size: data.height,
    input_channels: data.channels,
    num_classes: k,
    ...(space.resolutions ? { resolutions: scaledResolutions(space.resolutions, space.input_size, data.height) } : {}),
  });
}

/** Resolutions r of a space for `from`-pixel inputs, at `to` pixels: round(r · to / from), distinct, ascending, the largest `to`. */
export function scaledResolutions(resolutions: readonly number[], from: number, to: number): number[] {
  const out = new Set(resolutions.map((r) => Math.max(1, Math.round((r * to) / from))));
  out.add(to);
  return [...out].filter((r) => r <= to).sort((a, b) => a - b);
}
