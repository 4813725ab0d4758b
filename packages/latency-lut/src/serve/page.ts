const SCRIPT: Record<string, string> = {
  cpu: 'tf-backend-cpu.min.js',
  wasm: 'tf-backend-wasm.min.js',
  webgl: 'tf-backend-webgl.min.js',
  webgpu: 'tf-backend-webgpu.min.js',
};

/*
 * Phone first: one column, nothing wider than the screen (long block keys, paths and commands
 * wrap anywhere; the entry table has a fixed layout), system fonts, light and dark.
 */
const STYLE = `
:root { color-scheme: light dark; --line: rgba(127,127,127,.35); --soft: rgba(127,127,127,.12); }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; padding: 12px;
  max-width: 760px; overflow-wrap: anywhere; }
h1 { font-size: 1.2rem; margin: 0 0 .25rem; }
h2 { font-size: 1.05rem; margin: 0 0 .25rem; display: flex; justify-content: space-between; align-items: center; gap: .5rem; }
h3 { font-size: .95rem; margin: .75rem 0 .25rem; }
p { margin: .3rem 0; }
code, pre, td.key { font: 12px/1.35 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; word-break: break-all; background: var(--soft); padding: .5rem;
  border-radius: 6px; margin: .25rem 0; -webkit-user-select: all; user-select: all; }
#status { font-weight: 600; }
#browser, .hint, .note { color: GrayText; font-size: .85rem; }
.backend, #summary { border: 1px solid var(--line); border-radius: 8px; padding: .6rem .75rem; margin: .75rem 0; }
.badge { font-size: .8rem; font-weight: 600; padding: .05rem .55rem; border-radius: 999px; background: var(--soft); white-space: nowrap; }
[data-state=measuring] .badge { background: #cfe3ff; color: #123; }
[data-state=stored] .badge { background: #c8efc8; color: #132; }
[data-state=failed] .badge { background: #ffd0d0; color: #400; }
progress { width: 100%; height: 10px; }
.counts { font-variant-numeric: tabular-nums; }
.reason, .warning { color: #a35f00; }
.error { color: #c4002b; font-weight: 600; }
.warning, .error { border-left: 3px solid currentColor; padding-left: .5rem; }
#summary ul { padding-left: 1.1rem; margin: .25rem 0; }
#summary li.skipped, #summary li.failed { color: #a35f00; }
details { margin-top: .4rem; }
table { width: 100%; table-layout: fixed; border-collapse: collapse; margin-top: .25rem; }
th { white-space: nowrap; }
th, td { text-align: left; padding: .15rem .25rem; border-bottom: 1px solid var(--soft); vertical-align: top; }
td.key { overflow-wrap: anywhere; word-break: break-all; }
th.ms, td.ms { width: 6.5em; text-align: right; font-variant-numeric: tabular-nums; }
`;

/** The measurement page: stock TF.js UMD bundles (core + the requested backends), then the runner. */
export function lutPage(backends: readonly string[]): string {
  const tags = ['tf-core.min.js', ...backends.map((b) => SCRIPT[b]).filter(Boolean)].map((f) => `<script src="tfjs/${f}"></script>`).join('\n    ');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>fbnet lut: measuring</title>
    <style>${STYLE}</style>
  </head>
  <body>
    <h1>fbnet latency table</h1>
    <p>This page times every block of the search space on this browser's TF.js backends (${backends.join(', ')})
      and sends each table to the server that served it.</p>
    <p class="hint">Keep this tab in front and the screen on until it says done: a background tab or a locked phone
      is throttled, and what it times then is wrong.</p>
    <p id="status" role="status" aria-live="polite">loading…</p>
    <div id="messages" role="alert"></div>
    <section id="summary" hidden></section>
    <p id="browser"></p>
    <div id="backends"></div>
    <noscript><p class="error">This page needs JavaScript.</p></noscript>
    <script>
      // Before the bundles: a script that fails to load must say so, not leave "loading…" up.
      addEventListener('error', function (e) {
        var t = e.target, s = document.getElementById('status');
        if (!t || t.tagName !== 'SCRIPT' || !s) return;
        s.textContent = 'error: could not load ' + t.getAttribute('src') + ' (is fbnet lut serve still running? reload to retry)';
        s.className = 'error';
      }, true);
    </script>
    ${tags}
    <script src="runner.js"></script>
  </body>
</html>
`;
}
