import { readFileSync } from 'node:fs';
import { FbnetError, getSearchSpacePreset, parseSearchSpace, SEARCH_SPACE_PRESETS, type SearchSpace } from '@fbnet/core';

/** A preset name (`fbnet-v1-fmnist`) or a path to a search-space JSON file. */
export function loadSearchSpace(nameOrPath: string | SearchSpace): SearchSpace {
  if (typeof nameOrPath !== 'string') return parseSearchSpace(nameOrPath);
  if (SEARCH_SPACE_PRESETS.has(nameOrPath)) return getSearchSpacePreset(nameOrPath);
  let text: string;
  try {
    text = readFileSync(nameOrPath, 'utf8');
  } catch (e) {
    throw new FbnetError(
      'USAGE',
      `"${nameOrPath}" is neither a search-space preset (${SEARCH_SPACE_PRESETS.keys().sort().join(', ')}) nor a readable file: ${(e as Error).message}`,
    );
  }
  return parseSearchSpace(text);
}
