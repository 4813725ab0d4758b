import { archFromChoice, searchLayers, sampleChoice, type ArchChoice, type ArchDef, type Rng, type SearchSpace } from '@fbnet/core';
import { mutateValue, type Genome } from './genome.ts';

/** One searched index of an `ArchChoice`: which list, which layer (absent: the resolution), how many options. */
interface Slot {
  field: 'ops' | 'channels' | 'expansions' | 'resolution';
  layer?: number;
  stage: number | 'input';
  options: number;
  /** Channel / expansion / resolution options are ordered (mutation moves to a neighbour); ops are not. */
  ordinal: boolean;
}

function slots(space: SearchSpace): Slot[] {
  const layers = searchLayers(space);
  const out: Slot[] = [];
  if (space.resolutions) out.push({ field: 'resolution', stage: 'input', options: space.resolutions.length, ordinal: true });
  const hasCh = layers.some((l) => l.channels);
  const hasEx = layers.some((l) => l.expansions);
  for (const l of layers) {
    out.push({ field: 'ops', layer: l.index, stage: l.stage, options: l.candidates.length, ordinal: false });
    if (hasCh) out.push({ field: 'channels', layer: l.index, stage: l.stage, options: l.channels?.length ?? 1, ordinal: true });
    if (hasEx) out.push({ field: 'expansions', layer: l.index, stage: l.stage, options: l.expansions?.length ?? 1, ordinal: true });
  }
  return out;
}

const get = (c: ArchChoice, s: Slot): number => (s.field === 'resolution' ? c.resolution! : c[s.field]![s.layer!]);
function set(c: ArchChoice, s: Slot, v: number): void {
  if (s.field === 'resolution') c.resolution = v;
  else c[s.field]![s.layer!] = v;
}
const copy = (c: ArchChoice): ArchChoice => ({
  ops: [...c.ops],
  ...(c.channels ? { channels: [...c.channels] } : {}),
  ...(c.expansions ? { expansions: [...c.expansions] } : {}),
  ...(c.resolution !== undefined ? { resolution: c.resolution } : {}),
});

/**
 * The genome of a core `SearchSpace` (V1 candidate ops per layer, V2 channels / expansions /
 * resolution): a point is an `ArchChoice`. Mutation moves ordered choices to a neighbour (or
 * anywhere), ops to any other candidate; crossover takes the input resolution and each stage's
 * layers whole from one parent. The predictor encoding is one-hot ops plus the ordered choices'
 * positions in [0, 1]; there is no recipe part.
 */
export function archSpaceGenome(space: SearchSpace): Genome<ArchChoice, never> {
  const all = slots(space);
  const idx = (n: number) => ({ kind: 'choice' as const, values: Array.from({ length: n }, (_, i) => i) });
  const move = (s: Slot, v: number, rng: Rng): number => {
    if (s.options <= 1) return v;
    if (s.ordinal) return mutateValue(idx(s.options), v, rng) as number;
    let j = rng.int(s.options - 1);
    if (j >= v) j++;
    return j;
  };
  return {
    name: space.name,
    sample: (rng) => sampleChoice(space, rng),
    mutate(p, rate, rng) {
      const out = copy(p);
      let changed = false;
      for (const s of all) {
        if (rng.next() < rate) {
          set(out, s, move(s, get(p, s), rng));
          changed = true;
        }
      }
      if (!changed) {
        const movable = all.filter((s) => s.options > 1);
        if (movable.length) {
          const s = movable[rng.int(movable.length)];
          set(out, s, move(s, get(p, s), rng));
        }
      }
      return out;
    },
    crossover(a, b, rng) {
      const out = copy(a);
      const from = new Map<number | 'input', ArchChoice>();
      for (const s of all) {
        if (!from.has(s.stage)) from.set(s.stage, rng.next() < 0.5 ? a : b);
        set(out, s, get(from.get(s.stage)!, s));
      }
      return out;
    },
    key: (p) => JSON.stringify([p.ops, p.channels ?? null, p.expansions ?? null, p.resolution ?? null]),
    arch: (p): ArchDef => archFromChoice(space, p),
    encode(p) {
      const arch: number[] = [];
      for (const s of all) {
        const v = get(p, s);
        if (s.ordinal) arch.push(s.options > 1 ? v / (s.options - 1) : 0);
        else for (let i = 0; i < s.options; i++) arch.push(i === v ? 1 : 0);
      }
      return { arch, recipe: [] };
    },
  };
}
