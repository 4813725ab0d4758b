/**
 * Channel rounding exactly as mobile-vision's `hp.get_divisible_by` (and the article's
 * copy of it): round to the nearest multiple with Python 2 rounding (half away from zero),
 * never drop below 95% of the request, never below `minVal` (default: the divisor).
 */
export function py2Round(x: number): number {
  return x >= 0 ? Math.floor(x + 0.5) : Math.ceil(x - 0.5);
}

export function getDivisibleBy(num: number, divisibleBy = 8, minVal?: number): number {
  let ret = Math.trunc(num);
  const min = minVal ?? divisibleBy;
  if (divisibleBy > 0 && num % divisibleBy !== 0) {
    ret = Math.trunc((py2Round(num / divisibleBy) || 1) * divisibleBy);
    if (ret < 0.95 * num) ret += divisibleBy;
  }
  if (ret < min) ret = min;
  return ret;
}
