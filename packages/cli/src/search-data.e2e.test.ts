import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeImageFolder, listImageFolder } from '@fbnet/data';
import { writeClassFolder } from '@fbnet/data/testing';
import { loadExportedModel, top1 } from '@fbnet/jointnas/testing';
import { fbnetAsync } from './_cli-test-support.ts';

const root = mkdtempSync(join(tmpdir(), 'fbnet-search-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** The exported model takes [null, 12, 12, 3], gives 3 outputs, and scores `data`'s test/ as the search reported. */
async function expectModelScoresTest(result: { modelPath: string; testAccuracy: number }, data: string): Promise<void> {
  await tf.setBackend('cpu');
  const model = await loadExportedModel(result.modelPath);
  expect(model.inputs[0].shape).toEqual([null, 12, 12, 3]);
  expect(model.outputs[0].shape).toEqual([null, 3]);
  const test = decodeImageFolder(listImageFolder(data), { size: 12 }).test!;
  // Same weights, another process and kernel path: at most one near-tie may fall the other way.
  expect(Math.abs(top1(model, test.images, test.labels, [12, 12, 3]) - result.testAccuracy)).toBeLessThanOrEqual(1 / test.count + 1e-9);
  model.dispose();
}

describe('fbnet search v1 --data <image folder of RGB PNGs, 3 classes>', () => {
  const data = join(root, 'rgb3');
  writeClassFolder(join(data, 'train'), [14, 16, 12], 12);
  // test/ images are 14x14: without --data-size the sizes would disagree.
  writeClassFolder(join(data, 'test'), [5, 5, 5], 14, { seed: 1000 });

  it('adapts the space, exports [null, 12, 12, 3] with 3 outputs, and the model scores test/ as reported', { timeout: 90_000 }, async () => {
    const out = join(root, 'run');
    const args = ['search', 'v1', '--preset', 'smoke', '--data', data, '--data-size', '12', '--backend', 'cpu', '--out', out, '--json'];
    const r = await fbnetAsync(args, undefined, { XDG_CACHE_HOME: join(root, 'cache') });
    if (r.code !== 0) throw new Error(`search failed (${r.code}): ${r.stderr}`);
    expect(r.stderr).toContain('fbnet-v1-fmnist@12x12x3-k3');
    const result = JSON.parse(r.last);
    const space = JSON.parse(readFileSync(join(out, 'space.json'), 'utf8'));
    expect([space.input_size, space.input_channels, space.num_classes]).toEqual([12, 3, 3]);
    const arch = JSON.parse(readFileSync(join(out, 'arch.json'), 'utf8'));
    expect([arch.input_size, arch.input_channels, arch.num_classes]).toEqual([12, 3, 3]);

    // The exported model takes raw 0..255 pixels: its normalisation layer holds the training split's statistics.
    await expectModelScoresTest(result, data);
  });

  it('refuses --data with --data-dir and with --baselines', async () => {
    const cases = [
      ['search', 'v1', '--data', data, '--data-dir', data],
      ['search', 'v3', '--data', data, '--data-dir', data],
      ['search', 'v1', '--data', data, '--baselines', join(root, 'b.json')],
      ['search', 'v1', '--data-size', '12'],
    ];
    for (const c of cases) {
      const r = await fbnetAsync(c);
      expect(r.code, c.join(' ')).toBe(2);
    }
  });

  it('search v2 --data: the V2 space carried over (resolutions scaled), a model taking [null, 12, 12, 3] with 3 outputs', { timeout: 120_000 }, async () => {
    const out = join(root, 'run-v2');
    const r = await fbnetAsync(['search', 'v2', '--preset', 'smoke', '--data', data, '--data-size', '12', '--backend', 'cpu', '--out', out, '--json'], undefined, { XDG_CACHE_HOME: join(root, 'cache') });
    if (r.code !== 0) throw new Error(`search v2 failed (${r.code}): ${r.stderr}`);
    const space = JSON.parse(readFileSync(join(out, 'space.json'), 'utf8'));
    expect([space.input_size, space.input_channels, space.num_classes, space.resolutions]).toEqual([12, 3, 3, [9, 10, 12]]);
    const result = JSON.parse(r.last);
    expect(result.modelInputSize).toBe(12);
    expect([9, 10, 12]).toContain(result.resolution);
    const json = JSON.parse(readFileSync(result.modelPath, 'utf8'));
    const layers = JSON.stringify(json.modelTopology);
    expect(layers).toContain('[null,12,12,3]');
  });

  it('search v3 --data: the joint space carried over, a model taking [null, 12, 12, 3] with 3 outputs that scores test/ as reported', { timeout: 120_000 }, async () => {
    const out = join(root, 'run-v3');
    const r = await fbnetAsync(['search', 'v3', '--preset', 'smoke', '--data', data, '--data-size', '12', '--backend', 'cpu', '--out', out, '--json'], undefined, { XDG_CACHE_HOME: join(root, 'cache') });
    if (r.code !== 0) throw new Error(`search v3 failed (${r.code}): ${r.stderr}`);
    expect(r.stderr).toContain('fbnet-v3-tiny@12x12x3-k3');
    const result = JSON.parse(r.last);
    expect(result.modelInputSize).toBe(12);
    expect(result.dataSource).toBe(data);
    const arch = JSON.parse(readFileSync(join(out, 'arch.json'), 'utf8'));
    expect([arch.input_channels, arch.num_classes]).toEqual([3, 3]);
    await expectModelScoresTest(result, data);
  });

  it('a folder with a stray file fails before a run directory exists, naming the file', async () => {
    const bad = join(root, 'bad');
    writeClassFolder(bad, [2, 2], 8);
    writeFileSync(join(bad, 'class1', 'labels.csv'), 'a,b');
    const out = join(root, 'bad-run');
    const r = await fbnetAsync(['search', 'v1', '--preset', 'smoke', '--data', bad, '--out', out, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.last).error.message).toContain(join(bad, 'class1', 'labels.csv'));
    expect(existsSync(out)).toBe(false);
  });
});
