import { notice } from './elements.ts';
import { escapeXml } from './escape.ts';
import { PAGE_CSS } from './styles.ts';

/** One section of a page. `html` is trusted markup built from escaped parts. */
export interface PageSection {
  /** Anchor id (kebab-case). */
  id: string;
  title: string;
  html: string;
  /** ok: drawn; partial: drawn from what there is, `note` says what is missing; missing: nothing to draw, `note` says why. */
  status: 'ok' | 'partial' | 'missing';
  note?: string;
}

export interface PageOptions {
  title: string;
  /** Lines under the title (run path, command, date). */
  subtitle?: readonly string[];
  sections: readonly PageSection[];
  footer?: string;
  /** Extra CSS after the page's stylesheet (classes of the caller's own markup). */
  css?: string;
}

/** A complete, self-contained HTML document: inline CSS and SVG, no scripts, nothing fetched. */
export function renderPage(o: PageOptions): string {
  const toc = o.sections
    .map((s) => `<a href="#${escapeXml(s.id)}" class="toc-${escapeXml(s.status)}"><span class="dot"></span>${escapeXml(s.title)}</a>`)
    .join('');
  const body = o.sections.map(renderSection).join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeXml(o.title)}</title>
<style>${PAGE_CSS}${o.css ?? ''}</style>
</head>
<body>
<header class="top"><h1>${escapeXml(o.title)}</h1>${(o.subtitle ?? []).map((l) => `<div class="sub">${escapeXml(l)}</div>`).join('')}</header>
<nav class="toc">${toc}</nav>
<main>
${body}
</main>
<footer>${escapeXml(o.footer ?? 'self-contained: no scripts, no network')}</footer>
</body>
</html>
`;
}

function renderSection(s: PageSection): string {
  const note = s.note ? notice(s.note, s.status === 'ok' ? 'info' : s.status) : '';
  const status = escapeXml(s.status);
  return `<section class="report-section section-${status}" id="${escapeXml(s.id)}" data-status="${status}"><h2>${escapeXml(s.title)}</h2>${note}${s.html}</section>`;
}
