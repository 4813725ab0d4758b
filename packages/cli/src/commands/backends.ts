import { z } from 'zod';
import { BACKEND_PLUGINS } from '@fbnet/core';
import { KNOWN_PLUGINS } from '@fbnet/bench/plugins';
import type { FlagDef } from '../flags.ts';

/**
 * The built-in plugin ids (bench's light `plugins` entry registers them lazily, so `--backend` is checked without
 * loading TF.js). Plugins that modules named in FBNET_PLUGINS register are accepted too: the list is read when the
 * command line is parsed, after those modules ran.
 */
export const BACKEND_IDS = KNOWN_PLUGINS;

/** `--backend auto`: benchmark every available plugin briefly and take the fastest (search, train, bench). */
export const AUTO_BACKEND = 'auto';

/** Every id `--backend` accepts now: registered plugins (built-ins first), plus `auto` where allowed. */
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
