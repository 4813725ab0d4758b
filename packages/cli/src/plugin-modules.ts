import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BACKEND_PLUGINS, FbnetError } from '@fbnet/core';

/** The environment variable naming third-party plugin modules (comma-separated specifiers or file paths). */
export const PLUGINS_ENV = 'FBNET_PLUGINS';

const LOOKS_LIKE_PATH = /^\.{1,2}[\\/]|^[A-Za-z]:[\\/]|\.(ts|mts|js|mjs|cjs)$/;

/** A file path (relative to `cwd`) becomes a file URL; anything else is imported as a package specifier. */
function importTarget(spec: string, cwd: string): string {
  if (isAbsolute(spec) || LOOKS_LIKE_PATH.test(spec)) {
    const path = resolve(cwd, spec);
    if (!existsSync(path)) throw new FbnetError('USAGE', `${PLUGINS_ENV}: no file ${path} (from "${spec}")`);
    return pathToFileURL(path).href;
  }
  return spec;
}

/**
 * Import the plugin modules listed in FBNET_PLUGINS; each registers its plugin(s) with core's
 * BACKEND_PLUGINS when it loads, which makes `--backend <id>` accept them. Returns the ids they
 * registered. A module that fails to import is a USAGE error naming it.
 */
export async function importPluginModules(list: string, cwd = process.cwd()): Promise<string[]> {
  const before = new Set(BACKEND_PLUGINS.ids());
  for (const spec of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const target = importTarget(spec, cwd);
    try {
      await import(target);
    } catch (e) {
      throw new FbnetError('USAGE', `${PLUGINS_ENV}: cannot import "${spec}": ${(e as Error).message}`, { cause: e });
    }
  }
  return BACKEND_PLUGINS.ids().filter((id) => !before.has(id));
}
