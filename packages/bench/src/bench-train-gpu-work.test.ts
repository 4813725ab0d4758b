import { afterAll, describe, expect, it } from 'vitest';
import { benchTrain, resolvePlugin } from './index.ts';

// Tiny net: the plumbing of the per-step GPU work counts (issue 14), never timings.
const ARCH = { name: 'tiny', input_size: 8, input_channels: 1, num_classes: 3, blocks: [[['conv_k3', 4, 2, 1]], [['ir_k3', 4, 1, 1, { expansion: 2 }]]] };
const webgpu = await resolvePlugin('webgpu');
const availability = await webgpu.availability();

it('benchTrain on a CPU plugin reports no GPU work', async () => {
  const r = await benchTrain({ arch: ARCH as never, backend: 'cpu', batch: 2, steps: 2, warmup: 1 });
  expect(r.gpuWork).toBeUndefined();
  await (await resolvePlugin('cpu')).dispose?.();
});

describe.skipIf(!availability.available)(
  availability.available ? `benchTrain on webgpu (${availability.detail})` : `benchTrain on webgpu (skipped: ${availability.reason})`,
  () => {
    afterAll(() => webgpu.dispose?.());
    it('reports the WebGPU calls per step: the loss read only, no pipeline compiled in steady state', async () => {
      const r = await benchTrain({ arch: ARCH as never, backend: 'webgpu', batch: 2, steps: 3, warmup: 1 });
      expect(r.tensorLeak).toBe(0);
      // The untimed first step is not counted: 3 timed + 1 warm-up steps.
      expect(r.gpuWork?.steps).toBe(4);
      expect(r.gpuWork?.perStep).toMatchObject({ gpuReads: 1, mapAsyncs: 1, readSyncs: 0, pipelines: 0 });
      expect(r.gpuWork!.perStep.submits).toBeGreaterThanOrEqual(1);
      expect(r.gpuWork!.perStep.uniformWrites).toBe(r.gpuWork!.perStep.bindGroups);
    });
    it('with --read-every 2, half the steps read the loss back', async () => {
      const r = await benchTrain({ arch: ARCH as never, backend: 'webgpu', batch: 2, steps: 4, warmup: 0, readEvery: 2 });
      // Steps 2..5 of the run are counted (the first is the untimed one): steps 2 and 4 read.
      expect(r.gpuWork).toMatchObject({ steps: 4, perStep: { gpuReads: 0.5, mapAsyncs: 0.5, readSyncs: 0, pipelines: 0 } });
    });
  },
);

it('benchTrain --read-every N reads the loss every N steps (the first step always)', async () => {
  const r = await benchTrain({ arch: ARCH as never, backend: 'cpu', batch: 2, steps: 4, warmup: 0, readEvery: 2 });
  expect(r.readEvery).toBe(2);
  expect(Number.isFinite(r.lossLast) && Number.isFinite(r.lossFirst)).toBe(true);
  expect(r.tensorLeak).toBe(0);
  await (await resolvePlugin('cpu')).dispose?.();
});
