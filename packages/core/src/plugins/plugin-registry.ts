import { FbnetError } from '../errors.ts';
import { Registry } from '../registry.ts';
import type { BackendPlugin } from './plugin.ts';

/** Imports a plugin's module and returns the plugin (called at most once per id). */
export type PluginLoader = () => Promise<BackendPlugin>;

/**
 * Backend plugins by id, each behind a lazy loader: registering costs nothing, so optional
 * plugins (node-gpu, webgpu) are only imported when asked for. `register` throws on a duplicate
 * id; `load` of an unknown id throws an error that lists the known ids.
 */
export class PluginRegistry {
  private readonly loaders = new Registry<PluginLoader>('backend plugin');
  private readonly loaded = new Map<string, Promise<BackendPlugin>>();

  register(id: string, loader: PluginLoader): void {
    this.loaders.register(id, loader);
  }

  has(id: string): boolean {
    return this.loaders.has(id);
  }

  /** Registered ids, in registration order (built-ins first, then third-party plugins). */
  ids(): string[] {
    return this.loaders.keys();
  }

  /** The plugin for an id; its loader runs once, later calls share the result (a failed load is retried). */
  load(id: string): Promise<BackendPlugin> {
    const loader = this.loaders.get(id);
    let p = this.loaded.get(id);
    if (!p) {
      p = loader().then((plugin) => {
        if (plugin.id !== id) {
          const why = `backend plugin registered as "${id}" loaded a plugin with id "${plugin.id}"`;
          throw new FbnetError('BACKEND_UNAVAILABLE', why);
        }
        return plugin;
      });
      this.loaded.set(id, p);
      p.catch(() => this.loaded.delete(id));
    }
    return p;
  }
}

/** Every backend plugin this process knows: `@fbnet/bench` registers the built-ins, a plugin module itself. */
export const BACKEND_PLUGINS = new PluginRegistry();
