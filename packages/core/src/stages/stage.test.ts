import { lastValueFrom, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { defineStage, runStage, stagesSettled } from './stage.ts';

const tick = () => new Promise<void>((r) => setImmediate(r));

/** A stage that counts to `n`, one step per tick, checkpointing its position in a plain object. */
function counter(store: { at: number; steps: number }) {
  return defineStage<{ n: number }, number, { type: 'count/stepped'; i: number }>('counter', async ({ n }, _ctx, io) => {
    for (let i = store.at; i < n; i++) {
      if (io.signal.aborted) return -1;
      store.steps++;
      store.at = i + 1;
      io.emit({ type: 'count/stepped', i });
      io.progress('counting', i + 1, n);
      await tick();
    }
    return store.at;
  });
}

describe('stage contract', () => {
  it('is cold: nothing runs until subscribed', async () => {
    const store = { at: 0, steps: 0 };
    const s$ = counter(store)({ n: 3 }, { seed: 0, backend: { id: 'cpu' } });
    await tick();
    expect(store.steps).toBe(0);
    const evs = await lastValueFrom(s$.pipe(toArray()));
    expect(evs[0]).toEqual({ type: 'stage/started', stage: 'counter' });
    expect(evs.at(-1)).toEqual({ type: 'stage/result', stage: 'counter', result: 3 });
    expect(evs.filter((e) => e.type === 'count/stepped')).toHaveLength(3);
    expect(evs.some((e) => e.type === 'stage/progress')).toBe(true);
  });
  it('unsubscribing stops the work within one step; resubscribing resumes from where it stopped', async () => {
    const store = { at: 0, steps: 0 };
    const stage = counter(store);
    const first = await lastValueFrom(stage({ n: 100 }, { seed: 0, backend: { id: 'cpu' } }).pipe(take(4), toArray()));
    expect(first.map((e) => e.type)).toEqual(['stage/started', 'count/stepped', 'stage/progress', 'count/stepped']);
    await stagesSettled();
    expect(store.steps).toBeLessThanOrEqual(3);
    const stepsAtStop = store.steps;
    await tick();
    await tick();
    expect(store.steps).toBe(stepsAtStop);
    const r = await runStage(stage({ n: 10 }, { seed: 0, backend: { id: 'cpu' } }));
    expect(r).toBe(10);
    expect(store.steps).toBe(10);
  });
  it('runStage rejects with the body error and with CHECKPOINT when its signal aborts', async () => {
    const bad = defineStage<void, number>('bad', async () => {
      throw new Error('boom');
    });
    await expect(runStage(bad(undefined, { seed: 0, backend: { id: 'cpu' } }))).rejects.toThrow('boom');
    const store = { at: 0, steps: 0 };
    const ac = new AbortController();
    const p = runStage(counter(store)({ n: 1000 }, { seed: 0, backend: { id: 'cpu' } }), { signal: ac.signal, onEvent: (e) => e.type === 'count/stepped' && e.i === 2 && ac.abort() });
    await expect(p).rejects.toMatchObject({ code: 'CHECKPOINT' });
    expect(store.at).toBeLessThanOrEqual(4);
  });
});
