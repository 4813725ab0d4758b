import { fileURLToPath } from 'node:url';
import { BACKEND_PLUGINS, FbnetError, safeAvailability, type BackendPlugin, type PluginRegistry } from '@fbnet/core';
import { benchInfer } from './bench-infer.ts';
import { benchTrain } from './bench-train.ts';

/** The reference net of the per-device suites (28×28×1, the bundled data's size). */
export const AUTO_BENCH_ARCH = fileURLToPath(new URL('../../../benchmarks/nets/fbnet-bench-28.json', import.meta.url));

export interface CandidateFigures {
  /** Median batch-1 inference latency (ms). */
  inferMs: number;
  /** Median training step (ms) at the probe's batch. */
  trainStepMs: number;
}

/** Measures one available plugin; the default runs `benchInfer` and `benchTrain` briefly on `AUTO_BENCH_ARCH`. */
export type CandidateProbe = (plugin: BackendPlugin, o: { threads?: number }) => Promise<CandidateFigures>;

export type BackendCandidate =
  | ({ id: string; available: true; score: number } & CandidateFigures)
  | { id: string; available: false; reason: string };

/** What `--backend auto` chose and why: every candidate's figures or the reason it could not run. */
export interface BackendChoice {
  requested: 'auto';
  chosen: string;
  /** One line: the winner's figures, then the others'. */
  reason: string;
  /** How a score is made (lower is faster). */
  score: string;
  candidates: BackendCandidate[];
}

export interface ChooseBackendOptions {
  /** Plugins to consider (default: every registered one). */
  ids?: string[];
  registry?: PluginRegistry;
  probe?: CandidateProbe;
  threads?: number;
}

const SCORE = 'batch-1 inference ms + training step ms (batch 16), medians on benchmarks/nets/fbnet-bench-28.json';

/** A few seconds per plugin: 10 batch-1 inferences and 3 training steps at batch 16, after a short warm-up. */
export const defaultProbe: CandidateProbe = async (plugin, o) => {
  const common = { archPath: AUTO_BENCH_ARCH, backend: plugin, plan: 'auto', threads: o.threads } as const;
  const infer = await benchInfer({ ...common, batch: 1, iterations: 10, warmup: 3 });
  const train = await benchTrain({ ...common, batch: 16, steps: 3, warmup: 1 });
  return { inferMs: infer.latencyMs, trainStepMs: train.stepMsMedian };
};

const fmt = (ms: number) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(1));

function describe(c: BackendCandidate): string {
  return c.available ? `${c.id} ${fmt(c.inferMs)} + ${fmt(c.trainStepMs)} ms` : `${c.id} unavailable (${c.reason})`;
}

/**
 * `--backend auto`: every registered plugin whose availability check passes is measured with the
 * same short benchmark (one after another, each disposed afterwards), and the lowest score wins.
 * A plugin that fails to load or to run is recorded as unavailable with the error; none left is an error.
 */
export async function chooseBackend(o: ChooseBackendOptions = {}): Promise<BackendChoice> {
  const registry = o.registry ?? BACKEND_PLUGINS;
  const probe = o.probe ?? defaultProbe;
  const candidates: BackendCandidate[] = [];
  for (const id of o.ids ?? registry.ids()) {
    let plugin: BackendPlugin;
    try {
      plugin = await registry.load(id);
    } catch (e) {
      candidates.push({ id, available: false, reason: `failed to load: ${(e as Error).message}` });
      continue;
    }
    const a = await safeAvailability(plugin);
    if (!a.available) {
      candidates.push({ id, available: false, reason: a.reason });
      continue;
    }
    try {
      const f = await probe(plugin, { threads: o.threads });
      const score = f.inferMs + f.trainStepMs;
      candidates.push({ id, available: true, inferMs: f.inferMs, trainStepMs: f.trainStepMs, score });
    } catch (e) {
      candidates.push({ id, available: false, reason: `benchmark failed: ${(e as Error).message}` });
    } finally {
      await plugin.dispose?.();
    }
  }
  const ranked = candidates.filter((c) => c.available).sort((a, b) => a.score - b.score);
  if (!ranked.length) {
    const why = candidates.map(describe).join('; ');
    throw new FbnetError('BACKEND_UNAVAILABLE', `--backend auto: no plugin can run here: ${why}`);
  }
  const best = ranked[0];
  const others = candidates.filter((c) => c !== best).map(describe);
  const reason = `${describe(best)} (fastest)${others.length ? `; ${others.join('; ')}` : ''}`;
  return { requested: 'auto', chosen: best.id, reason, score: SCORE, candidates };
}
