import { describe, expect, it } from 'vitest';
import { escapeXml, facts, figure, renderPage, table } from './index.ts';

describe('@fbnet/html', () => {
  it('escapes the five XML specials, in text and attributes', () => {
    expect(escapeXml(`<a href="x">Tom & 'Jerry'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;Tom &amp; &#39;Jerry&#39;&lt;/a&gt;');
    expect(escapeXml('&amp;')).toBe('&amp;amp;');
  });
  it('elements escape their text arguments and keep trusted markup', () => {
    expect(table(['a <b>'], [['1 & 2']], { numeric: [0] })).toBe('<table><thead><tr><th class="num">a &lt;b&gt;</th></tr></thead><tbody><tr><td class="num">1 &amp; 2</td></tr></tbody></table>');
    expect(figure('<svg></svg>', 'x < y')).toBe('<figure><svg></svg><figcaption>x &lt; y</figcaption></figure>');
    expect(facts([{ label: 'L', value: 'v', hint: '<h>' }])).toContain('<div class="fact-hint">&lt;h&gt;</div>');
  });
  it('a page: inline styles (plus the caller\'s), a table of contents, sections with their status, no scripts', () => {
    const html = renderPage({
      title: 'run <1>',
      subtitle: ['seed 1'],
      css: '.x { color: red; }',
      sections: [
        { id: 'a', title: 'A', html: '<p>a</p>', status: 'ok' },
        { id: 'b', title: 'B', html: '', status: 'missing', note: 'nothing <here>' },
      ],
    });
    expect(html).toContain('<title>run &lt;1&gt;</title>');
    expect(html).toContain('.x { color: red; }</style>');
    expect(html).toContain('<a href="#b" class="toc-missing">');
    expect(html).toContain('<section class="report-section section-missing" id="b" data-status="missing"><h2>B</h2><p class="notice notice-missing">nothing &lt;here&gt;</p></section>');
    expect(html).not.toMatch(/<script|<link/);
  });
});
