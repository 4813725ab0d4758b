import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKEND_PLUGINS } from '@fbnet/core';
import { BENCH_ARCH, fbnetAsync } from './_cli-test-support.ts';
import { importPluginModules } from './plugin-modules.ts';

const ROOT = new URL('../../..', import.meta.url).pathname;

describe('FBNET_PLUGINS', () => {
  it('imports each listed module (paths relative to cwd) and returns the ids they registered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fbnet-plugins-'));
    // A temp dir has no node_modules to find '@fbnet/core' in: the modules import it by file URL.
    const core = new URL('../../core/src/index.ts', import.meta.url).href;
    const body = (id: string) =>
      `import { BACKEND_PLUGINS } from '${core}';\n` +
      `BACKEND_PLUGINS.register('${id}', async () => { throw new Error('not loaded by registering'); });\n`;
    const one = join(dir, 'one.mjs');
    writeFileSync(one, body('plugin-one'));
    writeFileSync(join(dir, 'two.mjs'), body('plugin-two'));
    expect(await importPluginModules(` ${one} , ./two.mjs`, dir)).toEqual(['plugin-one', 'plugin-two']);
    expect(BACKEND_PLUGINS.has('plugin-two')).toBe(true);
    await expect(importPluginModules('./missing.ts', dir)).rejects.toThrow(/FBNET_PLUGINS: no file .*missing\.ts/);
    await expect(importPluginModules('no-such-package-fbnet', dir)).rejects.toThrow(/cannot import "no-such-package-fbnet"/);
  });

  it('the real CLI accepts a plugin registered by a module named in FBNET_PLUGINS, and only then', { timeout: 120_000 }, async () => {
    const args = ['bench', 'infer', '--arch', BENCH_ARCH, '--backend', 'cpu-plus', '--iterations', '3', '--json'];
    const [plain, withPlugin] = await Promise.all([
      fbnetAsync(args, ROOT),
      fbnetAsync(args, ROOT, { FBNET_PLUGINS: 'docs/examples/cpu-plus-plugin.ts' }),
    ]);
    expect(plain.code).toBe(2);
    expect(JSON.parse(plain.last).error.message).toMatch(/--backend must be one of cpu, wasm, webgpu, node-gpu, auto, got "cpu-plus"/);
    expect(withPlugin.code, withPlugin.stderr).toBe(0);
    const r = JSON.parse(withPlugin.last);
    expect(r.backend).toBe('cpu-plus');
    expect(r.fingerprint.backendVersion).toMatch(/cpu-plus 1/);
    expect(r.variantCalls.Add['same-shape-js']).toBeGreaterThan(0);
  });
});
