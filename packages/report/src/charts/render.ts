import { escapeXml } from '@fbnet/html';
import type { TopLevelSpec } from 'vega-lite';

/** Fonts of the page (charts are inline SVG and inherit nothing, so they name the same stack). */
export const CHART_FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif';
const MUTED = '#555555';

/** The report's look for every chart: quiet axes and grid, system fonts, legends on top, no frame. */
const CONFIG = {
  font: CHART_FONT,
  background: '#ffffff',
  view: { stroke: null },
  axis: { labelColor: MUTED, titleColor: MUTED, titleFontWeight: 'normal', titleFontSize: 11, labelFontSize: 10.5, gridColor: '#e6e6e6', domainColor: MUTED, tickColor: MUTED },
  legend: { orient: 'top', direction: 'horizontal', columns: 4, labelFontSize: 11, labelLimit: 320, titleFontSize: 11, symbolStrokeWidth: 2 },
  title: { fontSize: 13, fontWeight: 600, anchor: 'start', offset: 6 },
  header: { labelFontSize: 11.5, labelFontWeight: 600, labelLimit: 260, labelAnchor: 'start' },
} as const;

/** A Vega-Lite spec plus what the inline element needs. */
export interface Chart {
  /** Vega-Lite spec without `config` (the report's is applied). */
  spec: TopLevelSpec;
  /** Accessible name of the chart (its title, else what it shows). */
  label: string;
  /** Extra class on the root element, e.g. "stacked", "heatmap". */
  kind?: string;
}

/**
 * Render a chart to a standalone SVG string: Vega-Lite compiles the spec, Vega's headless View
 * lays it out and writes SVG (no canvas package: text widths are estimated, text stays text).
 * The output is made page-safe and deterministic: ids (clip paths, gradients) are renumbered
 * from the chart's own content instead of Vega's process-wide counters, the root carries a
 * role, a label and a <title>, and every mark item with a description gets a native tooltip.
 * Vega is imported here, on first use, so importing the report package stays cheap.
 */
export async function renderChart(chart: Chart): Promise<string> {
  const [{ compile }, vega] = await Promise.all([import('vega-lite'), import('vega')]);
  const spec = { ...chart.spec, config: CONFIG } as TopLevelSpec;
  // Libraries never log: Vega-Lite's warnings (e.g. a legend property two layers set differently) are dropped.
  const quiet = { level: () => quiet, error: (...e: unknown[]) => { throw new Error(e.map(String).join(' ')); }, warn: () => quiet, info: () => quiet, debug: () => quiet };
  const view = new vega.View(vega.parse(compile(spec, { logger: quiet as never }).spec), { renderer: 'none', logLevel: vega.None });
  let svg: string;
  try {
    svg = await view.toSVG();
  } finally {
    view.finalize();
  }
  return pageSafe(svg, chart);
}

function pageSafe(svg: string, chart: Chart): string {
  const open = /^<svg\b[^>]*?\swidth="([\d.]+)" height="([\d.]+)" viewBox="([^"]*)">/.exec(svg);
  if (!open) throw new Error('vega produced no <svg> root');
  const label = escapeXml(chart.label);
  const root =
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart${chart.kind ? ` chart-${escapeXml(chart.kind)}` : ''}" width="${open[1]}" height="${open[2]}" viewBox="${open[3]}" role="img" aria-label="${label}">` +
    `<title>${label}</title>`;
  // Self-closing mark items with a description: give them a <title> child, the tooltip a browser shows without script.
  let body = svg.slice(open[0].length).replace(/<(path|rect|line)\b([^>]*?)\/>/g, (item, tag: string, attrs: string) => {
    const tip = / role="graphics-symbol"/.test(attrs) ? / aria-label="([^"]*)"/.exec(attrs)?.[1] : undefined;
    return tip ? `<${tag}${attrs}><title>${tip}</title></${tag}>` : item;
  });
  body = renumberIds(body);
  return root + body;
}

/** Rename every id (and its url(#…) / href="#…" references) to `v<hash>-<n>`, from the content alone. */
function renumberIds(body: string): string {
  const ids = [...new Set([...body.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]))];
  if (!ids.length) return body;
  const index = new Map(ids.map((id, i) => [id, i]));
  const swap = (s: string, name: (i: number) => string) =>
    s.replace(/(\sid="|url\(#|href="#)([^")]+)/g, (m, pre: string, id: string) => (index.has(id) ? `${pre}${name(index.get(id)!)}` : m));
  const prefix = `v${fnv1a(swap(body, (i) => String(i)))}`;
  return swap(body, (i) => `${prefix}-${i}`);
}

function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}
