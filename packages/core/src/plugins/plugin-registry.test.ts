import { describe, expect, it, vi } from 'vitest';
import { FbnetError } from '../errors.ts';
import type { BackendPlugin } from './plugin.ts';
import { PluginRegistry } from './plugin-registry.ts';

function fakePlugin(id: string): BackendPlugin {
  return {
    id,
    tfBackend: 'cpu',
    description: `fake ${id}`,
    availability: async () => ({ available: true }),
    init: async () => {},
    variants: () => [],
    version: () => '0',
  };
}

describe('PluginRegistry', () => {
  it('throws on a duplicate id', () => {
    const r = new PluginRegistry();
    r.register('a', async () => fakePlugin('a'));
    expect(() => r.register('a', async () => fakePlugin('a'))).toThrowError(/"a" is already registered/);
  });

  it('an unknown id throws REGISTRY_UNKNOWN listing the known ids', async () => {
    const r = new PluginRegistry();
    r.register('beta', async () => fakePlugin('beta'));
    r.register('alpha', async () => fakePlugin('alpha'));
    expect(r.ids()).toEqual(['beta', 'alpha']);
    expect(() => r.load('gamma')).toThrowError(FbnetError);
    expect(() => r.load('gamma')).toThrowError(/unknown "gamma"; known: alpha, beta/);
  });

  it('calls a loader only when asked, and once', async () => {
    const r = new PluginRegistry();
    const loader = vi.fn(async () => fakePlugin('lazy'));
    r.register('lazy', loader);
    expect(loader).not.toHaveBeenCalled();
    const [p1, p2] = await Promise.all([r.load('lazy'), r.load('lazy')]);
    const p3 = await r.load('lazy');
    expect(loader).toHaveBeenCalledTimes(1);
    expect(p1).toBe(p2);
    expect(p3).toBe(p1);
  });

  it('retries a loader that failed, and refuses a plugin whose id differs from its registration', async () => {
    const r = new PluginRegistry();
    let calls = 0;
    r.register('flaky', async () => {
      calls++;
      if (calls === 1) throw new Error('module not found');
      return fakePlugin('flaky');
    });
    await expect(r.load('flaky')).rejects.toThrow(/module not found/);
    expect((await r.load('flaky')).id).toBe('flaky');
    r.register('liar', async () => fakePlugin('other'));
    await expect(r.load('liar')).rejects.toThrow(/registered as "liar" loaded a plugin with id "other"/);
  });
});
