#!/usr/bin/env node
/**
 * Builds every workspace package to JavaScript with declarations: packages/<p>/dist mirrors packages/<p>/src.
 *
 *   node tools/build.mjs          (npm run build; the root `prepare` script runs it after `npm ci`)
 *
 * One tsc program (tsconfig.build.json) over the source entry points named in each package.json `exports` (the
 * `source` condition), so the command modules the CLI imports lazily are reached through their literal import()s.
 * Files beside the sources that are not TypeScript (a worker script) are copied. dist/ mirrors src/ at the same
 * depth, so paths a module builds from import.meta.url ('../assets/', '../../../benchmarks/') resolve from either.
 * Plain JavaScript (no tsx): it runs inside `npm ci` before anything else is set up.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cache = join(root, 'node_modules/.cache/fbnet-build');
// Per process: two builds at once (a test and a person) each swap in a complete dist/.
const out = join(cache, `out-${process.pid}`);

/** Workspace package directories (the root package.json `workspaces` globs are all `<dir>/*`). */
function packageDirs() {
  const { workspaces } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  return workspaces.flatMap((w) => {
    const base = join(root, w.replace(/\/\*$/, ''));
    return readdirSync(base)
      .map((d) => join(base, d))
      .filter((d) => existsSync(join(d, 'package.json')) && existsSync(join(d, 'src')));
  });
}

/** Packages whose exports still name their sources for node (no dist/ `default`): node cannot load those. */
function sourceOnly(dirs) {
  return dirs
    .map((dir) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')))
    .filter(({ exports }) => Object.values(typeof exports === 'string' ? { '.': exports } : (exports ?? {}))
      .some((t) => typeof t === 'string' || !String(t.default ?? '').startsWith('./dist/')))
    .map(({ name }) => name);
}

/** The `source` targets of a package's exports: the entry points the build starts from. */
function sourceEntries(dir) {
  const { exports } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const targets = Object.values(typeof exports === 'string' ? { '.': exports } : (exports ?? {}));
  return targets
    .map((t) => (typeof t === 'string' ? t : t.source))
    .filter((t) => typeof t === 'string' && t.startsWith('./src/') && t.endsWith('.ts'))
    .map((t) => join(dir, t));
}

function walk(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const started = new Date();
const dirs = packageDirs();
const entries = dirs.flatMap(sourceEntries);
rmSync(out, { recursive: true, force: true });
mkdirSync(cache, { recursive: true });
const config = join(cache, `tsconfig-${process.pid}.json`);
const compilerOptions = { outDir: out };
writeFileSync(config, JSON.stringify({ extends: join(root, 'tsconfig.build.json'), compilerOptions, files: entries }, null, 1));
process.on('exit', (code) => {
  if (code !== 0) rmSync(out, { recursive: true, force: true });
});
const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', config], {
  stdio: 'inherit',
});
if (tsc.status !== 0) {
  console.error('build: tsc failed');
  process.exit(1);
}

// Everything tsc emitted must belong to a package's src/: an entry that reaches tools/ or benchmarks/ would ship a
// dist that cannot find it.
const stray = walk(out).filter((f) => !dirs.some((d) => f.startsWith(join(out, relative(root, d), 'src') + sep)));
if (stray.length) {
  console.error(`build: emitted outside a package's src/ (an entry imports it):\n  ${stray.map((f) => relative(out, f)).join('\n  ')}`);
  process.exit(1);
}

const unbuilt = sourceOnly(dirs);
if (unbuilt.length) console.warn(`build: exports still name sources only, so fbnet runs from source: ${unbuilt.join(', ')}`);
const RELATIVE_IMPORT = /(?:from\s+|import\s*\(\s*|import\s+)['"](\.{1,2}\/[^'"]+)['"]/g;
let files = 0;
const ready = [];
for (const dir of dirs) {
  const next = join(out, relative(root, dir), 'src');
  if (!existsSync(next)) continue;
  // Files the modules load at run time from beside themselves (a worker script); test fixtures stay behind.
  for (const f of walk(join(dir, 'src'))) {
    if (f.endsWith('.ts') || /fixtures?\.json$/.test(f)) continue;
    const to = join(next, relative(join(dir, 'src'), f));
    mkdirSync(dirname(to), { recursive: true });
    cpSync(f, to);
  }
  // latency-lut's page script is bundled by esbuild from './browser-runner.ts' beside the bundling module; from dist
  // that name points at this stub, which pulls in the real source (shipped in that package's `files`).
  if (existsSync(join(dir, 'src/serve/browser-runner.ts')) && existsSync(join(next, 'serve'))) {
    writeFileSync(
      join(next, 'serve/browser-runner.ts'),
      "// Written by tools/build.mjs: the page script is bundled from source (src/serve/bundle.ts).\nimport '../../src/serve/browser-runner.ts';\n",
    );
  }
  // A relative import that leaves the package (a deep import into another package's src) would break once packed.
  for (const f of walk(next)) {
    if (!/\.(js|d\.ts)$/.test(f)) continue;
    files++;
    for (const [, spec] of readFileSync(f, 'utf8').matchAll(RELATIVE_IMPORT)) {
      const target = resolve(dirname(f), spec);
      // Declarations keep the sources' './x.ts' (TypeScript resolves it to x.d.ts beside them).
      const file = f.endsWith('.d.ts') ? target.replace(/\.[jt]s$/, '.d.ts') : target;
      if (!target.startsWith(next + sep) || !existsSync(file)) {
        console.error(`build: ${relative(root, dir)}/dist/${relative(next, f)} imports '${spec}', which is not in its dist/`);
        process.exit(1);
      }
    }
  }
  // packages/cli/bin/fbnet.js compares source mtimes with this stamp (a source saved after the build started makes
  // it run the sources instead of a stale build), and runs the sources while a package is not built for node.
  const stamp = join(next, '.built');
  writeFileSync(stamp, JSON.stringify({ started: started.toISOString(), sourceOnly: unbuilt }) + '\n');
  utimesSync(stamp, started, started);
  ready.push([next, join(dir, 'dist')]);
}
// Swapped in only once every package built and checked, each by two renames: a running fbnet that imports a command
// lazily finds a complete dist/ (old or new) at any moment.
for (const [next, dist] of ready) {
  const old = `${dist}.old-${process.pid}`;
  if (existsSync(dist)) renameSync(dist, old);
  renameSync(next, dist);
  rmSync(old, { recursive: true, force: true });
}
for (const dir of dirs) {
  if (!ready.some(([, dist]) => dist === join(dir, 'dist'))) rmSync(join(dir, 'dist'), { recursive: true, force: true });
}
rmSync(out, { recursive: true, force: true });
rmSync(config, { force: true });
console.log(`build: ${entries.length} entry points, ${files} files in ${dirs.length} packages' dist/`);
