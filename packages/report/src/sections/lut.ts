import { facts, type Fact } from '@fbnet/html';
import { chartFigure } from '../charts/chart-figure.ts';
import { heatmap } from '../charts/heatmap.ts';
import { missing, ok, type SectionBuilder } from './section.ts';
import { lutEntries } from '../run/lut-matrix.ts';
import { duration, ms, percent } from '../format.ts';
import { v1Context } from './v1-context.ts';

interface LutHeader {
  device?: { cpuModel?: string; cores?: number; os?: string; runtime?: string; backend?: string; backendVersion?: string };
  timing?: { timeMs?: number; minSamples?: number };
  correction?: { model?: string; calibration?: { corrected?: { mape?: number; within10?: number } } };
  measureSec?: number;
  createdAt?: string;
}

/** Headline facts of a latency table read as JSON: device, backend, entries, measuring time, correction fit. */
export function lutFacts(lut: unknown): Fact[] {
  const h = (lut ?? {}) as LutHeader;
  const entries = lutEntries(lut);
  const items: Fact[] = [
    { label: 'Device', wide: true, value: h.device?.cpuModel ?? '–', hint: [h.device?.os, h.device?.runtime].filter(Boolean).join(' · ') || undefined },
    { label: 'Backend', value: h.device?.backend ?? '–', hint: h.device?.backendVersion, wide: (h.device?.backendVersion?.length ?? 0) > 24 },
    { label: 'Entries', value: String(entries.length), hint: h.timing?.minSamples ? `≥ ${h.timing.minSamples} samples each` : undefined },
    { label: 'Measured in', value: duration(h.measureSec) },
  ];
  const fit = h.correction?.calibration?.corrected;
  if (h.correction) items.push({ label: 'Correction', value: h.correction.model ?? '–', hint: fit ? `MAPE ${percent(fit.mape, 1)}, ${percent(fit.within10, 0)} within ±10%` : undefined });
  return items;
}

/**
 * The latency table of the run (lut.json): device facts and LAT(b_{l,i}) of every searchable
 * layer and candidate as a heatmap (median ms, p10–p90 in the tooltip), derived choice outlined.
 */
export const lutSection: SectionBuilder = {
  id: 'lut',
  title: 'Latency table (LUT) per layer',
  async build(run) {
    if (run.lut === undefined) return missing('no lut.json in the run directory: the latency table was not measured or not copied into the run');
    const ctx = v1Context(run);
    let html = facts(lutFacts(run.lut));
    if (!ctx.space) return ok(html, 'the run records no search space (lut.json sources, space.json or config options.space), so the per-layer table cannot be laid out');
    if (!ctx.matrix) return ok(html, `per-layer table unavailable: ${ctx.matrixError ?? 'unknown reason'}`);
    const m = ctx.matrix;
    const values = m.cells.map((row) => row.map((c) => c?.medianMs));
    const marks = (ctx.derivedChoice ?? []).flatMap((k, l) => {
      const col = m.candidates.indexOf(ctx.candidates[l]?.[k] ?? '');
      return col >= 0 ? [[l, col] as const] : [];
    });
    const finite = values.flat().filter((v): v is number => typeof v === 'number' && v > 0);
    // Latencies of a 224 px space span orders of magnitude: a log colour scale keeps the small layers legible.
    const log = finite.length > 0 && Math.max(...finite) / Math.min(...finite) > 30;
    const chart = heatmap({
      scale: log ? 'log' : 'linear',
      rows: m.layers.map((l) => l.label),
      cols: m.candidates,
      values,
      scheme: 'viridis',
      format: '.3~g',
      cellText: (v) => ms(v),
      marks,
      legendLabel: log ? 'ms (log)' : 'ms',
      cellWidth: 54,
      cellHeight: 19,
      title: `LAT(b) per searchable layer and candidate, median ms (${m.space})`,
      cellTitle: (r, c, v) => {
        const cell = m.cells[r][c];
        return cell && v !== undefined
          ? `${m.layers[r].label} · ${m.candidates[c]}: median ${ms(cell.medianMs)} ms, p10 ${ms(cell.p10Ms)}, p90 ${ms(cell.p90Ms)}${cell.samples ? `, ${cell.samples} samples` : ''}`
          : `${m.layers[r].label} · ${m.candidates[c]}: not in the table`;
      },
    });
    html += `<p>Batch-1 forward time of each candidate block at each searchable layer's input shape, as the search used it (plain medians, before any whole-net correction).${marks.length ? ' Outlined: the derived arch.' : ''}</p>`;
    html += `<div class="scroll">${await chartFigure(chart)}</div>`;
    return ok(html, m.missing ? `the table lacks ${m.missing} of the space's layer/candidate entries (hatched cells)` : undefined);
  },
};
