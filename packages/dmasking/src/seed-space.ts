import { FbnetError, parseArchDef, parseSearchSpace, type ArchDef, type BlockTuple, type SearchSpace } from '@fbnet/core';

/** How `spaceAroundArch` turns an arch into a V2 space. */
export interface SpaceAroundArchOptions {
  /** Output-width options of every block but the stem, as fractions of its width (default 0.5, 0.75, 1). */
  widths?: number[];
  /** Expansion options of inverted-residual blocks, as fractions of the block's expansion (default 0.5, 1; rounded, at least 1). */
  expansions?: number[];
  /** Input resolutions as fractions of the arch's input size (default 5/7, 6/7, 1: 20/24/28 at 28). */
  resolutions?: number[];
}

const uniqSorted = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);

/**
 * The FBNetV2 space around a concrete arch (e.g. the one V1 derived): its macro-architecture and
 * blocks kept, every block after the stem searched over output widths (fractions of its own,
 * rounded to the width divisor) and, for inverted-residual blocks, over expansions (fractions of
 * its own), and the input over resolutions. The arch itself is one point of the space (every
 * choice at its largest option). Grouped blocks keep their widths (groups must divide them).
 */
export function spaceAroundArch(input: ArchDef, options: SpaceAroundArchOptions = {}): SearchSpace {
  const arch = parseArchDef(input);
  const div = arch.basic_args.width_divisor;
  const fw = options.widths ?? [0.5, 0.75, 1];
  const fe = options.expansions ?? [0.5, 1];
  const fr = options.resolutions ?? [5 / 7, 6 / 7, 1];
  if (![...fw, ...fe, ...fr].every((f) => f > 0 && f <= 1)) throw new FbnetError('USAGE', 'spaceAroundArch: width, expansion and resolution fractions must be in (0, 1]');
  const candidates: SearchSpace['candidates'] = {};
  const idOf = (op: string, kwargs: Record<string, unknown>) => {
    const rest = Object.fromEntries(Object.entries(kwargs).filter(([k]) => k !== 'expansion'));
    const base = [op, ...Object.entries(rest).map(([k, v]) => `${k}${JSON.stringify(v)}`)].join('_');
    let id = base;
    for (let i = 2; candidates[id] && JSON.stringify(candidates[id]) !== JSON.stringify({ op, ...(Object.keys(kwargs).length ? { kwargs } : {}) }); i++) id = `${base}_${i}`;
    candidates[id] = { op, ...(Object.keys(kwargs).length ? { kwargs } : {}) };
    return id;
  };
  let first = true;
  const stages = arch.blocks.map((stage) =>
    stage.map((tuple) => {
      const [op, c, s, n, ...kws] = tuple as BlockTuple;
      const kwargs: Record<string, unknown> = Object.assign({}, ...kws);
      if (first) {
        first = false;
        return { fixed: tuple as unknown[] };
      }
      const grouped = Object.keys(kwargs).some((k) => /groups/.test(k) && Number(kwargs[k]) > 1);
      const channels = grouped ? [c] : uniqSorted(fw.map((f) => Math.max(div, Math.round((c * f) / div) * div)));
      if (channels[channels.length - 1] !== c) channels.push(c);
      const e = typeof kwargs.expansion === 'number' ? kwargs.expansion : op.startsWith('ir_') && !op.startsWith('ir_pool') ? 6 : undefined;
      const expansions = e !== undefined && !grouped ? uniqSorted(fe.map((f) => Math.max(1, Math.round(e * f)))) : undefined;
      return {
        searchable: {
          c,
          s,
          n,
          candidates: [idOf(op, kwargs)],
          ...(channels.length > 1 ? { channels } : {}),
          ...(expansions && expansions.length > 1 ? { expansions } : {}),
        },
      };
    }),
  );
  const resolutions = uniqSorted(fr.map((f) => Math.max(4, Math.round(arch.input_size * f))));
  return parseSearchSpace({
    version: 1,
    name: `${arch.name ?? 'arch'}-v2`,
    description: `FBNetV2 widths, expansions and resolutions around ${arch.name ?? 'an arch'}`,
    input_size: arch.input_size,
    input_channels: arch.input_channels,
    num_classes: arch.num_classes,
    basic_args: { width_divisor: div },
    candidates,
    stages,
    ...(resolutions.length > 1 ? { resolutions } : {}),
  });
}
