import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

/**
 * The page's script: browser-runner.ts and what it imports (this package's measurement,
 * @fbnet/nn, @fbnet/core, tinybench, zod) bundled into one IIFE. TF.js itself is not bundled:
 * the page loads the stock UMD bundles from node_modules and the script uses their global `tf`.
 */
const tfGlobal: Plugin = {
  name: 'tfjs-global',
  setup(b) {
    b.onResolve({ filter: /^@tensorflow\/tfjs-core$/ }, () => ({ path: 'tfjs-core', namespace: 'tf-global' }));
    // Gradients are not needed to time inference; Layers export is never called from the page.
    b.onResolve({ filter: /^@tensorflow\/tfjs-core\/dist\/register_all_gradients$/ }, () => ({ path: 'empty', namespace: 'tf-global' }));
    b.onResolve({ filter: /^@tensorflow\/tfjs-layers$/ }, () => ({ path: 'layers', namespace: 'tf-global' }));
    b.onLoad({ filter: /.*/, namespace: 'tf-global' }, (a) => ({
      contents:
        a.path === 'tfjs-core'
          ? 'module.exports = globalThis.tf;'
          : a.path === 'layers'
            ? 'module.exports = {};'
            : '',
      loader: 'js',
    }));
  },
};

let cached: Promise<string> | undefined;

export function bundleBrowserRunner(): Promise<string> {
  cached ??= build({
    entryPoints: [fileURLToPath(new URL('./browser-runner.ts', import.meta.url))],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    // The workspace packages' TypeScript sources (their exports' "source" condition), not a built dist/.
    conditions: ['source'],
    plugins: [tfGlobal],
    logLevel: 'silent',
    legalComments: 'none',
  }).then((r) => r.outputFiles[0].text);
  cached.catch(() => (cached = undefined));
  return cached;
}
