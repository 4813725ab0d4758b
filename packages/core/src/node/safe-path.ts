import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { FbnetError } from '../errors.ts';

export { fileSlug } from '../file-slug.ts';

function realpathOfExisting(p: string): string {
  // The deepest existing ancestor decides where a not-yet-created path really lands (symlinks).
  let cur = p;
  const rest: string[] = [];
  while (!existsSync(cur)) {
    const up = dirname(cur);
    if (up === cur) break;
    rest.unshift(cur.slice(up.length + (up.endsWith(sep) ? 0 : 1)));
    cur = up;
  }
  return resolve(realpathSync(cur), ...rest);
}

function inside(dir: string, target: string): boolean {
  const rel = relative(dir, target);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/**
 * `dir/name`, refused (USAGE, naming both) unless the path stays inside `dir` once resolved —
 * `..` segments, absolute names and symlinked parents included. Every write whose file name
 * comes from input (a posted table, a device string, a job id) goes through here.
 */
export function safeJoin(dir: string, ...name: string[]): string {
  const base = resolve(dir);
  const target = resolve(base, ...name);
  const shown = name.join('/');
  if (!inside(base, target)) {
    throw new FbnetError('USAGE', `refusing to write "${shown}": it resolves to ${target}, outside ${base}`);
  }
  const realBase = realpathOfExisting(base);
  const realTarget = realpathOfExisting(target);
  if (!inside(realBase, realTarget)) {
    throw new FbnetError('USAGE', `refusing to write "${shown}": it resolves (through a link) to ${realTarget}, outside ${realBase}`);
  }
  return target;
}
