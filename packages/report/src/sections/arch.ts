import { parseArchDef, type ArchDef } from '@fbnet/core';
import { figure, notice } from '@fbnet/html';
import { missing, ok, type SectionBuilder, type SectionContent } from './section.ts';
import { searchableBlockIndex } from '../run/space-layout.ts';
import type { RunData } from '../run/run-data.ts';
import { archDiagram } from './arch-diagram.ts';
import { fixed, ms } from '../format.ts';
import { v1Context } from './v1-context.ts';

export interface ArchContentOptions {
  title?: string;
  /** Text per block instance (flat index), e.g. the layer's P_θ and LUT latency. */
  notes?: readonly (string | undefined)[];
  notesHeader?: string;
  caption?: string;
}

/** Reusable section body: an arch def drawn block by block (V1 derived arch, V2/V3 found archs). */
export function archContent(arch: unknown, o: ArchContentOptions = {}): SectionContent {
  let def: ArchDef;
  try {
    def = parseArchDef(arch);
  } catch (e) {
    return missing(`the arch def cannot be drawn: ${(e as Error).message}`);
  }
  const svg = archDiagram(def, { title: o.title ?? def.name, notes: o.notes, notesHeader: o.notesHeader });
  return ok(
    `<p>One box per block instance (repeats expanded), top to bottom. Box width ∝ √output channels, height ∝ expansion; colour by op kind and kernel; split boxes are grouped pointwise convs (_g2), dashed outlines are skips, arcs mark residual connections, red ↓2 marks stride-2 blocks.</p>` +
      `<div class="scroll">${figure(svg, o.caption)}</div>`,
  );
}

/** What a constrained derivation (`search.json` `constrained`, --max-params / --max-flops / --max-latency-ms) changed, in words. */
export function constrainedNote(k: unknown): string | undefined {
  if (!k || typeof k !== 'object') return undefined;
  const c = k as { limits?: Record<string, number>; argmax?: { params?: number; flops?: number; latencyMs?: number; meetsLimits?: boolean }; derived?: { params?: number; flops?: number; latencyMs?: number }; exact?: boolean };
  if (!c.limits || !c.argmax || !c.derived) return undefined;
  const limits = Object.entries(c.limits).map(([n, v]) => `${n} ${v}`).join(', ');
  const costs = (x: { params?: number; flops?: number; latencyMs?: number }) => `${x.params} params, ${fixed((x.flops ?? NaN) / 1e6, 3)} MFLOPs, ${ms(x.latencyMs ?? NaN)} ms`;
  return (
    `Derived under ${limits}: ${c.argmax.meetsLimits ? 'argmax θ meets them, so it is the derived arch' : `argmax θ (${costs(c.argmax)}) does not meet them; drawn is the most probable arch under P_θ that does`} (${costs(c.derived)}` +
    `${c.exact === false ? '; the search for it was cut short, so it may not be the most probable' : ''}).`
  );
}

/**
 * The found architecture: arch.json of the run (what was trained and exported), else the
 * arch of `search/arch-derived`. For V1 runs each searchable layer is annotated with its
 * final P_θ of the chosen candidate and the candidate's LUT latency.
 */
export const derivedArchSection: SectionBuilder = {
  id: 'arch',
  title: 'Derived architecture',
  build(run: RunData) {
    const ctx = v1Context(run);
    const arch = run.arch ?? ctx.view.derived?.arch;
    if (!arch) return missing('no arch.json and no search/arch-derived event: the search has not derived an architecture yet');
    let notes: (string | undefined)[] | undefined;
    if (ctx.space && ctx.derivedChoice) {
      const lastTheta = ctx.view.theta[ctx.view.theta.length - 1]?.probs;
      const idx = searchableBlockIndex(ctx.space);
      notes = Array.from({ length: idx.length ? Math.max(...idx) + 1 : 0 }, () => undefined);
      ctx.derivedChoice.forEach((k, l) => {
        const parts = [`L${l}`];
        const p = lastTheta?.[l]?.[k];
        if (typeof p === 'number') parts.push(`P_θ ${fixed(p, 2)}`);
        const cand = ctx.candidates[l]?.[k];
        const col = cand !== undefined && ctx.matrix ? ctx.matrix.candidates.indexOf(cand) : -1;
        const cell = col >= 0 ? ctx.matrix?.cells[l]?.[col] : undefined;
        if (cell) parts.push(`${ms(cell.medianMs)} ms`);
        notes![idx[l]] = parts.join(' · ');
      });
    }
    const from = run.arch ? 'arch.json' : 'search/arch-derived';
    const c = archContent(arch, { notes, notesHeader: notes ? 'searched layer' : undefined, caption: `From ${from}.` });
    if (c.status !== 'missing' && run.arch && ctx.view.derived?.arch && JSON.stringify(parseArchDef(ctx.view.derived.arch).blocks) !== JSON.stringify(run.arch.blocks)) {
      c.html = notice('arch.json differs from the arch of the last search/arch-derived event; drawn: arch.json', 'info') + c.html;
    }
    const k = constrainedNote(run.search?.constrained);
    if (c.status !== 'missing' && k) c.html = notice(k, 'info') + c.html;
    return c;
  },
};
