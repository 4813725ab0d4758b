import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The build (tools/build.mjs) as users meet it. The built CLI loads TF.js only in the commands that need it (every
 * module it loads is recorded). The packages as a user gets them: `npm pack` @fbnet/cli and every workspace package it
 * depends on, install the tarballs into an empty folder (`npm ci --offline`: nothing beyond what the repository's
 * `npm ci` fetched), then run `npx fbnet`, a plain ESM script and tsc there. The packages are private (never
 * published); packing works regardless.
 */
const root = resolve(fileURLToPath(import.meta.url), '../..');
const V3A = join(root, 'packages/shape-propagation/fixtures/fbnetv3_a.json');
// FBNetV3-A at 224 (DESIGN.md): 356.598 MFLOPs, 8.542 M params.
const V3A_COST = { flops: 356_598_280, params: 8_542_224 };

interface Workspace {
  name: string;
  version: string;
  dir: string;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function workspaces(): Map<string, Workspace> {
  const out = spawnSync('npm', ['query', '.workspace'], { cwd: root, encoding: 'utf8', env: cleanEnv() });
  if (out.status !== 0) throw new Error(`npm query: ${out.stderr}`);
  const list = JSON.parse(out.stdout) as (Workspace & { location: string })[];
  return new Map(list.map((w) => [w.name, { ...w, dir: join(root, w.location) }]));
}

/** @fbnet/cli and the workspace packages it needs at run time (dependencies, not devDependencies). */
function closure(all: Map<string, Workspace>, name: string, seen = new Set<string>()): Set<string> {
  seen.add(name);
  const w = all.get(name)!;
  for (const d of Object.keys({ ...w.dependencies, ...w.optionalDependencies })) {
    if (all.has(d) && !seen.has(d)) closure(all, d, seen);
  }
  return seen;
}

interface Packed {
  name: string;
  version: string;
  filename: string;
  integrity: string;
  files: { path: string }[];
}

/**
 * package.json and package-lock.json of a project that depends on the tarballs: the tarballs' entries by file and
 * integrity, every other package copied from this repository's lock (what `npm ci` installed and cached here), with
 * its registry tarball URL spelled out where the lock omits it (`omit-lockfile-registry-resolved`).
 */
function writeInstallManifests(dir: string, packed: Packed[], ws: Map<string, Workspace>): void {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string; resolved?: string; link?: boolean; dev?: boolean }>;
  };
  const dependencies = Object.fromEntries(packed.map((p) => [p.name, `file:${p.filename}`]));
  const packages: Record<string, unknown> = { '': { name: 'fbnet-pack-check', dependencies } };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (!key.startsWith('node_modules/') || key.startsWith('node_modules/@fbnet/') || entry.link || entry.dev) continue;
    const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
    const resolved = entry.resolved ?? `https://registry.npmjs.org/${name}/-/${name.split('/').at(-1)}-${entry.version}.tgz`;
    packages[key] = { ...entry, resolved };
  }
  for (const p of packed) {
    const { version, dependencies: deps, optionalDependencies, bin } = ws.get(p.name)!;
    packages[`node_modules/${p.name}`] = { version, resolved: `file:${p.filename}`, integrity: p.integrity, dependencies: deps, optionalDependencies, bin };
  }
  const pkg = { name: 'fbnet-pack-check', private: true, type: 'module', dependencies };
  writeFileSync(join(dir, 'package.json'), JSON.stringify(pkg, null, 1));
  writeFileSync(join(dir, 'package-lock.json'), JSON.stringify({ name: pkg.name, lockfileVersion: 3, requires: true, packages }, null, 1));
}

/** The children must see the packages as a user does: no `source` condition (the test runner sets one), no npm
 * variables of the `npm test` that started us (they would point npm back at this repository). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, NODE_OPTIONS: '', FBNET_SOURCE: '', FBNET_DEBUG: '' };
}

function run(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, encoding: 'utf8', env: cleanEnv(), timeout: 480_000 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}${r.error ? ` (${r.error.message})` : ''}:\n${r.stderr}`);
  return r.stdout;
}

// Tests run on source; these need the build, made once here (the suites below run in order).
beforeAll(() => void ok(run(process.execPath, ['tools/build.mjs'], root), 'build'), 600_000);

describe('the built CLI loads heavy modules only in the commands that use them', () => {
  const BIN = join(root, 'packages/cli/bin/fbnet.js');
  const RECORDER = join(root, 'tools/record-modules.mjs');
  const HEAVY = /@tensorflow\/|\/bullmq\/|\/ioredis\/|\/vega|\/tsx\//;

  function modules(args: string[]): { code: number | null; loaded: string[] } {
    const dir = mkdtempSync(join(tmpdir(), 'fbnet-modules-'));
    const file = join(dir, 'modules.txt');
    writeFileSync(file, '');
    const r = spawnSync(process.execPath, ['--import', RECORDER, BIN, ...args], {
      cwd: root,
      encoding: 'utf8',
      env: { ...cleanEnv(), FBNET_SOURCE: '0', FBNET_RECORD_MODULES: file },
    });
    const loaded = readFileSync(file, 'utf8').split('\n').filter(Boolean);
    rmSync(dir, { recursive: true, force: true });
    return { code: r.status, loaded };
  }

  it('fbnet --help: from dist, no TF.js, no tsx, no queue or chart libraries', () => {
    const { code, loaded } = modules(['--help']);
    expect(code).toBe(0);
    expect(loaded.some((u) => u.endsWith('/packages/cli/dist/main.js'))).toBe(true);
    expect(loaded.filter((u) => HEAVY.test(u))).toEqual([]);
  });

  it('a usage error is reported before anything heavy loads', () => {
    const { code, loaded } = modules(['search', 'v1', '--seed', '1.5']);
    expect(code).toBe(2);
    expect(loaded.filter((u) => HEAVY.test(u))).toEqual([]);
  });

  it('fbnet cost loads tfjs-core (shape propagation) but no backend (and the recorder sees TF.js when it loads)', () => {
    const { code, loaded } = modules(['cost', V3A, '--json']);
    expect(code).toBe(0);
    expect(loaded.some((u) => u.includes('@tensorflow/tfjs-core'))).toBe(true);
    expect(loaded.filter((u) => /@tensorflow\/tfjs-backend|\/bullmq\/|\/vega|\/tsx\//.test(u))).toEqual([]);
  });
});

describe('packed packages install into an empty folder and work', () => {
  let dir = '';
  let skip = '';
  let packed: Packed[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fbnet-pack-'));
    const ws = workspaces();
    const names = [...closure(ws, '@fbnet/cli')].sort();
    const pack = ok(
      run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir, ...names.flatMap((n) => ['-w', n])], root),
      'npm pack',
    );
    packed = JSON.parse(pack);
    writeInstallManifests(dir, packed, ws);
    // npm ci, not npm install: the lock pins every third-party package to this repository's versions, so the tarballs
    // come from the npm cache by integrity and no registry metadata is needed (--offline). --ignore-scripts: the only
    // install scripts are third parties' (esbuild's binary check, webgpu's macOS quarantine fix, tfjs-node-gpu's
    // libtensorflow download, which would need the network).
    const install = run('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], dir);
    if (install.status !== 0 && /ENOTCACHED/.test(install.stderr)) {
      skip = `a dependency is not in the npm cache (${install.stderr.match(/request to (\S+)/)?.[1] ?? 'ENOTCACHED'}); run npm ci online once`;
      return;
    }
    ok(install, 'npm ci of the tarballs');
    copyFileSync(V3A, join(dir, 'fbnetv3_a.json'));
  }, 900_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('each tarball ships its build and declarations, not its tests', (ctx) => {
    if (skip) ctx.skip(skip);
    expect(packed.map((p) => p.name)).toContain('@fbnet/core');
    for (const p of packed) {
      const files = p.files.map((f) => f.path);
      expect(files, p.name).toContain('dist/index.js');
      expect(files, p.name).toContain('dist/index.d.ts');
      expect(files.filter((f) => /\.test\.ts$/.test(f)), p.name).toEqual([]);
      const manifest = JSON.parse(readFileSync(join(dir, 'node_modules', p.name, 'package.json'), 'utf8'));
      expect(JSON.stringify(manifest.exports), p.name).not.toMatch(/"(default|types|import)":"\.\/src\//);
    }
  });

  it('npx fbnet cost prices FBNetV3-A from the installed build', (ctx) => {
    if (skip) ctx.skip(skip);
    const out = ok(run('npx', ['--offline', 'fbnet', 'cost', 'fbnetv3_a.json', '--json'], dir), 'npx fbnet cost');
    expect(JSON.parse(out.trim().split('\n').at(-1)!)).toMatchObject(V3A_COST);
    const help = run('npx', ['--offline', 'fbnet', '--help'], dir);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/fbnet cost/);
  });

  it('a plain ESM script imports @fbnet/core and prices an arch', (ctx) => {
    if (skip) ctx.skip(skip);
    writeFileSync(
      join(dir, 'cost.mjs'),
      "import { parseArchDef } from '@fbnet/core'; import { archCost } from '@fbnet/shape-propagation';\n" +
        "const c = archCost(parseArchDef(JSON.parse(process.argv[2]))); console.log(JSON.stringify({ flops: c.flops, params: c.params }));\n",
    );
    const out = ok(run(process.execPath, ['cost.mjs', readFileSync(V3A, 'utf8')], dir), 'node cost.mjs');
    expect(JSON.parse(out)).toEqual(V3A_COST);
  });

  it('TypeScript users get the declared types (not any)', (ctx) => {
    if (skip) ctx.skip(skip);
    writeFileSync(
      join(dir, 'cost.ts'),
      [
        "import { parseArchDef, type ArchDef } from '@fbnet/core';",
        "import { archCost } from '@fbnet/shape-propagation';",
        'const def: ArchDef = parseArchDef({});',
        'const flops: number = archCost(def).flops;',
        '// @ts-expect-error flops is a number: this line errs unless the declarations were lost (any)',
        'const wrong: string = archCost(def).flops;',
        'export { flops, wrong };',
      ].join('\n'),
    );
    const compilerOptions = { noEmit: true, strict: true, skipLibCheck: true, module: 'nodenext', target: 'es2022', types: [] };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['cost.ts'] }));
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    ok(run(process.execPath, [tsc, '-p', 'tsconfig.json'], dir), 'tsc on a consumer of the packed declarations');
  });
});
