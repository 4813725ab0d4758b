#!/usr/bin/env node
// Runs the built CLI (dist/: JavaScript from `npm run build`, which `npm ci` runs) when there is a current build.
// It falls back to the TypeScript sources through tsx when there is no build, when a source in this checkout was saved
// after the build started (a stale build would run old code), while a workspace package's exports still name only its
// sources (node cannot load those from dist), with FBNET_SOURCE=1, or when node already resolves the
// `source` condition (the test runner's child processes). From source, the workspace packages resolve to their src/.
// FBNET_SOURCE=0 runs an existing build even when it is stale (start-up tests and benchmarks of the build).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';

const argv = process.argv.slice(2);
const dist = new URL('../dist/', import.meta.url);

/** Whether a source of this checkout was saved after the build started. */
function stale(built) {
  const packages = new URL('../../', import.meta.url);
  for (const parent of [packages, new URL('backends/', packages)]) {
    for (const name of readdirSync(parent)) {
      const src = new URL(`${name}/src/`, parent);
      if (!existsSync(src)) continue;
      for (const f of readdirSync(src, { recursive: true })) {
        if (/(?<!\.test)\.ts$/.test(f) && statSync(new URL(f, src)).mtimeMs > built) return true;
      }
    }
  }
  return false;
}

/** Why the sources run instead of dist, or '' when dist runs. */
function sourceReason() {
  const options = `${process.env.NODE_OPTIONS ?? ''} ${process.execArgv.join(' ')}`;
  if (process.env.FBNET_SOURCE === '1' || /(^|\s)(--conditions[= ]|-C ?)source(\s|$)/.test(options)) return 'asked';
  const main = statSync(new URL('main.js', dist), { throwIfNoEntry: false });
  if (!main) return 'no build';
  // The build's start time (tools/build.mjs); without that stamp, when main.js was written.
  const stamp = statSync(new URL('.built', dist), { throwIfNoEntry: false });
  const built = (stamp ?? main).mtimeMs;
  // Installed (no src/ beside bin/): dist is all there is.
  if (!existsSync(new URL('../src/', import.meta.url))) return '';
  // A workspace package whose exports name only its sources cannot load under plain node.
  if (stamp && JSON.parse(readFileSync(new URL('.built', dist), 'utf8')).sourceOnly?.length) return 'unbuilt package';
  // Checked under FBNET_SOURCE=0 too, so start-up benchmarks of the build time what a run in the checkout pays.
  return stale(built) && process.env.FBNET_SOURCE !== '0' ? 'stale build' : '';
}

const reason = sourceReason();
if (reason) {
  if (reason === 'stale build') {
    process.stderr.write('fbnet: sources changed since the last build; running them through tsx (npm run build)\n');
  }
  const { register } = await import('tsx/esm/api');
  register();
  // Adds the `source` condition to every resolution, so @fbnet/* resolve to src/index.ts (registered after tsx, so
  // it runs first and tsx resolves with it).
  const { register: registerHooks } = await import('node:module');
  const hook =
    'export const resolve = (s, c, next) => next(s, c.conditions.includes("source") ? c : ' +
    '{ ...c, conditions: [...c.conditions, "source"] });';
  registerHooks('data:text/javascript,' + encodeURIComponent(hook));
}
const entry = (name) => (reason ? new URL(`../src/${name}.ts`, import.meta.url) : new URL(`${name}.js`, dist)).href;
// First, before TF.js and its backends install handlers of their own: any error that escapes a promise still ends
// with exit 1, one paragraph on stderr and, under --json, a JSON error line (docs/errors.md).
const { failureContext, installCrashGuard } = await import(entry('failure'));
installCrashGuard(failureContext(argv));
const { main } = await import(entry('main'));
process.exitCode = await main(argv);
