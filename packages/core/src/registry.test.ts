import { describe, expect, it } from 'vitest';
import { FbnetError } from './errors.ts';
import { Registry } from './registry.ts';

describe('Registry', () => {
  it('throws on duplicate registration', () => {
    const r = new Registry<number>('thing');
    r.register('a', 1);
    expect(() => r.register('a', 2)).toThrowError(/"a" is already registered/);
  });
  it('lists known keys when a lookup fails', () => {
    const r = new Registry<number>('thing');
    r.register('alpha', 1);
    r.register('beta', 2);
    try {
      r.get('gamma');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(FbnetError);
      expect((e as FbnetError).code).toBe('REGISTRY_UNKNOWN');
      expect((e as Error).message).toContain('known: alpha, beta');
    }
  });
});
