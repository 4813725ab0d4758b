import type { ArchDef } from '@fbnet/core';
import { jointArch, type JointPoint, type JointSpace } from '@fbnet/autotrain';
import { archLatency, type LatencyTable } from '@fbnet/latency-lut';
import { archCost } from '@fbnet/shape-propagation';

/** Resource constraints g_i(A) ≤ C_i (FBNetV3 eq. 1). Absent limits are not checked. */
export interface Constraints {
  maxFlops?: number;
  maxParams?: number;
  maxLatencyMs?: number;
}

/** What a candidate costs, and which limits it breaks. */
export interface CostReport {
  flops: number;
  params: number;
  latencyMs?: number;
  ok: boolean;
  violations: string[];
}

/** Latency of an arch def in ms; e.g. `lutLatency(table)`. */
export type LatencyModel = (arch: ArchDef) => number;

/** LAT(a) from a per-device latency table (eq. 3). Throws on blocks the table lacks. */
export function lutLatency(lut: LatencyTable): LatencyModel {
  return (arch) => archLatency(lut, arch).totalMs;
}

/**
 * Checks points of a joint space against constraints: FLOPs and params by shape propagation,
 * latency by a latency model (a latency table) when one is given. Costs are cached by architecture.
 */
export class ConstraintChecker {
  private readonly cache = new Map<string, { flops: number; params: number; latencyMs?: number }>();
  constructor(readonly space: JointSpace, readonly constraints: Constraints, private readonly latency?: LatencyModel) {}

  cost(p: JointPoint): CostReport {
    const arch = jointArch(this.space, p);
    const key = JSON.stringify([arch.input_size, arch.blocks]);
    let c = this.cache.get(key);
    if (!c) {
      const ac = archCost(arch);
      c = { flops: ac.flops, params: ac.params, ...(this.latency ? { latencyMs: this.latency(arch) } : {}) };
      this.cache.set(key, c);
    }
    const k = this.constraints;
    const violations: string[] = [];
    if (k.maxFlops !== undefined && c.flops > k.maxFlops) violations.push(`FLOPs ${c.flops} > ${k.maxFlops}`);
    if (k.maxParams !== undefined && c.params > k.maxParams) violations.push(`params ${c.params} > ${k.maxParams}`);
    if (k.maxLatencyMs !== undefined) {
      if (c.latencyMs === undefined) violations.push('latency constraint without a latency model');
      else if (c.latencyMs > k.maxLatencyMs) violations.push(`latency ${c.latencyMs.toFixed(4)} ms > ${k.maxLatencyMs} ms`);
    }
    return { ...c, ok: violations.length === 0, violations };
  }

  ok(p: JointPoint): boolean {
    return this.cost(p).ok;
  }
}
