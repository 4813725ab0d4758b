/**
 * Reading Vega's SVG in tests: what a chart shows, by the roles and mark names Vega writes
 * (`<g class="mark-symbol role-mark points_marks">`, `role-axis-title`, `role-legend-label`).
 */

/** Bodies of the elements whose opening tag matches `open` (nested <g> balanced). */
function groups(svg: string, open: RegExp): string[] {
  const out: string[] = [];
  const re = new RegExp(open.source, 'g');
  for (let m = re.exec(svg); m; m = re.exec(svg)) {
    let depth = 1;
    const tag = /<g\b|<\/g>/g;
    tag.lastIndex = m.index + m[0].length;
    let t: RegExpExecArray | null;
    while (depth > 0 && (t = tag.exec(svg))) depth += t[0] === '</g>' ? -1 : 1;
    out.push(svg.slice(m.index + m[0].length, tag.lastIndex - 4));
  }
  return out;
}

/** The items (paths, rects, lines, texts) of the named Vega-Lite layer, over all its facets/series. */
export function marks(svg: string, name: string): string[] {
  return groups(svg, new RegExp(`<g class="mark-\\w+ role-mark ${name}_marks"[^>]*>`)).flatMap((g) => [...g.matchAll(/<(path|rect|line|text)\b[^>]*?(?:\/>|>.*?<\/\1>)/g)].map((m) => m[0]));
}

/** Texts of one of Vega's roles: 'axis-title', 'axis-label', 'legend-label', 'legend-title', 'title-text'. */
export function texts(svg: string, role: string): string[] {
  return groups(svg, new RegExp(`<g class="mark-text role-${role}"[^>]*>`)).flatMap((g) => [...g.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]));
}

/** Texts of a named text layer (e.g. the values printed in heatmap cells). */
export function layerTexts(svg: string, name: string): string[] {
  return marks(svg, name).map((m) => /<text\b[^>]*>([^<]*)<\/text>/.exec(m)?.[1] ?? '');
}

/** translate(x,y) of a mark item (Vega places symbols and texts this way). */
export function position(item: string): [number, number] {
  const m = /transform="translate\(([-\d.e]+),([-\d.e]+)\)"/.exec(item);
  if (!m) throw new Error(`no position: ${item.slice(0, 80)}`);
  return [Number(m[1]), Number(m[2])];
}

/** [x, y, width, height] of a rect item (Vega writes rects as paths "Mx,yhWvHh-WZ"). */
export function box(item: string): [number, number, number, number] {
  const m = / d="M([-\d.e]+),([-\d.e]+)h([-\d.e]+)v([-\d.e]+)/.exec(item);
  if (!m) throw new Error(`not a rect: ${item.slice(0, 80)}`);
  return [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
}

/** The fill of a mark item. */
export function fill(item: string): string | undefined {
  return /\sfill="([^"]*)"/.exec(item)?.[1];
}

/** The tooltip of a mark item (its <title>). */
export function tooltip(item: string): string | undefined {
  return /<title>([^<]*)<\/title>/.exec(item)?.[1];
}

/** Charts (root <svg> elements) in some HTML. */
export function charts(html: string): string[] {
  return [...html.matchAll(/<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" class="chart[^"]*"[\s\S]*?<\/svg>/g)].map((m) => m[0]);
}
