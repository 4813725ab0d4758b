import { charts, marks, texts } from './svg.ts';

/** Status and body of each rendered section, by id, in page order. */
export function sections(html: string): Record<string, { status: string; body: string }> {
  const out: Record<string, { status: string; body: string }> = {};
  for (const m of html.matchAll(/<section class="report-section[^"]*" id="([^"]+)" data-status="([^"]+)">([\s\S]*?)<\/section>/g)) out[m[1]] = { status: m[2], body: m[3] };
  return out;
}

/** How many times a pattern occurs. */
export function count(s: string, re: RegExp): number {
  return (s.match(new RegExp(re.source, re.flags.includes('g') ? re.flags : re.flags + 'g')) ?? []).length;
}

/** Cells outlined in a section's heatmaps (the derived choice per layer). */
export function outlines(html: string): number {
  return charts(html).reduce((n, c) => n + marks(c, 'outline').length, 0);
}

/** Panel titles of a section's small-multiple (stacked) charts, in order. */
export function panelTitles(html: string): string[] {
  return charts(html)
    .filter((c) => c.includes('class="chart chart-stacked"'))
    .flatMap((c) => texts(c, 'title-text'));
}
