import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runStage, type EventBase } from '@fbnet/core';
import { writeClassFolder } from '@fbnet/data/testing';
import { stockCpu } from '@fbnet/jointnas/testing';
import { RunDir } from '@fbnet/runs';
import { pipelineStage } from './runner.ts';
import { parsePipeline } from './schema.ts';
import './stages.ts';

const root = mkdtempSync(join(tmpdir(), 'fbnet-v3-pipeline-data-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
// Decoded images go to this test's cache, not the user's.
process.env.XDG_CACHE_HOME = join(root, 'cache');
const data = join(root, 'rgb3');
writeClassFolder(join(data, 'train'), [14, 16, 12], 12);
writeClassFolder(join(data, 'test'), [5, 5, 5], 12, { seed: 1000 });

beforeAll(async () => {
  tf.env().set('PROD', true);
  await tf.setBackend('cpu');
});

const runPipeline = (name: string, stages: Record<string, unknown>[]) => {
  const pipeline = parsePipeline({ name, preset: 'smoke', data: { source: 'path', path: data }, stages });
  const run = RunDir.create(join(root, name), { command: 'run', seed: 3, options: {} });
  const events: EventBase[] = [];
  const done = runStage(pipelineStage({ pipeline }, { seed: 3, backend: { id: 'cpu', plugin: stockCpu }, run }), { onEvent: (e) => events.push(e) });
  return { run, events, done };
};

describe('V3 stages on the pipeline\'s user data (data.source "path")', () => {
  it('jointnas: candidates and the final training run on the data; the model takes its images and classes', { timeout: 180_000 }, async () => {
    const { run, events, done } = runPipeline('jointnas', [{ stage: 'jointnas' }]);
    const r = await done;
    expect(events.some((e) => e.type === 'queue/job-failed')).toBe(false);
    const arch = JSON.parse(readFileSync(run.file('arch.json'), 'utf8'));
    expect([arch.input_channels, arch.num_classes]).toEqual([3, 3]);
    const result = JSON.parse(readFileSync(run.file('result.json'), 'utf8'));
    expect(result.space).toBe('fbnet-v3-tiny@12x12x3-k3');
    expect(result.modelInputSize).toBe(12);
    expect(JSON.stringify(JSON.parse(readFileSync(run.file('model/model.json'), 'utf8')).modelTopology)).toContain('[null,12,12,3]');
    expect(r.testAccuracy).toBe(result.testAccuracy);
    run.close();
  });

  it('autotrain over the pipeline\'s space trains its candidates on the data; over the joint space it is refused naming the data', { timeout: 180_000 }, async () => {
    const { run, events, done } = runPipeline('over-space', [{ stage: 'autotrain', over: 'space', epochs: 1, iterations: 1, perIteration: 2 }]);
    await done;
    expect(events.filter((e) => e.type === 'queue/job-completed').length).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'queue/job-failed')).toBe(false);
    const file = JSON.parse(readFileSync(run.file('candidates.json'), 'utf8'));
    expect([file.space.input_size, file.space.input_channels, file.space.num_classes]).toEqual([12, 3, 3]);
    run.close();
    const joint = runPipeline('joint', [{ stage: 'autotrain' }]);
    await expect(joint.done).rejects.toThrow(new RegExp(`"autotrain": the joint space searches on Fashion-MNIST here; on ${data}`));
    joint.run.close();
  });
});
