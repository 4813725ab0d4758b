import { FbnetError } from './errors.ts';

/**
 * A named registry (mobile-vision style): registering a key twice is an error, and a
 * lookup of an unknown key lists the known ones so a typo is easy to spot.
 */
export class Registry<T> {
  private readonly items = new Map<string, T>();
  constructor(readonly name: string) {}

  register(key: string, value: T): void {
    if (this.items.has(key)) {
      throw new FbnetError('REGISTRY_DUPLICATE', `${this.name} registry: "${key}" is already registered`);
    }
    this.items.set(key, value);
  }

  get(key: string): T {
    const v = this.items.get(key);
    if (v === undefined) {
      throw new FbnetError(
        'REGISTRY_UNKNOWN',
        `${this.name} registry: unknown "${key}"; known: ${[...this.items.keys()].sort().join(', ')}`,
      );
    }
    return v;
  }

  has(key: string): boolean {
    return this.items.has(key);
  }

  keys(): string[] {
    return [...this.items.keys()];
  }

  entries(): [string, T][] {
    return [...this.items.entries()];
  }
}
