import { defineStage, FbnetError, type BackendPlugin, type EventBase, type KernelPlan } from '@fbnet/core';
import type { Constraints } from '@fbnet/evolutionary-search';
import type { LatencyTable } from '@fbnet/latency-lut';
import { queueFrom, type QueueSpec } from '@fbnet/autotrain';
import { SEARCH_V3_PRESETS, type SearchV3Preset } from './presets.ts';
import { searchV3, type SearchV3Data, type SearchV3Result } from './search-v3.ts';

/** JointNAS end to end as one stage: plain-data input. */
export interface JointnasInput {
  /** A preset name (`smoke`, `quick`, `full`) or the sizes themselves. */
  preset: string | SearchV3Preset;
  /** A latency table for latency constraints and predictions. */
  latencyTable?: LatencyTable;
  /** Overrides the preset's constraints. */
  constraints?: Constraints;
  /** Directory of the full Fashion-MNIST files (default: the bundled subset). */
  dataDir?: string;
  /** The user's data set instead of Fashion-MNIST (`searchV3`'s `data`): every phase runs on it. */
  data?: SearchV3Data;
  /**
   * Where candidates train (default in process): `{ kind: 'processes', workers }` in child processes on
   * this machine (on the context's backend and kernel plan unless the spec names a backend), or
   * `{ kind: 'redis', connection }` on `fbnet worker`s. One queue serves the coarse stage and the
   * verification of the fine stage's proposals; it is closed when the stage ends.
   */
  queue?: QueueSpec;
}

/**
 * `searchV3` as a stage: coarse stage → fine stage → final training → export, in the context's
 * run (required), on the context's backend plugin. Unsubscribing cancels the running sub-stage
 * within one step; the run's files and checkpoints resume it.
 */
export const jointnasStage = defineStage<JointnasInput, SearchV3Result, EventBase>('jointnas', async (input, ctx, io) => {
  if (!ctx.run) throw new FbnetError('USAGE', 'jointnas: the stage needs a run directory');
  const plugin = ctx.backend.plugin as BackendPlugin | undefined;
  if (!plugin) throw new FbnetError('USAGE', `jointnas: the context's backend ${ctx.backend.id} has no plugin`);
  const preset = typeof input.preset === 'string' ? SEARCH_V3_PRESETS[input.preset] : input.preset;
  if (!preset) throw new FbnetError('USAGE', `jointnas: unknown preset "${String(input.preset)}" (${Object.keys(SEARCH_V3_PRESETS).join(', ')})`);
  // The children (processes) train on this stage's plugin and plan, as the parent does.
  const queue = input.queue && input.queue.kind !== 'in-process' ? queueFrom(input.queue, { id: plugin.id, plan: ctx.backend.plan }).queue : undefined;
  try {
    return await searchV3(
      ctx.run,
      { backend: plugin, ...(ctx.backend.plan ? { plan: ctx.backend.plan as KernelPlan } : {}), log: (e) => io.emit(e), info: (l) => io.info(l), signal: io.signal, ...(queue ? { queue } : {}) },
      {
        preset,
        presetName: typeof input.preset === 'string' ? input.preset : 'custom',
        seed: ctx.seed,
        ...(ctx.prefix ? { prefix: ctx.prefix } : {}),
        ...(input.dataDir ? { dataDir: input.dataDir } : {}),
        ...(input.data ? { data: input.data } : {}),
        ...(input.latencyTable ? { lut: input.latencyTable } : {}),
        ...(input.constraints ? { constraints: input.constraints } : {}),
      },
    );
  } finally {
    await queue?.close?.();
  }
});
