import { spaceSlots, type SearchSpace } from '@fbnet/core';

/**
 * Flat block-instance index (repeats expanded, as `resolveArch` numbers blocks) of every
 * searchable layer of a space: fixed entries expand to `repeat` instances, a searchable layer
 * is one instance. Lets a report put layer facts (P_θ, LAT) next to the derived arch's blocks.
 */
export function searchableBlockIndex(space: SearchSpace): number[] {
  const out: number[] = [];
  let idx = 0;
  for (const slot of spaceSlots(space)) {
    if (slot.kind === 'fixed') idx += Number(slot.block[3]) || 0;
    else out[slot.layer.index] = idx++;
  }
  return out;
}
