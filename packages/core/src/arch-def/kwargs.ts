/**
 * Block kwargs: the dict entries after `[op, c, s, n, ...]`, merged left to right
 * (nested dicts such as `dw_args` merge key by key, as mobile-vision's `update_dict`).
 */
export interface BlockKwargs {
  expansion?: number;
  dw_args?: { padding?: number | [number, number] };
  less_se_channels?: boolean;
  zero_last_bn_gamma?: boolean;
  bias?: boolean;
  pw_groups?: number;
  pwl_groups?: number;
  dw_group_ratio?: number;
  width_divisor?: number;
}

export type KwargName = keyof BlockKwargs;

interface KwargRule {
  check(value: unknown): string | null;
}

const positiveNumber: KwargRule = {
  check: (v) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? null : 'must be a positive number'),
};
const positiveInt: KwargRule = {
  check: (v) => (Number.isInteger(v) && (v as number) > 0 ? null : 'must be a positive integer'),
};
const boolean: KwargRule = { check: (v) => (typeof v === 'boolean' ? null : 'must be true or false') };

/** Known kwargs and how each is checked. `dw_args` is checked key by key in `checkDwArgs`. */
export const KWARG_RULES: Record<Exclude<KwargName, 'dw_args'>, KwargRule> = {
  expansion: positiveNumber,
  less_se_channels: boolean,
  zero_last_bn_gamma: boolean,
  bias: boolean,
  pw_groups: positiveInt,
  pwl_groups: positiveInt,
  dw_group_ratio: positiveInt,
  width_divisor: positiveInt,
};

export const KNOWN_KWARGS: readonly KwargName[] = [...Object.keys(KWARG_RULES), 'dw_args'] as KwargName[];

/** Returns [field, problem] or null. */
export function checkDwArgs(v: unknown): [string, string] | null {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return ['dw_args', 'must be an object'];
  for (const [k, val] of Object.entries(v)) {
    if (k !== 'padding') return [`dw_args.${k}`, `unknown kwarg (known in dw_args: padding)`];
    const ok =
      (Number.isInteger(val) && (val as number) >= 0) ||
      (Array.isArray(val) && val.length === 2 && val.every((x) => Number.isInteger(x) && x >= 0));
    if (!ok) return ['dw_args.padding', 'must be a non-negative integer or a pair [rows, cols]'];
  }
  return null;
}

export function mergeKwargs(parts: Record<string, unknown>[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const p of parts) {
    for (const [k, v] of Object.entries(p)) {
      const prev = out[k];
      if (isPlainObject(prev) && isPlainObject(v)) out[k] = { ...prev, ...v };
      else out[k] = v;
    }
  }
  return out;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
