import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKEND_PLUGINS } from '@fbnet/core';
import { BENCH_ARCH, fbnetAsync, writeTinyData } from './_cli-test-support.ts';
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

  const name = 'the real CLI takes --backend <plugin> from a module in FBNET_PLUGINS; auto weighs it and records the choice';
  it(name, { timeout: 180_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fbnet-plugins-cli-'));
    const data = writeTinyData(join(dir, 'data'), { train: 64, test: 16 });
    const env = { FBNET_PLUGINS: 'docs/examples/cpu-plus-plugin.ts' };
    const infer = ['bench', 'infer', '--arch', BENCH_ARCH, '--backend', 'cpu-plus', '--iterations', '3', '--json'];
    const train = ['train', BENCH_ARCH, '--backend', 'auto', '--epochs', '1', '--batch', '32', '--data-dir', data];
    train.push('--out', join(dir, 'run'), '--json');
    const [explicit, auto] = await Promise.all([fbnetAsync(infer, ROOT, env), fbnetAsync(train, ROOT, env)]);

    expect(explicit.code, explicit.stderr).toBe(0);
    const r = JSON.parse(explicit.last);
    expect(r.backend).toBe('cpu-plus');
    expect(r.fingerprint.backendVersion).toMatch(/cpu-plus 1/);
    expect(r.variantCalls.Add['same-shape-js']).toBeGreaterThan(0);

    expect(auto.code, auto.stderr).toBe(0);
    const options = JSON.parse(readFileSync(join(dir, 'run', 'config.json'), 'utf8')).options;
    const choice = options.backendChoice;
    expect(choice.requested).toBe('auto');
    expect(choice.candidates.map((c: { id: string }) => c.id)).toEqual(['cpu', 'wasm', 'webgpu', 'node-gpu', 'cpu-plus']);
    const measured = choice.candidates.filter((c: { available: boolean }) => c.available);
    expect(measured.map((c: { id: string }) => c.id)).toContain('cpu-plus');
    const best = Math.min(...measured.map((c: { score: number }) => c.score));
    expect(measured.find((c: { id: string }) => c.id === choice.chosen).score).toBe(best);
    expect(options.backend).toBe(choice.chosen);
    for (const c of choice.candidates) expect(c.available ? c.score > 0 : c.reason.length > 0).toBe(true);
    expect(auto.stderr + auto.stdout).toContain(`--backend auto chose ${choice.chosen}: `);
  });
});
