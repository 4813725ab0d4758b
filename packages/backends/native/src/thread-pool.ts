/**
 * Spawns the pool's worker threads (Node: worker_threads; browser: module Workers) and parks
 * each inside the module's `fb_worker_loop`. After start-up the JS side never talks to the
 * workers again until shutdown: jobs travel through the control block in shared memory.
 */

/** What a worker needs to join the pool. */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  tid: number;
  stackTop: number;
}

/** A started worker, reduced to what the pool needs. */
export interface PoolWorker {
  /** Resolves once the worker has left `fb_worker_loop` (after shutdown) or died. */
  readonly exited: Promise<void>;
  /** Parked workers do not keep the host alive; while shutting down they must (Node: ref()). */
  keepAlive?(): void;
  terminate(): Promise<void>;
}

/** Starts one worker; resolves when it reports `ready`. Injectable for other hosts. */
export type SpawnWorker = (init: WorkerInit) => Promise<PoolWorker>;

interface WorkerMessage {
  type: 'ready' | 'exited' | 'error';
  message?: string;
}

const workerUrl = new URL('./worker.mjs', import.meta.url);

function isNode(): boolean {
  return typeof process !== 'undefined' && process.versions?.node != null;
}

async function spawnNode(init: WorkerInit): Promise<PoolWorker> {
  const { Worker } = await import('node:worker_threads');
  const w = new Worker(workerUrl, { workerData: init });
  let exitedResolve!: () => void;
  const exited = new Promise<void>((r) => (exitedResolve = r));
  w.on('exit', () => exitedResolve());
  let onMessage!: (m: WorkerMessage) => void;
  await new Promise<void>((resolve, reject) => {
    onMessage = (m: WorkerMessage) => {
      if (m.type === 'ready') resolve();
      else if (m.type === 'error') reject(new Error(`native-kernels worker ${init.tid}: ${m.message}`));
    };
    w.on('message', onMessage);
    w.on('error', reject);
    w.on('exit', (code) => reject(new Error(`native-kernels worker ${init.tid} exited early (${code})`)));
  });
  // A parked worker must never keep the process alive (callers may forget dispose()). A
  // 'message' listener re-refs the worker's port, so drop it before unref().
  w.off('message', onMessage);
  w.unref();
  return {
    exited,
    keepAlive: () => w.ref(),
    terminate: async () => {
      await w.terminate();
    },
  };
}

async function spawnBrowser(init: WorkerInit): Promise<PoolWorker> {
  const w = new Worker(workerUrl, { type: 'module' });
  let exitedResolve!: () => void;
  const exited = new Promise<void>((r) => (exitedResolve = r));
  await new Promise<void>((resolve, reject) => {
    w.onmessage = (ev: MessageEvent<WorkerMessage>) => {
      if (ev.data.type === 'ready') resolve();
      else if (ev.data.type === 'exited') exitedResolve();
      else reject(new Error(`native-kernels worker ${init.tid}: ${ev.data.message}`));
    };
    w.onerror = (e) => reject(new Error(`native-kernels worker ${init.tid}: ${e.message}`));
    w.postMessage(init);
  });
  return {
    exited,
    terminate: async () => {
      w.terminate();
      exitedResolve();
    },
  };
}

/** The default spawner for this host. */
export const defaultSpawnWorker: SpawnWorker = (init) => (isNode() ? spawnNode(init) : spawnBrowser(init));

/** Default thread count: all logical cores (Node: os.availableParallelism()). */
export async function defaultThreadCount(): Promise<number> {
  if (isNode()) {
    const os = await import('node:os');
    return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
  }
  const hc = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return Math.max(1, hc ?? 1);
}
