import { searchLayers, type SearchSpace } from '@fbnet/core';
import type { ArchLatency } from '@fbnet/latency-lut';
import { archLatencyFrom } from '../run/arch-latency.ts';
import { findSearchSpace } from '../run/lut-matrix.ts';
import { isNum, memo, runJson, type RunData } from '../run/run-data.ts';
import { searchableBlockIndex } from '../run/space-layout.ts';
import { choiceOptions, v2View, type V2ArchView, type V2View } from '../run/v2-view.ts';

/** A per-layer searched dimension of a V2 space. */
export type V2Dimension = 'ops' | 'channels' | 'expansions';
const KEY_PREFIX: Record<V2Dimension, string> = { ops: 'op', channels: 'channels', expansions: 'expansion' };

/** What the V2 sections share, computed once per run. */
export interface V2Context {
  view: V2View;
  space?: SearchSpace;
  /** Number of searchable layers (from the log, else the space). */
  layers: number;
  /** "L3 s2 ≤32": searchable layer, stride, widest width. */
  layerLabels: string[];
  /** Options of a dimension at a layer (`dmasking/started`, else the space); undefined where not searched. */
  options(dim: V2Dimension, layer: number): (string | number)[] | undefined;
  /** Resolutions searched (pixels). */
  resolutions?: number[];
  /** Flat block index (repeats expanded) of every searchable layer in the derived arch. */
  blockIndex?: number[];
  /** The arch drawn: arch.json, else the derived event's. */
  arch?: unknown;
  /** The table that prices the arch (lut.json of the space, else lut-arch.json of the derived arch). */
  lut?: { file: string; table: unknown; latency?: ArchLatency; error?: string };
  /** Resource term of the search loss ('flops', 'params', 'latency'). */
  resource?: string;
}

export function v2Context(run: RunData): V2Context {
  return memo(run, 'v2', () => {
    const view = v2View(run);
    const space = findSearchSpace(run);
    const spaceLayers = space ? searchLayers(space) : [];
    const fromLog = Math.max(view.started?.layers ?? 0, ...view.distributions.map((d) => d.layers.length));
    const layers = fromLog || spaceLayers.length || (view.derived?.ops?.length ?? 0);
    const layerLabels = Array.from({ length: layers }, (_, l) => {
      const sl = spaceLayers[l];
      return sl ? `L${l} s${sl.s} ≤${sl.c}` : `L${l}`;
    });
    const options = (dim: V2Dimension, l: number) => {
      const logged = choiceOptions(view, `${KEY_PREFIX[dim]}/${l}`);
      if (logged) return logged;
      const sl = spaceLayers[l];
      if (!sl) return undefined;
      return dim === 'ops' ? [...sl.candidates] : dim === 'channels' ? sl.channels && [...sl.channels] : sl.expansions && [...sl.expansions];
    };
    const loggedRes = choiceOptions(view, 'resolution')?.filter(isNum) as number[] | undefined;
    const lastDist = view.distributions[view.distributions.length - 1];
    const resolutions = loggedRes ?? lastDist?.resolutions ?? space?.resolutions;
    const arch = run.arch ?? view.derived?.arch;
    let lut: V2Context['lut'];
    for (const file of ['lut.json', 'lut-arch.json']) {
      if (lut?.latency) break; // priced already: the other table cannot replace it
      const table = file === 'lut.json' ? run.lut : runJson(run, file);
      if (table === undefined) continue;
      const priced = arch ? archLatencyFrom(table, arch) : { error: 'no arch to price' };
      if (!lut || (!lut.latency && priced.latency)) lut = { file, table, ...priced };
    }
    const resource = view.started?.resource ?? (typeof run.result?.resource === 'string' ? run.result.resource : undefined);
    return { view, space, layers, layerLabels, options, resolutions, blockIndex: space ? searchableBlockIndex(space) : undefined, arch, lut, resource };
  });
}

/** The value the derived arch takes for a dimension at a layer (op id, width, expansion). */
export function derivedValue(a: V2ArchView | undefined, dim: V2Dimension, l: number): string | number | undefined {
  const v = dim === 'ops' ? a?.ops?.[l] : dim === 'channels' ? a?.channels?.[l] : a?.expansions?.[l];
  return v === null ? undefined : v;
}

/** P_α of one dimension at one layer after a distributions event. */
export function layerProbs(d: { layers: { layer?: number; ops?: number[]; channels?: number[]; expansions?: number[] }[] }, dim: V2Dimension, l: number): number[] | undefined {
  const row = d.layers.find((x) => x.layer === l) ?? d.layers[l];
  const p = row?.[dim];
  return Array.isArray(p) && p.every((v) => typeof v === 'number') ? p : undefined;
}
