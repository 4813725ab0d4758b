import { existsSync } from 'node:fs';
import { FbnetError, getSearchSpacePreset, parseSearchSpace, SEARCH_SPACE_PRESETS, type SearchSpace } from '@fbnet/core';
import { FILE_SIZE_CAPS, readTextCapped } from '@fbnet/core/node';

/** A preset name (`fbnet-v1-fmnist`) or a path to a search-space JSON file. */
export function loadSearchSpace(nameOrPath: string | SearchSpace): SearchSpace {
  if (typeof nameOrPath !== 'string') return parseSearchSpace(nameOrPath);
  if (SEARCH_SPACE_PRESETS.has(nameOrPath)) return getSearchSpacePreset(nameOrPath);
  if (!existsSync(nameOrPath)) {
    throw new FbnetError(
      'USAGE',
      `"${nameOrPath}" is neither a search-space preset (${SEARCH_SPACE_PRESETS.keys().sort().join(', ')}) nor a file`,
    );
  }
  const text = readTextCapped(nameOrPath, 'search space', FILE_SIZE_CAPS.searchSpace);
  try {
    return parseSearchSpace(text);
  } catch (e) {
    if (e instanceof FbnetError) throw new FbnetError(e.code, `${nameOrPath}: ${e.message}`, { cause: e });
    throw e;
  }
}
