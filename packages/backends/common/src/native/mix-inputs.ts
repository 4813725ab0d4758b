/** FbnetMix's input names for a call: x0 … x{k−1}, w (k from the attrs). */
export function mixInputs(attrs: Record<string, unknown>): string[] {
  return [...Array.from({ length: attrs.k as number }, (_, i) => `x${i}`), 'w'];
}
