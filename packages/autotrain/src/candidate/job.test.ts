import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FbnetError } from '@fbnet/core';
import { writeClassFolder } from '@fbnet/data/testing';
import { getJointSpacePreset } from '../space/presets.ts';
import { jointDimensions, pointFromUnit } from '../space/joint-space.ts';
import { loadCandidateData, loadUserData } from './data.ts';
import { parseCandidateJob } from './job.ts';
import { makeCandidateJob } from './make-job.ts';

const root = mkdtempSync(join(tmpdir(), 'fbnet-candidate-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
// Decoded images go to this test's cache, not the user's.
process.env.XDG_CACHE_HOME = join(root, 'cache');

const space = getJointSpacePreset('fbnet-v3-tiny');
const point = pointFromUnit(space, jointDimensions(space).map(() => 0.3));
const userSpec = (over: Record<string, unknown> = {}) => ({ source: 'path', path: join(root, 'rgb3'), valFraction: 0.2, trainImages: 24, valImages: 6, seed: 4, ...over });
/** A job as it crosses a queue: plain JSON. */
const jobWith = (data: unknown) => JSON.parse(JSON.stringify({ ...makeCandidateJob(space, point, { budget: 1, seed: 1, data: userSpec() as never }), data }));
const usage = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(FbnetError);
    return (e as Error).message;
  }
  throw new Error('expected an error');
};

describe('candidate job data spec', () => {
  it('takes Fashion-MNIST or a user data set (path, optional format and size)', () => {
    expect(parseCandidateJob(jobWith({ source: 'fashion-mnist', trainImages: 100, valImages: 50, seed: 2 })).data.source).toBe('fashion-mnist');
    const full = userSpec({ format: 'folder', size: 12 });
    expect(parseCandidateJob(jobWith(full)).data).toEqual(full);
    expect(parseCandidateJob(jobWith(userSpec())).data).toEqual(userSpec());
  });

  it('refuses a bad user data spec, naming the field', () => {
    expect(usage(() => parseCandidateJob(jobWith(userSpec({ path: 'relative/photos' }))))).toMatch(/data\.path.*absolute/);
    expect(usage(() => parseCandidateJob(jobWith(userSpec({ format: 'tiff' }))))).toMatch(/data\.format/);
    expect(usage(() => parseCandidateJob(jobWith(userSpec({ size: 0 }))))).toMatch(/data\.size/);
    expect(usage(() => parseCandidateJob(jobWith(userSpec({ valFraction: 1 }))))).toMatch(/data\.valFraction/);
    expect(usage(() => parseCandidateJob(jobWith(userSpec({ dataDir: '/x' }))))).toMatch(/dataDir/);
    const { path: _p, ...noPath } = userSpec();
    expect(usage(() => parseCandidateJob(jobWith(noPath)))).toMatch(/data\.path/);
    expect(usage(() => parseCandidateJob(jobWith({ source: 'fashion-mnist', path: '/x', trainImages: 100, valImages: 50, seed: 2 })))).toMatch(/path/);
    expect(usage(() => parseCandidateJob(jobWith({ ...userSpec(), source: 'photos' })))).toMatch(/data\.source/);
  });

  it('the job id depends on the data', () => {
    const a = makeCandidateJob(space, point, { budget: 1, seed: 1, data: userSpec() as never });
    const b = makeCandidateJob(space, point, { budget: 1, seed: 1, data: userSpec({ path: join(root, 'other') }) as never });
    expect(a.id).not.toBe(b.id);
  });
});

describe('loadCandidateData with a user data set', () => {
  it('cuts a class-balanced train/val part from the training split, with its per-channel statistics, at the resolution', () => {
    writeClassFolder(join(root, 'rgb3'), [14, 16, 12], 12);
    const spec = userSpec({ format: 'folder' }) as Parameters<typeof loadCandidateData>[0];
    const d = loadCandidateData(spec, 5);
    expect([d.train.height, d.train.width, d.train.channels]).toEqual([5, 5, 3]);
    // 30 asked; the smallest class has fewer than 10 left after the 20% val/test cuts, so every class gives that many.
    expect((d.train.count + d.val.count) % 3).toBe(0);
    expect(d.val.count).toBeGreaterThan(0);
    expect(d.normalization.mean).toHaveLength(3);
    expect(loadCandidateData(spec, 5)).toBe(d);
    expect(loadCandidateData({ ...spec }, 12).train.height).toBe(12);
  });

  it('a folder asked at its own size is read from the decoded-image cache of its unsized load (same pixels, no second decode)', () => {
    const folder = join(root, 'own-size');
    writeClassFolder(folder, [6, 6], 10);
    const plain = loadUserData({ path: folder, format: 'folder', valFraction: 0.2, seed: 1 });
    expect(plain.fromCache).toBe(false);
    const sized = loadUserData({ path: folder, format: 'folder', size: 10, valFraction: 0.2, seed: 1 });
    expect(sized.fromCache).toBe(true);
    expect(sized.train.images).toEqual(plain.train.images);
    expect(loadUserData({ path: folder, format: 'folder', size: 8, valFraction: 0.2, seed: 1 }).train.height).toBe(8);
  });

  it('a path that does not exist on this machine fails naming it', () => {
    const missing = join(root, 'not-here');
    const msg = usage(() => loadCandidateData(userSpec({ path: missing }) as never, 5));
    expect(msg).toContain(missing);
    expect(msg).toMatch(/does not exist/);
  });

  it('a resolution above the data\'s size is refused', () => {
    expect(usage(() => loadCandidateData(userSpec({ format: 'folder' }) as never, 16))).toMatch(/16x16.*12x12/);
  });
});
