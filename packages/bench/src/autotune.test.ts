import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseArchDef } from '@fbnet/core';
import { planFileName } from '@fbnet/backend-common';
// A third-party plugin (the docs' example): no plan is committed for it, so `auto` must tune one.
import '../../../docs/examples/cpu-plus-plugin.ts';
import { setupPlugin } from './setup.ts';

const TINY = parseArchDef({ input_size: 8, input_channels: 1, num_classes: 4, blocks: [[['conv_k3', 8, 2, 1]], [['ir_k3', 8, 1, 1, { expansion: 2 }]]] });
const dir = mkdtempSync(join(tmpdir(), 'fbnet-plans-'));
let before: string | undefined;

describe('kernel plan tuned on first use', () => {
  beforeAll(() => {
    before = process.env.FBNET_PLANS_DIR;
    process.env.FBNET_PLANS_DIR = dir;
  });
  afterAll(() => {
    if (before === undefined) delete process.env.FBNET_PLANS_DIR;
    else process.env.FBNET_PLANS_DIR = before;
  });

  it('without a plan for the device: none unless asked; asked, it tunes one, caches it per user, and the next start loads it', { timeout: 120_000 }, async () => {
    const none = await setupPlugin({ backend: 'cpu-plus', plan: 'auto' });
    expect(none.plan).toBeUndefined();

    const said: string[] = [];
    let progress = 0;
    const tuned = await setupPlugin({ backend: 'cpu-plus', plan: 'auto', autotune: { arch: TINY, batch: 2, timeMs: 2, onStart: (m) => said.push(m), onProgress: (d) => (progress = d) } });
    expect(tuned.plan).toBeDefined();
    expect(tuned.plan!.entries.length).toBeGreaterThan(0);
    expect(said[0]).toMatch(/no kernel plan for this device/);
    expect(progress).toBeGreaterThan(0);
    const { planHash: _h, ...device } = tuned.fingerprint;
    const file = join(dir, planFileName(device));
    expect(existsSync(file)).toBe(true);
    // The fingerprint the plan is keyed on names the hardware and runtime, not the OS build.
    expect(file).not.toMatch(/\d+\.\d+\.\d+-/);

    // The next start finds the cached plan without tuning.
    const again = await setupPlugin({ backend: 'cpu-plus', plan: 'auto', autotune: { onStart: () => said.push('tuned again') } });
    expect(said).toHaveLength(1);
    expect(again.plan).toEqual(tuned.plan);
    expect(again.fingerprint.planHash).toBe(tuned.fingerprint.planHash);
  });
});
