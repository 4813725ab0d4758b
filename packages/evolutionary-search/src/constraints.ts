import type { ArchDef } from '@fbnet/core';
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

/** What an arch costs: FLOPs and params by shape propagation, latency from a latency table when one is given. */
export interface ArchCosts {
  flops: number;
  params: number;
  latencyMs?: number;
}

/**
 * Checks points of any space (given how a point becomes an arch) against constraints: FLOPs and
 * params by shape propagation, latency by `archLatency` of a latency table when one is given.
 * Costs are cached by architecture.
 */
export class ConstraintChecker<P = unknown> {
  private readonly cache = new Map<string, ArchCosts>();
  private readonly archOf: (p: P) => ArchDef;
  /** `arch`: how a point becomes an arch — a function, or a genome (anything with `arch(p)`). */
  constructor(
    arch: ((p: P) => ArchDef) | { arch(p: P): ArchDef },
    readonly constraints: Constraints,
    readonly table?: LatencyTable,
  ) {
    this.archOf = typeof arch === 'function' ? arch : (p) => arch.arch(p);
  }

  /** FLOPs, params (and latency with a table) of an arch; cached. */
  archCosts(arch: ArchDef): ArchCosts {
    const key = JSON.stringify([arch.input_size, arch.blocks]);
    let c = this.cache.get(key);
    if (!c) {
      const ac = archCost(arch);
      c = { flops: ac.flops, params: ac.params, ...(this.table ? { latencyMs: archLatency(this.table, arch).totalMs } : {}) };
      this.cache.set(key, c);
    }
    return c;
  }

  cost(p: P): CostReport {
    const c = this.archCosts(this.archOf(p));
    const k = this.constraints;
    const violations: string[] = [];
    if (k.maxFlops !== undefined && c.flops > k.maxFlops) violations.push(`FLOPs ${c.flops} > ${k.maxFlops}`);
    if (k.maxParams !== undefined && c.params > k.maxParams) violations.push(`params ${c.params} > ${k.maxParams}`);
    if (k.maxLatencyMs !== undefined) {
      if (c.latencyMs === undefined) violations.push('latency constraint without a latency table');
      else if (c.latencyMs > k.maxLatencyMs) violations.push(`latency ${c.latencyMs.toFixed(4)} ms > ${k.maxLatencyMs} ms`);
    }
    return { ...c, ok: violations.length === 0, violations };
  }

  ok(p: P): boolean {
    return this.cost(p).ok;
  }
}
