import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  archFromChoice,
  getSearchSpacePreset,
  parseSearchSpace,
  resolveArch,
  SEARCH_SPACE_PRESETS,
  searchLayers,
  type BlockSpec,
  type SearchSpace,
} from '@fbnet/core';
import { archCost } from '@fbnet/shape-propagation';
import type { RunData } from './run-data.ts';
import { searchableBlockIndex } from './space-layout.ts';

/*
 * The report reads lut.json structurally (the fields of @fbnet/latency-lut's zod schema it
 * needs) and finds a layer's candidate entry by content — same input shape, same block spec —
 * rather than by re-deriving the table's key string, so a change of key format cannot make
 * the heatmap silently empty.
 */

export interface LutCell {
  medianMs: number;
  p10Ms?: number;
  p90Ms?: number;
  samples?: number;
}

export interface LutLayerRow {
  /** Searchable layer index. */
  index: number;
  stage: number;
  /** [h, w, c] input of the layer (fixed by the macro-architecture in V1 spaces). */
  input?: [number, number, number];
  outChannels: number;
  stride: number;
  /** Short label, e.g. "L3 16→24 s2 @14×14". */
  label: string;
}

export interface LutLayerMatrix {
  space: string;
  layers: LutLayerRow[];
  /** Column order: the candidates of the widest layer, then any others in order of appearance. */
  candidates: string[];
  /** cells[layer][candidate column]; undefined where the layer lacks the candidate or the table lacks the entry. */
  cells: (LutCell | undefined)[][];
  /** Entries the space needs that the table does not have. */
  missing: number;
}

interface LutEntryLike {
  kind?: string;
  input?: number[];
  spec?: unknown;
  medianMs?: number;
  p10Ms?: number;
  p90Ms?: number;
  samples?: number;
}

/** Key of a block instance by content: input shape + spec with keys sorted (BN-gamma init ignored, as the LUT does). */
function contentKey(input: readonly number[], spec: unknown): string {
  const canon = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(canon);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .filter((k) => k !== 'zeroGamma')
          .sort()
          .map((k) => [k, canon((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return `${input.join('x')}|${JSON.stringify(canon(spec))}`;
}

export function lutEntries(lut: unknown): LutEntryLike[] {
  const entries = (lut as { entries?: unknown })?.entries;
  return Array.isArray(entries) ? entries.filter((e): e is LutEntryLike => !!e && typeof e === 'object') : [];
}

/**
 * The search space of a run: the one the LUT was measured for, else `space.json` in the run,
 * else `config.options.space` (a preset name or an inline space). Undefined when none is found.
 */
export function findSearchSpace(run: Pick<RunData, 'dir' | 'config' | 'lut'>): SearchSpace | undefined {
  const candidates: unknown[] = [];
  const sources = (run.lut as { sources?: unknown })?.sources;
  if (Array.isArray(sources)) for (const s of sources) if (s && s.kind === 'space') candidates.push(s.space);
  const spaceJson = join(run.dir, 'space.json');
  if (existsSync(spaceJson)) {
    try {
      candidates.push(JSON.parse(readFileSync(spaceJson, 'utf8')));
    } catch {
      // an unreadable space.json falls through to the config
    }
  }
  const opts = run.config.options ?? {};
  for (const k of ['space', 'searchSpace', 'spacePreset']) candidates.push(opts[k]);
  for (const c of candidates) {
    try {
      if (typeof c === 'string' && SEARCH_SPACE_PRESETS.has(c)) return getSearchSpacePreset(c);
      if (c && typeof c === 'object') return parseSearchSpace(c);
    } catch {
      // try the next source
    }
  }
  return undefined;
}

/**
 * LAT(b_{l,i}) per searchable layer and candidate from a table (V1 spaces: each layer's input
 * is fixed). Input shapes come from shape propagation of one concrete arch per candidate column.
 */
export function lutLayerMatrix(space: SearchSpace, lut: unknown): LutLayerMatrix {
  const layers = searchLayers(space);
  const byContent = new Map<string, LutEntryLike>();
  for (const e of lutEntries(lut)) {
    if (e.kind === 'block' && Array.isArray(e.input) && e.spec) byContent.set(contentKey(e.input, e.spec), e);
  }
  const blockIndex = searchableBlockIndex(space);
  const candidates: string[] = [];
  const widest = layers.reduce((a, l) => (l.candidates.length > a.length ? l.candidates : a), [] as string[]);
  for (const c of [...widest, ...layers.flatMap((l) => l.candidates)]) if (!candidates.includes(c)) candidates.push(c);
  const maxK = Math.max(0, ...layers.map((l) => l.candidates.length));
  const cells: (LutCell | undefined)[][] = layers.map(() => candidates.map(() => undefined));
  const inputs: ([number, number, number] | undefined)[] = layers.map(() => undefined);
  let missing = 0;
  for (let k = 0; k < maxK; k++) {
    let blocks: { spec: BlockSpec; input?: number[] }[];
    try {
      const def = archFromChoice(space, { ops: layers.map((l) => Math.min(k, l.candidates.length - 1)) });
      const resolved = resolveArch(def);
      let shapes: number[][] | undefined;
      try {
        shapes = archCost(resolved).blocks.map((b) => b.input);
      } catch {
        shapes = undefined;
      }
      blocks = resolved.blocks.map((b, i) => ({ spec: b.spec, input: shapes?.[i] }));
    } catch {
      continue;
    }
    layers.forEach((l, li) => {
      if (k >= l.candidates.length) return;
      const b = blocks[blockIndex[li]];
      if (!b?.input) return;
      inputs[li] ??= b.input as [number, number, number];
      const e = byContent.get(contentKey(b.input, b.spec));
      const col = candidates.indexOf(l.candidates[k]);
      if (e && typeof e.medianMs === 'number') cells[li][col] = { medianMs: e.medianMs, p10Ms: e.p10Ms, p90Ms: e.p90Ms, samples: e.samples };
      else missing++;
    });
  }
  const rows: LutLayerRow[] = layers.map((l, li) => {
    const inp = inputs[li];
    return {
      index: l.index,
      stage: l.stage,
      input: inp,
      outChannels: l.c,
      stride: l.s,
      label: `L${l.index} ${inp ? inp[2] : '?'}→${l.c} s${l.s}${inp ? ` @${inp[0]}×${inp[1]}` : ''}`,
    };
  });
  return { space: space.name, layers: rows, candidates, cells, missing };
}
