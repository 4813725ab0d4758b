/** The page's one stylesheet, inlined: system fonts only, nothing fetched. */
export const PAGE_CSS = `
:root { --ink: #1d1d1f; --muted: #5f6368; --line: #e3e5e8; --bg: #f6f7f9; --card: #ffffff; --accent: #2b5fab; --warn: #b26a00; --err: #b3261e; }
* { box-sizing: border-box; }
html { background: var(--bg); }
body { margin: 0; color: var(--ink); font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header.top { background: #1f2a3c; color: #fff; padding: 22px 32px 16px; }
header.top h1 { margin: 0 0 4px; font-size: 22px; font-weight: 650; letter-spacing: .2px; }
header.top .sub { color: #c8d1df; font-size: 13px; word-break: break-all; }
nav.toc { position: sticky; top: 0; z-index: 2; background: #ffffffee; border-bottom: 1px solid var(--line); padding: 8px 32px; display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 13px; backdrop-filter: blur(4px); }
nav.toc a { color: var(--accent); text-decoration: none; white-space: nowrap; }
nav.toc a:hover { text-decoration: underline; }
nav.toc a.toc-missing { color: var(--muted); }
nav.toc a .dot { display: inline-block; width: 7px; height: 7px; border-radius: 50%; margin-right: 5px; vertical-align: 1px; background: #3c9a5f; }
nav.toc a.toc-partial .dot { background: #e0a100; }
nav.toc a.toc-missing .dot { background: #b9bdc3; }
main { max-width: 1240px; margin: 0 auto; padding: 18px 32px 40px; }
section.report-section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 16px 22px 18px; margin: 0 0 18px; }
section.report-section h2 { font-size: 17px; margin: 0 0 10px; font-weight: 650; }
section.report-section h3 { font-size: 14px; margin: 16px 0 6px; font-weight: 600; }
section.report-section > p, .lead { color: var(--muted); margin: 4px 0 10px; max-width: 900px; }
.notice { border-radius: 6px; padding: 8px 12px; margin: 6px 0 12px; font-size: 13px; }
.notice-missing { background: #f1f3f4; color: var(--muted); border: 1px dashed #c7cbd1; }
.notice-partial, .notice-info { background: #fff7e0; color: #6b4e00; border: 1px solid #f0dca0; }
.notice-error { background: #fdecea; color: var(--err); border: 1px solid #f5c2bd; }
.facts { display: grid; grid-template-columns: repeat(auto-fill, minmax(128px, 1fr)); gap: 10px; margin: 4px 0 14px; }
.fact { border: 1px solid var(--line); border-radius: 6px; padding: 8px 12px; background: #fbfbfc; }
.fact-label { color: var(--muted); font-size: 11.5px; text-transform: uppercase; letter-spacing: .4px; }
.fact-value { font-size: 19px; font-weight: 650; font-variant-numeric: tabular-nums; margin-top: 2px; }
.fact-wide { grid-column: span 2; }
.fact-value.long { font-size: 14px; line-height: 1.35; padding-top: 3px; word-break: break-word; }
.fact-hint { color: var(--muted); font-size: 11.5px; }
.cols { display: grid; grid-template-columns: minmax(280px, 1fr) minmax(340px, 2fr); gap: 8px 32px; align-items: start; }
@media (max-width: 760px) { .cols { grid-template-columns: 1fr; } }
.grid { display: grid; gap: 12px; align-items: start; }
figure { margin: 0; min-width: 0; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 12.5px; margin: 4px 0 10px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { color: var(--muted); font-weight: 600; background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.archs td:nth-child(2) { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 11.5px; white-space: nowrap; }
table.kv td:first-child { color: var(--muted); white-space: nowrap; }
td code, p code { font-size: 12px; }
table.points td:nth-child(2), table.points td:nth-child(3) { font-size: 11.5px; min-width: 200px; }
table.points td:first-child { white-space: nowrap; }
table.points td:nth-child(2) { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; }
.phases { display: flex; flex-wrap: wrap; gap: 6px; margin: 0 0 12px; padding: 0; list-style: none; }
.phases li { border-radius: 12px; padding: 2px 10px; font-size: 12px; border: 1px solid var(--line); }
.phases li.done { background: #e8f5ec; border-color: #bfe3cb; color: #1e6b3a; }
.phases li.todo { background: #f1f3f4; color: var(--muted); }
.phases li.failed { background: #fdecea; border-color: #f5c2bd; color: var(--err); }
details { margin: 6px 0; }
summary { cursor: pointer; color: var(--accent); font-size: 13px; }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 10px; font-size: 12px; overflow-x: auto; max-height: 420px; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 10px 0 30px; }
@media print { nav.toc { position: static; } section.report-section { break-inside: avoid; } }
`;
