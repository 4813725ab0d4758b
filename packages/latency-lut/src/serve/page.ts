const SCRIPT: Record<string, string> = {
  cpu: 'tf-backend-cpu.min.js',
  wasm: 'tf-backend-wasm.min.js',
  webgl: 'tf-backend-webgl.min.js',
  webgpu: 'tf-backend-webgpu.min.js',
};

/** The measurement page: stock TF.js UMD bundles (core + the requested backends), then the runner. */
export function lutPage(backends: readonly string[]): string {
  const tags = ['tf-core.min.js', ...backends.map((b) => SCRIPT[b]).filter(Boolean)].map((f) => `<script src="tfjs/${f}"></script>`).join('\n    ');
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>fbnet lut: measuring</title>
    <style>body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem; } code { font-size: 12px; }</style>
  </head>
  <body>
    <h1>fbnet latency table</h1>
    <p>This page times every block of the search space on this browser's backends (${backends.join(', ')}) and sends the table back to the server. Keep the tab in front until it says done.</p>
    <p><code id="status">loading…</code></p>
    ${tags}
    <script src="runner.js"></script>
  </body>
</html>
`;
}
