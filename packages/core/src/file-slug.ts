/** Characters a file-name slug may keep; everything else becomes `-`. */
const SLUG_ALLOWED = /[^A-Za-z0-9_.-]+/g;

/**
 * A file-name component made from an untrusted string: only `A-Z a-z 0-9 _ . -` survive (runs of
 * anything else become one `-`, runs of dots one `.`), no leading dots (no `..`, no hidden files), at most `maxLength`
 * characters; `fallback` when nothing is left.
 */
export function fileSlug(input: string, maxLength = 40, fallback = 'x'): string {
  const s = String(input).replace(SLUG_ALLOWED, '-').replace(/\.{2,}/g, '.').replace(/^[.-]+/, '').slice(0, maxLength).replace(/[.-]+$/, '');
  return s || fallback;
}
