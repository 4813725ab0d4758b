import { TfjsBackendPlugin } from '@fbnet/backend-common';

interface TfjsNodeModule {
  version?: Record<string, string>;
}

// A variable specifier keeps bundlers and the type checker from requiring the optional package.
const PACKAGE = '@tensorflow/tfjs-node-gpu';
let loaded: Promise<TfjsNodeModule | Error> | undefined;
let version = 'unloaded';

function isNode(): boolean {
  return !!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
}

/** Import tfjs-node-gpu once; any failure (not installed, no libtensorflow, no CUDA) becomes a value. */
function loadTfjsNodeGpu(): Promise<TfjsNodeModule | Error> {
  loaded ??= (async () => {
    try {
      const m = (await import(/* @vite-ignore */ PACKAGE)) as TfjsNodeModule & { default?: TfjsNodeModule };
      const mod = m.version ? m : (m.default ?? m);
      version = mod.version?.['tfjs-node'] ?? mod.version?.['tfjs-core'] ?? 'unknown';
      return mod;
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  })();
  return loaded;
}

function firstLine(s: string): string {
  return s.split('\n')[0].slice(0, 300);
}

/** Creates the `node-gpu` plugin (TF C++ kernels with CUDA through tfjs-node-gpu). */
export function createNodeGpuPlugin(): TfjsBackendPlugin {
  return new TfjsBackendPlugin({
    id: 'node-gpu',
    tfBackend: 'tensorflow',
    description: '@tensorflow/tfjs-node-gpu: libtensorflow kernels (CUDA where present), Node only, optional dependency',
    version: () => `tfjs-node-gpu ${version}`,
    async availability() {
      if (!isNode()) return { available: false, reason: 'tfjs-node-gpu runs only in Node.js' };
      const m = await loadTfjsNodeGpu();
      if (m instanceof Error) {
        const msg = firstLine(m.message);
        const binding = /tfjs_binding|napi-v\d|libtensorflow/.test(m.message);
        const notInstalled = !binding && /Cannot find (module|package)|ERR_MODULE_NOT_FOUND/.test(m.message);
        return {
          available: false,
          reason: notInstalled
            ? `${PACKAGE} is not installed (optional dependency; its install script downloads libtensorflow, which failed or was skipped): ${msg}`
            : binding
              ? `${PACKAGE} is installed without its native library: its install script (which downloads libtensorflow + CUDA bindings) did not run or failed; npm 11 runs install scripts only when approved: ${msg}`
              : `${PACKAGE} failed to load: ${msg}`,
        };
      }
      return { available: true, detail: `tfjs-node-gpu ${version}` };
    },
    async load() {
      const m = await loadTfjsNodeGpu();
      if (m instanceof Error) throw m;
    },
    kernels: () => [],
  });
}

export const nodeGpuPlugin = createNodeGpuPlugin();
