import { readFileSync } from 'node:fs';
import { FbnetError, parseArchDef, type ArchDef } from '@fbnet/core';

export function readJsonFile(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new FbnetError('FILE_INVALID', `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new FbnetError('FILE_INVALID', `${what} ${path} is not valid JSON: ${(e as Error).message}`);
  }
}

/** Read and validate an arch def file; errors name the file and the field. */
export function readArchDef(path: string): ArchDef {
  const json = readJsonFile(path, 'arch def');
  try {
    return parseArchDef(json);
  } catch (e) {
    if (e instanceof FbnetError) throw new FbnetError(e.code, `${path}: ${e.message}`);
    throw e;
  }
}
