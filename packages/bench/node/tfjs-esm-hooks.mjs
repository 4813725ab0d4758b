// Node resolve hook: TF.js ships its ESM build (`dist/*.js`, needed for
// '@tensorflow/tfjs-core/dist/register_all_gradients') with extensionless relative imports,
// which Node's ESM loader refuses. Bundlers and vitest accept them; plain Node needs this.
import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export async function resolve(specifier, context, next) {
  if (specifier.startsWith('.') && context.parentURL && context.parentURL.includes('/@tensorflow/') && !/\.[cm]?js$/.test(specifier)) {
    const base = new URL(specifier, context.parentURL);
    const asFile = fileURLToPath(base) + '.js';
    if (existsSync(asFile)) return next(base.href + '.js', context);
    const asIndex = fileURLToPath(base) + '/index.js';
    if (existsSync(asIndex) && statSync(fileURLToPath(base)).isDirectory()) return next(base.href + '/index.js', context);
  }
  return next(specifier, context);
}
