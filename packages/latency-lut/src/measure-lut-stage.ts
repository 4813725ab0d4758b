import { defineStage, FbnetError, type BackendPlugin, type KernelPlan, type SearchSpace } from '@fbnet/core';
import type { LutEvent, LutStreamEventMap } from './events.ts';
import { MeasurementAborted, type TimingOptions } from './timing.ts';
import { runMeasureLut, type LutEmit } from './measure-lut.ts';
import { nodeFingerprint } from './node-device.ts';
import type { LatencyTable } from './schema.ts';
import { loadLut, lutExists } from './storage.ts';

/** What `measureLutStage` measures. */
export interface MeasureLutStageInput {
  space: SearchSpace;
  /** Per-entry time budget etc.; a resumed table keeps the timing it was started with. */
  timing?: Partial<TimingOptions>;
  /** Adopt a table (to reuse or resume) measured under another device fingerprint. */
  force?: boolean;
  /** A table file to reuse: refused unless it was measured on this device (fingerprint of the context's plugin and plan) or `force`; entries it lacks are measured. */
  reuse?: string;
  /** Entries timed together in interleaved rounds (see `MeasureLutInput.groupSize`). */
  groupSize?: number;
}

export interface MeasureLutStageResult {
  table: LatencyTable;
  /** The table file relative to the run (`<prefix>lut.json`); absent when the context has no run. */
  path?: string;
  /** Entries measured by this stage (over all its resumed sessions: those of this session). */
  measured: number;
  /** Entries the space needed that were already in the table (reused or measured before a cancellation). */
  reused: number;
}

/** The stage's own events: latency-lut's measure events; `lut/completed` without the table (the result carries it). */
export type MeasureLutStageEvent =
  | Exclude<LutEvent, { type: 'lut/completed' | 'stage/started' | 'stage/completed' }>
  | ({ type: 'lut/completed' } & Omit<LutStreamEventMap['lut/completed'], 'table'>);

/**
 * Stage `latency-lut`: measure the latency table of `input.space` on the context's backend
 * plugin and kernel plan (`context.backend.plugin` / `.plan`) into `<prefix>lut.json` of the
 * run, or start from the table `input.reuse` after checking it belongs to this device.
 * The table file is saved after every entry; unsubscribing stops within one entry, and the
 * same stage on the same run measures only the entries still missing.
 */
export const measureLutStage = defineStage<MeasureLutStageInput, MeasureLutStageResult, MeasureLutStageEvent>('latency-lut', async (input, ctx, io) => {
  const plugin = ctx.backend.plugin as BackendPlugin | undefined;
  if (!plugin) throw new FbnetError('USAGE', `the latency-lut stage needs the backend plugin of "${ctx.backend.id}" in its context (context.backend.plugin)`);
  const plan = ctx.backend.plan as KernelPlan | undefined;
  const name = `${ctx.prefix ?? ''}lut.json`;
  const out = ctx.run?.file(name);
  let existing: LatencyTable | undefined;
  if (input.reuse && !(out && lutExists(out))) {
    existing = loadLut(input.reuse, { device: nodeFingerprint(plugin, plan), force: input.force });
    io.info(`latency table: reusing ${input.reuse} (${existing.entries.length} entries)`);
  }
  const emit: LutEmit = (type, payload) => {
    if (type === 'stage/started' || type === 'stage/completed') return;
    if (type === 'lut/completed') {
      const { table: _t, ...summary } = payload as LutStreamEventMap['lut/completed'];
      io.emit({ type, ...summary });
      return;
    }
    io.emit({ type, ...payload } as MeasureLutStageEvent);
  };
  try {
    const r = await runMeasureLut(
      { space: input.space, out, resume: true, force: input.force, existing, timing: input.timing, groupSize: input.groupSize, seed: ctx.seed },
      { backend: plugin, plan },
      io.signal,
      emit,
    );
    if (!r) return undefined as never; // cancelled: the table file holds every entry measured so far
    return { table: r.table, ...(out ? { path: name } : {}), measured: r.measured, reused: r.reused };
  } catch (e) {
    if (io.signal.aborted && e instanceof MeasurementAborted) return undefined as never;
    throw e;
  }
});
