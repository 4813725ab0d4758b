import { filter, type Observable, type OperatorFunction } from 'rxjs';

/**
 * Stage events: plain, serializable objects, a discriminated union on `type`
 * (`<package>/<what-happened>`, past tense). Tensors never travel on a stream.
 */
export interface EventBase {
  type: string;
}

/** Turn a map `{ 'pkg/thing-happened': payload }` into the union of `{ type, ...payload }`. */
export type EventUnion<M extends Record<string, object>> = {
  [K in keyof M & string]: { type: K } & M[K];
}[keyof M & string];

/** Events every stage may emit. */
export type CoreEventMap = {
  'stage/started': { stage: string; config?: Record<string, unknown> };
  /** Progress of a phase: `done` of `total` units, with an ETA in seconds when known. */
  'stage/progress': { stage: string; phase: string; done: number; total: number; etaSec?: number; note?: string };
  'stage/completed': { stage: string; result?: Record<string, unknown> };
  'stage/error': { stage: string; code: string; message: string };
  'stage/log': { stage: string; level: 'info' | 'warn'; message: string };
};
export type CoreEvent = EventUnion<CoreEventMap>;

export function event<M extends Record<string, object>, K extends keyof M & string>(type: K, payload: M[K]): { type: K } & M[K] {
  return { type, ...payload };
}

/** RxJS operator: keep only events of the given types, narrowed. */
export function ofType<E extends EventBase, T extends E['type']>(...types: T[]): OperatorFunction<E, Extract<E, { type: T }>> {
  const set = new Set<string>(types);
  return filter((e: E): e is Extract<E, { type: T }> => set.has(e.type));
}

export function isEventOf<E extends EventBase, T extends E['type']>(e: E, type: T): e is Extract<E, { type: T }> {
  return e.type === type;
}

/** Throws if an event would not survive JSON (tensors, functions, cycles, NaN are refused). */
export function assertSerializable(e: EventBase): void {
  const seen = new Set<unknown>();
  const walk = (v: unknown, path: string): void => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new TypeError(`event ${e.type}: ${path} is ${v}, not JSON-safe`);
      return;
    }
    if (typeof v === 'undefined') return;
    if (typeof v !== 'object') throw new TypeError(`event ${e.type}: ${path} is a ${typeof v}`);
    if (seen.has(v)) throw new TypeError(`event ${e.type}: ${path} is a cycle`);
    seen.add(v);
    const proto = Object.getPrototypeOf(v);
    if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) {
      throw new TypeError(`event ${e.type}: ${path} is a ${proto?.constructor?.name ?? 'class instance'}, not plain data`);
    }
    for (const [k, x] of Object.entries(v as object)) walk(x, `${path}.${k}`);
    seen.delete(v);
  };
  walk(e, 'event');
}

/** A stage: input + context in, a cold stream of events out. Unsubscribing cancels it. */
export type Stage<I, E extends EventBase = EventBase, C = unknown> = (input: I, context: C) => Observable<E>;
