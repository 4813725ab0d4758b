/**
 * A stage is a cold stream: this program watches a V1 search's P_θ as it trains, stops it by
 * unsubscribing when the distribution has settled enough (or after a set number of epochs), and
 * later resumes it from the checkpoint the stage left — the resumed search ends exactly where
 * an uninterrupted one would.
 *
 *   npx tsx examples/watch-and-resume.ts [out-dir]
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { filter, lastValueFrom, takeWhile, tap } from 'rxjs';
import { setupPlugin } from '@fbnet/bench';
import { getSearchSpacePreset, ofType, runStage, stagesSettled, type StageContext } from '@fbnet/core';
import type { StageData } from '@fbnet/data';
import { gumbelSupernetStage } from '@fbnet/gumbel-supernet';
import { measureLutStage } from '@fbnet/latency-lut';
import { loadFashionMnistData, SEARCH_V1_PRESETS } from '@fbnet/pipeline';
import { RunDir } from '@fbnet/runs';

/** Mean entropy of P_θ over the layers, in nats. */
const entropy = (probs: number[][]) => probs.reduce((s, p) => s - p.reduce((a, q) => a + (q > 0 ? q * Math.log(q) : 0), 0), 0) / probs.length;

export async function watchAndResume(dir: string, stopAfterEpoch = 2, log: (line: string) => void = console.log) {
  const preset = { ...SEARCH_V1_PRESETS.smoke, supernet: { ...SEARCH_V1_PRESETS.smoke.supernet, epochs: 4 } };
  const { plugin, plan } = await setupPlugin({ backend: 'wasm', plan: 'auto' });
  const run = RunDir.create(dir, { command: 'example watch-and-resume', seed: 5, options: {} });
  try {
    const ctx: StageContext<StageData> = { seed: 5, backend: { id: plugin.id, plugin, plan }, data: loadFashionMnistData(preset, undefined, 5), run };
    const space = getSearchSpacePreset(preset.space);
    const { table } = await runStage(measureLutStage({ space, timing: preset.lutTiming }, ctx));
    const search = gumbelSupernetStage({ space, table, options: preset.supernet }, ctx);

    // Watch P_θ; leaving the stream (takeWhile) unsubscribes, which stops the search with a checkpoint.
    const seen: number[] = [];
    await lastValueFrom(
      search.pipe(
        ofType('supernet/theta'),
        tap((e) => {
          seen.push(entropy(e.probs));
          log(`epoch ${e.epoch}: mean P_θ entropy ${seen.at(-1)!.toFixed(3)} nats`);
        }),
        takeWhile((e) => e.epoch < stopAfterEpoch),
      ),
      { defaultValue: undefined },
    );
    await stagesSettled();
    log(`stopped after epoch ${stopAfterEpoch}; checkpoints: ${run.checkpoints().join(', ')}`);

    // Subscribing again resumes from the checkpoint.
    const done = await runStage(search.pipe(filter((e) => e.type !== 'supernet/theta' || (e as { epoch: number }).epoch > stopAfterEpoch)));
    log(`resumed and finished: ${done.derived.ops.join(' ')} after ${done.epochs} epochs`);
    return { entropies: seen, arch: done.derived.ops, thetas: done.thetas };
  } finally {
    run.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'fbnet-example-'));
  watchAndResume(join(dir, 'run')).catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
