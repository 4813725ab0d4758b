/**
 * Writes the search-space arch defs that tools/torch-flops-reference.py counts:
 *   fixtures/fbnet-v1-imagenet-sample.json  one uniform sample (seed 2019) of the FBNet-V1 ImageNet space
 *   fixtures/fbnet-v1-fmnist-largest.json   the 28x28 space's largest arch (per layer the costliest candidate)
 * Each file records the space and the choice in `meta`; the tests check they still match.
 *
 *   npx tsx packages/shape-propagation/scripts/make-reference-archs.ts
 */
import { writeFileSync } from 'node:fs';
import { archFromChoice, getSearchSpacePreset, Rng, sampleChoice, type ArchDef } from '@fbnet/core';
import { largestChoice } from './largest-choice.ts';

/** One block per line, like the fixtures copied from mobile-vision. */
function write(file: string, def: ArchDef, meta: Record<string, unknown>): void {
  const { blocks, ...top } = { ...def, meta };
  const head = Object.entries(top).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  const stages = blocks.map((st) => `    [\n${st.map((b) => `      ${JSON.stringify(b)}`).join(',\n')}\n    ]`);
  const text = `{\n${head.join('\n')}\n  "blocks": [\n${stages.join(',\n')}\n  ]\n}\n`;
  JSON.parse(text);
  writeFileSync(new URL(`../fixtures/${file}`, import.meta.url), text);
}

const imagenet = getSearchSpacePreset('fbnet-v1-imagenet');
const sample = sampleChoice(imagenet, new Rng(2019));
write('fbnet-v1-imagenet-sample.json', archFromChoice(imagenet, sample), { space: 'fbnet-v1-imagenet', choice: sample, seed: 2019 });

const fmnist = getSearchSpacePreset('fbnet-v1-fmnist');
const largest = largestChoice(fmnist);
write('fbnet-v1-fmnist-largest.json', archFromChoice(fmnist, largest), { space: 'fbnet-v1-fmnist', choice: largest, largest: 'flops' });
