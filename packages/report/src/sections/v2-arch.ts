import { parseArchDef, type ArchDef } from '@fbnet/core';
import { facts, table } from '@fbnet/html';
import { chartFigure } from '../charts/chart-figure.ts';
import { heatmap } from '../charts/heatmap.ts';
import { missing, ok, type SectionBuilder } from './section.ts';
import { isNum } from '../run/run-data.ts';
import { ms, percent, siCount } from '../format.ts';
import { diagramBlocks } from './arch-diagram.ts';
import { archContent } from './arch.ts';
import { lutFacts } from './lut.ts';
import { derivedValue, layerProbs, v2Context, type V2Context, type V2Dimension } from './v2-context.ts';

/** P_α of the derived option of one dimension at one layer, after the last epoch. */
function derivedProb(ctx: V2Context, dim: V2Dimension, l: number): number | undefined {
  const last = ctx.view.distributions[ctx.view.distributions.length - 1];
  const v = derivedValue(ctx.view.derived, dim, l);
  const p = last && layerProbs(last, dim, l);
  const opts = ctx.options(dim, l);
  const k = v !== undefined && opts ? opts.indexOf(v) : -1;
  return p && k >= 0 ? p[k] : undefined;
}

/**
 * V2: the derived architecture (arch.json, else `search/arch-derived`) with, per searched
 * layer, its block, width and expansion and how sure P_α was of each, plus its LUT latency.
 */
export const v2ArchSection: SectionBuilder = {
  id: 'arch',
  title: 'Derived architecture',
  build(run) {
    const ctx = v2Context(run);
    const d = ctx.view.derived;
    if (!ctx.arch) return missing('no arch.json and no search/arch-derived event: the search has not derived an architecture yet');
    let notes: (string | undefined)[] | undefined;
    const steps = ctx.lut?.latency?.steps;
    const stepMs = (i: number) => steps?.find((s) => s.role === i)?.ms;
    if (ctx.blockIndex && d) {
      notes = [];
      ctx.blockIndex.forEach((bi, l) => {
        const parts = [`L${l}`];
        const w = derivedValue(d, 'channels', l);
        const probs = (['ops', 'channels', 'expansions'] as const).map((dim) => derivedProb(ctx, dim, l)).filter(isNum);
        if (probs.length) parts.push(`P ${probs.map((p) => p.toFixed(2)).join('/')}`);
        if (w !== undefined) {
          const opts = ctx.options('channels', l);
          if (opts && opts.length > 1) parts.push(`w ${w} of ${opts.join('/')}`);
        }
        const t = stepMs(bi);
        if (isNum(t)) parts.push(`${ms(t)} ms`);
        notes![bi] = parts.join(' · ');
      });
    }
    let arch: unknown = ctx.arch;
    try {
      arch = parseArchDef(ctx.arch);
    } catch {
      // archContent reports the invalid def
    }
    const res = (arch as { input_size?: number })?.input_size;
    const maxRes = ctx.resolutions?.length ? Math.max(...ctx.resolutions) : undefined;
    const from = run.arch ? 'arch.json' : 'search/arch-derived';
    const caption = `From ${from}.${isNum(res) ? ` Runs at ${res}×${res}${isNum(maxRes) && maxRes !== res ? ` (the exported model takes ${maxRes}×${maxRes} and resizes inside)` : ''}.` : ''}${notes ? ' Notes: P_α of the chosen block / width / expansion after the last epoch, the width options of the layer, and the LUT latency of the block.' : ''}`;
    const c = archContent(arch, { notes, notesHeader: notes ? 'searched layer' : undefined, caption });
    if (c.status === 'missing') return c;
    const items = [
      { label: 'Resolution', value: isNum(res) ? `${res}×${res}` : '–', hint: ctx.resolutions ? `of ${ctx.resolutions.join('/')}` : undefined },
      { label: 'FLOPs', value: siCount(d?.flops), hint: 'multiply-adds' },
      { label: 'Params', value: siCount(d?.params) },
      { label: 'LAT (LUT)', value: ctx.lut?.latency ? `${ms(ctx.lut.latency.totalMs)} ms` : '–', hint: ctx.lut?.latency ? ctx.lut.file : undefined },
      { label: 'Supernet acc.', value: percent(d?.supernetAccuracy), hint: 'shared weights' },
    ];
    return ok(facts(items) + c.html);
  },
};

/**
 * V2: the latency table — the space's (lut.json, when the search was latency-aware or was
 * given one), else the derived arch's own (lut-arch.json, measured after training) — and
 * LAT(a) of the derived arch step by step.
 */
export const v2LutSection: SectionBuilder = {
  id: 'lut',
  title: 'Latency table (LUT): the derived arch step by step',
  async build(run) {
    const ctx = v2Context(run);
    const lut = ctx.lut;
    if (!lut) return missing(`no latency table in the run (lut.json, lut-arch.json): ${ctx.resource && ctx.resource !== 'latency' ? `the search was ${ctx.resource}-aware and ` : ''}the derived arch's table is measured after the final training`);
    let html = facts(lutFacts(lut.table));
    html += `<p>${lut.file === 'lut.json' ? 'lut.json: the table of the search space (every block, width, expansion and resolution).' : "lut-arch.json: a table of the derived arch's own blocks, measured after the final training (the search did not need one of the whole space)."}</p>`;
    if (!lut.latency) return ok(html, `the table cannot price the derived arch: ${lut.error ?? 'unknown reason'}`);
    const L = lut.latency;
    let blockLabels: string[] = [];
    try {
      blockLabels = diagramBlocks(parseArchDef(ctx.arch) as ArchDef).map((b) => b.label);
    } catch {
      // labels fall back to the op names
    }
    const label = (s: (typeof L.steps)[number]) =>
      s.role === 'input' ? 'input' : s.role === 'head' ? 'head (pool + fc)' : (blockLabels[s.role] ?? s.op.replace(/_(hs|relu)$/, ''));
    const chart = heatmap({
      rows: ['median ms'],
      cols: L.steps.map(label),
      values: [L.steps.map((s) => s.ms)],
      scheme: 'viridis',
      format: '.3~g',
      cellText: (v) => ms(v),
      legendLabel: 'ms',
      cellWidth: 64,
      cellHeight: 30,
      title: `LAT(a) = ${ms(L.plainMs)} ms over ${L.steps.length} steps`,
      cellTitle: (_, c) => {
        const s = L.steps[c];
        return `${label(s)} @${s.input.join('×')}: ${ms(s.ms)} ms (p10 ${ms(s.p10Ms)}, p90 ${ms(s.p90Ms)})`;
      },
    });
    html += `<div class="scroll">${await chartFigure(chart)}</div>`;
    const measured = isNum(run.result?.latencyMs) ? run.result.latencyMs : undefined;
    const rows = L.steps.map((s) => [label(s), s.input.join('×'), ms(s.ms), `${ms(s.p10Ms)}–${ms(s.p90Ms)}`, percent(s.ms / L.plainMs, 1)]);
    rows.push(['total (sum)', '', ms(L.plainMs), '', '100%']);
    if (isNum(L.correctedMs)) rows.push(['total, corrected', '', ms(L.correctedMs), '', '']);
    if (measured !== undefined) rows.push(['measured end to end', '', ms(measured), '', '']);
    html += `<div class="scroll">${table(['step', 'input', 'ms', 'p10–p90', 'share'], rows, { numeric: [2, 4] })}</div>`;
    return ok(html);
  },
};
