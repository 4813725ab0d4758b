/**
 * Run the V2 pipeline without the CLI (until `fbnet search v2` wraps `searchV2`):
 *   tsx scripts/search-v2.ts <out-dir> [quick|smoke|full] [wasm|cpu] [seed]
 * Re-running with the same out-dir resumes it. Events go to <out-dir>/events.jsonl.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { EventBase } from '@fbnet/core';
import { RunDir } from '@fbnet/runs';
import { SEARCH_V2_PRESETS, searchV2 } from '../src/index.ts';

const [out = 'runs/v2-quick', presetName = 'quick', backendId = 'wasm', seed = '0'] = process.argv.slice(2);
const plugin = backendId === 'wasm' ? (await import('@fbnet/backend-wasm')).createWasmPlugin() : (await import('@fbnet/backend-cpu')).createCpuPlugin();
tf.env().set('PROD', true);
await plugin.init({});
const run = existsSync(join(out, 'config.json')) ? RunDir.open(out) : RunDir.create(out, { command: 'search v2', seed: Number(seed), options: { preset: presetName, backend: backendId } });
const ac = new AbortController();
process.once('SIGINT', () => ac.abort());
let lastProgress = 0;
const result = await searchV2(
  run,
  {
    backend: plugin,
    log: (e: EventBase) => {
      run.appendEvent(e);
      if (e.type === 'stage/progress' && Date.now() - lastProgress > 15000) {
        lastProgress = Date.now();
        const p = e as EventBase & { stage: string; phase: string; done: number; total: number; etaSec?: number };
        console.log(`  ${p.stage}: ${p.phase} ${p.done}/${p.total}${p.etaSec !== undefined ? ` eta ${p.etaSec.toFixed(0)}s` : ''}`);
      }
    },
    info: (line: string) => console.log(line),
  },
  { preset: SEARCH_V2_PRESETS[presetName], presetName, signal: ac.signal },
);
run.writeJson('result.json', result);
console.log(JSON.stringify(result, null, 2));
