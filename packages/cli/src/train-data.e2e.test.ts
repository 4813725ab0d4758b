import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DATA_FORMATS } from '@fbnet/data';
import { writeClassFolder } from '@fbnet/data/testing';
import { fbnetAsync } from './_cli-test-support.ts';
import { DATA_FORMAT_NAMES } from './data-flags.ts';

const root = mkdtempSync(join(tmpdir(), 'fbnet-train-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const env = { XDG_CACHE_HOME: join(root, 'cache') };

function arch(channels: number, classes: number): string {
  const path = join(root, `arch-${channels}-${classes}.json`);
  const def = {
    input_size: 12,
    input_channels: channels,
    num_classes: classes,
    basic_args: { width_divisor: 1 },
    blocks: [[['conv_k3', 8, 2, 1]], [['ir_k3', 8, 1, 1, { expansion: 1 }]], [['ir_k3', 16, 2, 1, { expansion: 3 }]]],
  };
  writeFileSync(path, JSON.stringify(def));
  return path;
}

describe('fbnet train --data <image folder>', () => {
  const data = join(root, 'rgb3');
  // 16x16 PNGs resized to the arch's 12x12 input.
  writeClassFolder(data, [20, 22, 18], 16);

  it('trains on 3-class RGB PNGs and exports [null, H, W, 3] with 3 outputs; the second run reads the cache', { timeout: 60_000 }, async () => {
    const out = join(root, 'run');
    const r = await fbnetAsync(['train', arch(3, 3), '--data', data, '--epochs', '1', '--batch', '8', '--out', out, '--json'], undefined, env);
    if (r.code !== 0) throw new Error(`train failed (${r.code}): ${r.stderr}`);
    expect(r.stderr).toContain('folder, 3 classes, 12x12x3');
    const result = JSON.parse(r.last);
    expect(result.testAccuracy).toBeGreaterThanOrEqual(0);
    const model = JSON.parse(readFileSync(join(out, 'model', 'model.json'), 'utf8'));
    const topo = JSON.stringify(model.modelTopology);
    expect(topo).toContain('"batch_input_shape":[null,12,12,3]');
    expect(topo).toMatch(/"units":3\b/);
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.options.data).toEqual({ path: data, format: 'auto' });

    const again = await fbnetAsync(['train', arch(3, 3), '--data', data, '--data-format', 'folder', '--epochs', '1', '--out', join(root, 'run2')], undefined, env);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout + again.stderr).toContain('decoded images read from');
  });

  it('says what to change in the arch def when channels or classes do not match, and creates no run', { timeout: 60_000 }, async () => {
    const out = join(root, 'bad');
    const ch = await fbnetAsync(['train', arch(1, 3), '--data', data, '--out', out, '--json'], undefined, env);
    expect(ch.code).toBe(2);
    expect(JSON.parse(ch.last).error.message).toContain('set "input_channels": 3');
    const k = await fbnetAsync(['train', arch(3, 10), '--data', data, '--out', out], undefined, env);
    expect(k.code).toBe(2);
    expect(k.stdout + k.stderr).toContain('has 3 classes (class0, class1, class2); set "num_classes": 3');
    const both = await fbnetAsync(['train', arch(3, 3), '--data', data, '--data-dir', data]);
    expect(both.code).toBe(2);
    expect(both.stdout + both.stderr).toContain('--data and --data-dir');
  });

  it('the CLI flag lists the formats @fbnet/data knows', () => {
    expect([...DATA_FORMAT_NAMES]).toEqual([...DATA_FORMATS]);
  });
});
