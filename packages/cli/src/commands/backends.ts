import { z } from 'zod';
import { BACKEND_PLUGINS } from '@fbnet/core';
// Registers the built-in plugins (lazily: only @fbnet/core loads), so `--backend` is checked without loading TF.js.
import '@fbnet/bench/plugins';
import type { FlagDef } from '../flags.ts';

/** `--backend auto`: benchmark every available plugin briefly and take the fastest (search, train, bench). */
export const AUTO_BACKEND = 'auto';

/**
 * Every id `--backend` accepts, read from the registry when the command line is parsed: the built-ins, then the
 * plugins that modules named in FBNET_PLUGINS registered (main imports those before parsing), plus `auto` where allowed.
 */
export function backendChoices(auto: boolean): string[] {
  return [...BACKEND_PLUGINS.ids(), ...(auto ? [AUTO_BACKEND] : [])];
}

function backendFlag(auto: boolean): FlagDef<z.ZodOptional<z.ZodString>> {
  return {
    type: 'string',
    get expects() {
      return `one of ${backendChoices(auto).join(', ')}`;
    },
    schema: z
      .string()
      .refine((s) => backendChoices(auto).includes(s))
      .optional(),
  };
}

export const BACKEND_FLAG = backendFlag(false);
/** For commands that may pick the plugin by benchmark. */
export const BACKEND_OR_AUTO_FLAG = backendFlag(true);

/** `--backends a,b` (bench torch): a comma-separated list of registered plugin ids, read at parse time like `--backend`. */
export const BACKEND_LIST_FLAG = {
  type: 'string' as const,
  get expects() {
    return `a comma-separated list of ${backendChoices(false).join(', ')}`;
  },
  schema: z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()))
    .pipe(z.array(z.string().refine((id) => BACKEND_PLUGINS.has(id))).min(1))
    .optional(),
};
