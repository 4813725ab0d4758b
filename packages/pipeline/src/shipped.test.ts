import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PIPELINE_STAGES } from './catalog.ts';
import { checkPipeline } from './check.ts';
import { readPipelineFile } from './schema.ts';
import './stages.ts';

const dir = fileURLToPath(new URL('../../../pipelines/', import.meta.url));
const doc = readFileSync(fileURLToPath(new URL('../../../docs/pipelines.md', import.meta.url)), 'utf8');

describe('shipped pipelines and their documentation', () => {
  it('every shipped pipeline type-checks, at every preset', () => {
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) {
      const p = readPipelineFile(`${dir}${f}`);
      for (const preset of ['smoke', 'quick', 'full'] as const) {
        // V2's full preset searches on latency: without a latency-lut stage the chain is refused, naming the table.
        if (f === 'v2.json' && preset === 'full') expect(() => checkPipeline({ ...p, preset }), f).toThrow(/stage 1 "dmasking" needs a latency table \(latency-table\)/);
        else expect(() => checkPipeline({ ...p, preset }), `${f} at ${preset}`).not.toThrow();
      }
    }
  });
  it('docs/pipelines.md has every registered stage in its consumes/produces table and every shipped file', () => {
    for (const name of PIPELINE_STAGES.keys()) expect(doc, name).toContain(`| \`${name}\` |`);
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json'))) expect(doc, f).toContain(`\`${f}\``);
  });
});
