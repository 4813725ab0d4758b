import { FbnetError, searchLayers, type ArchChoice, type SearchSpace } from '@fbnet/core';
import type { JointPoint } from './joint-space.ts';

/**
 * A core `SearchSpace`'s points (`ArchChoice`: index lists) in the coarse machinery's flat
 * representation (`JointPoint`: one value per key), and back.
 *
 * Keys, in the order of `archSpaceGenome`'s slots: `resolution` (spaces with input resolutions),
 * then per searchable layer i: `ops.<i>`, `channels.<i>` (spaces with channel choices) and
 * `expansions.<i>` (spaces with expansion choices). Every value is the option's index, as in the
 * `ArchChoice`. A layer without channel / expansion options of a space that has them elsewhere
 * holds index 0 there (as `sampleChoice` gives it). So a V1 point is
 * `{ "ops.0": 3, "ops.1": 0, … }`, one candidate index per searchable layer.
 */
export interface ArchSlot {
  /** The point's key. */
  key: string;
  field: 'ops' | 'channels' | 'expansions' | 'resolution';
  /** Searchable layer index (absent for the resolution). */
  layer?: number;
  /** Number of options (1: fixed at index 0, not a QMC coordinate). */
  options: number;
}

/** The slots of a space, in `archSpaceGenome` order. */
export function archSlots(space: SearchSpace): ArchSlot[] {
  const layers = searchLayers(space);
  const out: ArchSlot[] = [];
  if (space.resolutions) out.push({ key: 'resolution', field: 'resolution', options: space.resolutions.length });
  const hasCh = layers.some((l) => l.channels);
  const hasEx = layers.some((l) => l.expansions);
  for (const l of layers) {
    out.push({ key: `ops.${l.index}`, field: 'ops', layer: l.index, options: l.candidates.length });
    if (hasCh) out.push({ key: `channels.${l.index}`, field: 'channels', layer: l.index, options: l.channels?.length ?? 1 });
    if (hasEx) out.push({ key: `expansions.${l.index}`, field: 'expansions', layer: l.index, options: l.expansions?.length ?? 1 });
  }
  return out;
}

function index(s: ArchSlot, v: unknown, what: string): number {
  if (!(typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < s.options)) {
    throw new FbnetError('USAGE', `${what}: ${s.key} = ${JSON.stringify(v)} is not an option index 0..${s.options - 1}`);
  }
  return v;
}

/** The flat point of an `ArchChoice` (throws on a choice that does not fit the space). */
export function choiceToPoint(space: SearchSpace, choice: ArchChoice): JointPoint {
  const slots = archSlots(space);
  const n = searchLayers(space).length;
  for (const f of ['ops', 'channels', 'expansions'] as const) {
    const list = choice[f];
    const needed = f === 'ops' || slots.some((s) => s.field === f);
    if (needed && (!list || list.length !== n)) throw new FbnetError('USAGE', `arch choice: ${f} needs ${n} entries, got ${list ? list.length : 'none'}`);
  }
  const p: JointPoint = {};
  for (const s of slots) {
    const v = s.field === 'resolution' ? choice.resolution : choice[s.field]![s.layer!];
    p[s.key] = index(s, v, 'arch choice');
  }
  return p;
}

/** The `ArchChoice` of a flat point (throws naming a missing, unknown or out-of-range key). */
export function pointToChoice(space: SearchSpace, p: JointPoint): ArchChoice {
  const slots = archSlots(space);
  const known = new Set(slots.map((s) => s.key));
  for (const k of Object.keys(p)) if (!known.has(k)) throw new FbnetError('USAGE', `point of ${space.name}: unknown key "${k}"`);
  const n = searchLayers(space).length;
  const c: ArchChoice = { ops: new Array<number>(n).fill(0) };
  if (slots.some((s) => s.field === 'channels')) c.channels = new Array<number>(n).fill(0);
  if (slots.some((s) => s.field === 'expansions')) c.expansions = new Array<number>(n).fill(0);
  for (const s of slots) {
    if (!(s.key in p)) throw new FbnetError('USAGE', `point of ${space.name} lacks "${s.key}"`);
    const v = index(s, p[s.key], `point of ${space.name}`);
    if (s.field === 'resolution') c.resolution = v;
    else c[s.field]![s.layer!] = v;
  }
  return c;
}
