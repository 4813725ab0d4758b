import { FbnetError, parseArchDef, type ArchDef } from '@fbnet/core';
import { FILE_SIZE_CAPS, readJsonCapped } from '@fbnet/core/node';

/** A JSON file a user names, read with a size cap; errors (FILE_INVALID) name the file. */
export function readJsonFile(path: string, what: string, maxBytes: number = FILE_SIZE_CAPS.runJson): unknown {
  return readJsonCapped(path, what, maxBytes);
}

/** Read and validate an arch def file; errors name the file and the field. */
export function readArchDef(path: string): ArchDef {
  const json = readJsonFile(path, 'arch def', FILE_SIZE_CAPS.archDef);
  try {
    return parseArchDef(json);
  } catch (e) {
    if (e instanceof FbnetError) throw new FbnetError(e.code, `${path}: ${e.message}`);
    throw e;
  }
}
