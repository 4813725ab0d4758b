import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJointSpacePreset, jointArch, pointFromUnit, jointDimensions, resizeDataset, sobolPoints, type CandidateEvent } from '@fbnet/autotrain';
import { archCost } from '@fbnet/shape-propagation';
import { FbnetError, type EventBase } from '@fbnet/core';
import { decodeImageFolder, listImageFolder } from '@fbnet/data';
import { writeClassFolder } from '@fbnet/data/testing';
import { RunDir } from '@fbnet/runs';
import { adaptJointSpaceToData, scaleConstraintsToSpace } from './data-space.ts';
import { areaMatrix } from './export-resized.ts';
import { SEARCH_V3_PRESETS } from './presets.ts';
import { loadExportedModel, stockCpu, top1 } from './testing.ts';
import { searchV3 } from './search-v3.ts';

beforeAll(() => {
  tf.env().set('PROD', true);
});

const shape = (h: number, c: number, k: number) => ({ path: '/data', height: h, width: h, channels: c, classNames: Array.from({ length: k }, (_, i) => `c${i}`) });

describe('adaptJointSpaceToData', () => {
  it('takes the data\'s channels and classes and scales the resolutions with the image size', () => {
    const s = adaptJointSpaceToData(getJointSpacePreset('fbnet-v3-fmnist'), shape(12, 3, 5));
    expect(s.name).toBe('fbnet-v3-fmnist@12x12x3-k5');
    expect([s.input_channels, s.num_classes]).toEqual([3, 5]);
    expect(s.arch.resolution).toEqual({ kind: 'choice', values: [9, 10, 12] });
    const a = jointArch(s, pointFromUnit(s, jointDimensions(s).map(() => 0.99)));
    expect([a.input_size, a.input_channels, a.num_classes]).toEqual([12, 3, 5]);
    // 28x28x1 with 10 classes is the preset's own data: the space is unchanged.
    const same = getJointSpacePreset('fbnet-v3-fmnist');
    expect(adaptJointSpaceToData(same, shape(28, 1, 10))).toBe(same);
    expect(adaptJointSpaceToData(getJointSpacePreset('fbnet-v3-tiny'), shape(56, 1, 10)).arch.resolution).toEqual({ kind: 'choice', values: [16, 24] });
  });

  it('refuses non-square images, naming the data', () => {
    expect(() => adaptJointSpaceToData(getJointSpacePreset('fbnet-v3-tiny'), { ...shape(12, 3, 3), width: 16 })).toThrow(/\/data: images are 16x12/);
  });
});

describe('scaleConstraintsToSpace', () => {
  it('scales a preset\'s FLOPs budget with the carried-over archs\' cost: about the same share of the space fits', () => {
    const preset = getJointSpacePreset('fbnet-v3-fmnist');
    const share = (space: typeof preset, maxFlops: number) => {
      const pts = sobolPoints(200, jointDimensions(space).length, { shiftSeed: 9 }).map((u) => pointFromUnit(space, u));
      return pts.filter((p) => archCost(jointArch(space, p)).flops <= maxFlops).length / pts.length;
    };
    const big = adaptJointSpaceToData(preset, shape(64, 3, 10));
    expect(share(big, 1e6)).toBe(0);
    const scaled = scaleConstraintsToSpace({ maxFlops: 1e6, maxParams: 50_000 }, preset, big);
    expect(scaled.maxFlops).toBeGreaterThan(4e6);
    expect(scaled.maxParams).toBeGreaterThan(50_000);
    expect(Math.abs(share(big, scaled.maxFlops!) - share(preset, 1e6))).toBeLessThan(0.1);
    expect(scaleConstraintsToSpace({ maxFlops: 1e6, maxLatencyMs: 2 }, preset, preset)).toEqual({ maxFlops: 1e6, maxLatencyMs: 2 });
  });
});

describe('areaMatrix', () => {
  it('gives the weights resizeDataset averages with (before rounding to bytes)', () => {
    const H = 12, r = 5;
    const img = Uint8Array.from({ length: H * H }, (_, i) => (i * 37) % 256);
    const ref = resizeDataset({ images: img, labels: new Uint8Array(1), count: 1, height: H, width: H, channels: 1, classNames: ['a'] }, r).images;
    const m = areaMatrix(H, r);
    for (let o = 0; o < r; o++) expect([...Array(H).keys()].reduce((s, i) => s + m[i * r + o], 0)).toBeCloseTo(1, 6);
    for (let y = 0; y < r; y++)
      for (let x = 0; x < r; x++) {
        let v = 0;
        for (let i = 0; i < H; i++) for (let j = 0; j < H; j++) v += m[i * r + y] * m[j * r + x] * img[i * H + j];
        expect(Math.abs(v - ref[y * r + x])).toBeLessThanOrEqual(0.5 + 1e-4); // float32 weights
      }
  });
});

describe('searchV3 on a user image folder (3 classes, RGB, 12 px)', () => {
  const root = mkdtempSync(join(tmpdir(), 'fbnet-v3-data-'));
  const data = join(root, 'rgb3');
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  // Decoded images go to this test's cache, not the user's.
  process.env.XDG_CACHE_HOME = join(root, 'cache');
  writeClassFolder(join(data, 'train'), [14, 16, 12], 12);
  writeClassFolder(join(data, 'test'), [5, 5, 5], 12, { seed: 1000 });

  it('searches the carried-over space, exports [null, 12, 12, 3] with 3 outputs that scores test/ as reported', async () => {
    const run = RunDir.create(join(root, 'run'), { command: 'search v3', seed: 1, options: { preset: 'smoke' } });
    const jobs: CandidateEvent[] = [];
    const lines: string[] = [];
    const ctx = { backend: stockCpu, log: (e: EventBase) => e.type.startsWith('queue/') && jobs.push(e as CandidateEvent), info: (l: string) => lines.push(l) };
    const preset = SEARCH_V3_PRESETS.smoke;
    const r = await searchV3(run, ctx, { preset, presetName: 'smoke', data: { path: data } });
    expect(r.space).toBe('fbnet-v3-tiny@12x12x3-k3');
    expect(r.dataSource).toBe(data);
    expect(r.modelInputSize).toBe(12);
    // The preset's budget, carried over to the smaller (12 px, 3-class) archs, and met.
    expect(r.constraints.maxFlops).toBeLessThan(preset.constraints.maxFlops!);
    expect(r.flops).toBeLessThanOrEqual(r.constraints.maxFlops!);
    expect(jobs.some((e) => e.type === 'queue/job-completed')).toBe(true);
    expect(jobs.some((e) => e.type === 'queue/job-failed')).toBe(false);
    const arch = JSON.parse(readFileSync(r.archPath, 'utf8'));
    expect([arch.input_channels, arch.num_classes]).toEqual([3, 3]);
    expect([3, 5]).toContain(arch.input_size);

    const model = await loadExportedModel(r.modelPath);
    expect(model.inputs[0].shape).toEqual([null, 12, 12, 3]);
    expect(model.outputs[0].shape).toEqual([null, 3]);
    const test = decodeImageFolder(listImageFolder(data)).test!;
    expect(top1(model, test.images, test.labels, [12, 12, 3])).toBeCloseTo(r.testAccuracy, 9);
    model.dispose();
    run.close();
  }, 180_000);

  it('a data path that does not exist fails naming it', async () => {
    const run = RunDir.create(join(root, 'run-missing'), { command: 'search v3', seed: 1, options: {} });
    const ctx = { backend: stockCpu, log: () => undefined, info: () => undefined };
    const missing = join(root, 'nope');
    const err = await searchV3(run, ctx, { preset: SEARCH_V3_PRESETS.smoke, presetName: 'smoke', data: { path: missing } }).then(() => undefined, (e: unknown) => e);
    run.close();
    expect(err).toBeInstanceOf(FbnetError);
    expect((err as Error).message).toContain(missing);
  });
});
