import { escapeXml } from './escape.ts';

/** Small HTML building blocks. Every argument that is text is escaped here; `html` arguments are trusted markup. */

export interface Fact {
  label: string;
  value: string;
  /** Secondary line under the value. */
  hint?: string;
  /** Take two grid cells (long values such as a CPU model). */
  wide?: boolean;
}

export function facts(items: readonly Fact[]): string {
  return (
    '<div class="facts">' +
    items
      .map((f) => `<div class="fact${f.wide ? ' fact-wide' : ''}"><div class="fact-label">${escapeXml(f.label)}</div><div class="fact-value${f.value.length > (f.wide ? 24 : 9) ? ' long' : ''}">${escapeXml(f.value)}</div>${f.hint ? `<div class="fact-hint">${escapeXml(f.hint)}</div>` : ''}</div>`)
      .join('') +
    '</div>'
  );
}

/** A table of text cells; `numeric` columns are right-aligned. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[], options: { numeric?: readonly number[]; className?: string } = {}): string {
  const num = new Set(options.numeric ?? []);
  const cls = (i: number) => (num.has(i) ? ' class="num"' : '');
  return (
    `<table${options.className ? ` class="${escapeXml(options.className)}"` : ''}>` +
    (headers.some((h) => h) ? `<thead><tr>${headers.map((h, i) => `<th${cls(i)}>${escapeXml(h)}</th>`).join('')}</tr></thead>` : '') +
    '<tbody>' +
    rows.map((r) => `<tr>${r.map((c, i) => `<td${cls(i)}>${escapeXml(c)}</td>`).join('')}</tr>`).join('') +
    '</tbody></table>'
  );
}

/** A figure: trusted SVG markup plus an escaped caption. */
export function figure(svg: string, caption?: string): string {
  return `<figure>${svg}${caption ? `<figcaption>${escapeXml(caption)}</figcaption>` : ''}</figure>`;
}

/** Figures side by side, wrapping; `minWidth` px per cell. */
export function grid(cells: readonly string[], minWidth = 320): string {
  return `<div class="grid" style="grid-template-columns: repeat(auto-fill, minmax(${minWidth}px, 1fr))">${cells.join('')}</div>`;
}

export function notice(textContent: string, kind: 'missing' | 'partial' | 'error' | 'info' = 'info'): string {
  return `<p class="notice notice-${kind}">${escapeXml(textContent)}</p>`;
}

export function paragraph(textContent: string): string {
  return `<p>${escapeXml(textContent)}</p>`;
}

export function details(summary: string, html: string): string {
  return `<details><summary>${escapeXml(summary)}</summary>${html}</details>`;
}

export function pre(textContent: string): string {
  return `<pre>${escapeXml(textContent)}</pre>`;
}
