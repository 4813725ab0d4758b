import { parseArchDef, type ArchDef } from '@fbnet/core';
import { archCost } from '@fbnet/shape-propagation';

/**
 * Proxy-head labels from shape propagation: [ln FLOPs, ln params] of an arch def
 * (FBNetV3: architecture statistics are free, so the encoder is pretrained without training runs).
 */
export function proxyTargets(arch: ArchDef): [number, number] {
  const c = archCost(parseArchDef(arch));
  return [Math.log(Math.max(c.flops, 1)), Math.log(Math.max(c.params, 1))];
}
