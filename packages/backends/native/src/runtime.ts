/**
 * Instantiates the kernel module over a shared memory and starts the thread pool:
 * `threads - 1` workers, each its own instance of the same module with its own C stack;
 * the calling thread is thread 0 and takes part in every parallel kernel.
 */
import { Heap } from './heap.ts';
import { defaultSpawnWorker, defaultThreadCount, type PoolWorker, type SpawnWorker } from './thread-pool.ts';
import type { KernelExports } from './wasm-exports.ts';
import { compileKernelModule, type WasmSource } from './wasm-source.ts';

export interface LoadOptions {
  /** Threads including the caller's; default os.availableParallelism() (browser: hardwareConcurrency). */
  threads?: number;
  /** Kernel binary; default the committed wasm/fbnet-kernels.wasm next to this package. */
  wasm?: WasmSource;
  /** How to start a worker; default worker_threads in Node, module Workers in browsers. */
  spawnWorker?: SpawnWorker;
  /**
   * Spin iterations an idle worker polls for the next job before sleeping in Atomics wait
   * (default 30000, some tens of microseconds, so back-to-back kernels skip the wake-up
   * latency; 1000 when there are more threads than cores, where spinning steals the caller's core).
   */
  spinIterations?: number;
  /** C stack per worker in bytes (default 256 KiB). */
  workerStackBytes?: number;
  /**
   * Whether the calling thread may block (Atomics wait) on stragglers instead of spinning;
   * default: probed (true in Node, false on a browser main thread, where blocking throws).
   */
  mainThreadCanWait?: boolean;
}

const PAGE = 65536;
/** Threads the C pool supports (csrc/pool.c MAX_THREADS). */
export const MAX_THREADS = 64;
/** 2 GiB, as linked (--max-memory); shared memories need a declared maximum. */
const MAX_PAGES = 32768;
/** Enough for the data segment and the main C stack (1 MiB) with room for first allocations. */
const INITIAL_PAGES = 64;

export class NativeRuntime {
  private disposed = false;

  constructor(
    readonly module: WebAssembly.Module,
    readonly memory: WebAssembly.Memory,
    readonly exports: KernelExports,
    readonly heap: Heap,
    readonly threads: number,
    private readonly workers: PoolWorker[],
    private readonly stacks: number[],
  ) {}

  private readonly disposeHooks: (() => void)[] = [];

  /** Runs `fn` once when the runtime is disposed. */
  onDispose(fn: () => void): void {
    this.disposeHooks.push(fn);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  assertLive(): void {
    if (this.disposed) throw new Error('native-kernels: used after dispose()');
  }

  /** Stops the workers and frees their stacks; the instance is unusable afterwards. */
  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    for (const fn of this.disposeHooks.splice(0)) fn();
    // unref'd workers would let the event loop run dry (and Node exit) before they report back
    for (const w of this.workers) w.keepAlive?.();
    this.exports.fb_pool_shutdown();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), 2000)));
    try {
      await Promise.all(
        this.workers.map(async (w) => {
          if ((await Promise.race([w.exited, timeout])) === 'timeout') await w.terminate();
        }),
      );
    } finally {
      clearTimeout(timer);
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
    for (const s of this.stacks) this.exports.fb_release(s);
    this.exports.fb_scratch_release();
  }
}

export async function createRuntime(options: LoadOptions = {}): Promise<NativeRuntime> {
  const requested = options.threads ?? (await defaultThreadCount());
  if (!Number.isFinite(requested) || requested < 1) throw new RangeError(`native-kernels: threads must be >= 1, got ${requested}`);
  // the C pool has per-thread slots for MAX_THREADS (csrc/pool.c)
  const threads = Math.min(MAX_THREADS, Math.floor(requested));
  const module = await compileKernelModule(options.wasm);
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared: true });
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  const exports = instance.exports as unknown as KernelExports;
  const heap = new Heap(memory, exports);
  const cores = await defaultThreadCount();
  exports.fb_pool_set_spin(options.spinIterations ?? (threads > cores ? 1000 : 30000));
  exports.fb_pool_set_main_can_wait(options.mainThreadCanWait ? 1 : 0);

  const stackBytes = options.workerStackBytes ?? 256 * 1024;
  const spawn = options.spawnWorker ?? defaultSpawnWorker;
  const stacks: number[] = [];
  const workers: PoolWorker[] = [];
  try {
    for (let tid = 1; tid < threads; tid++) {
      const base = heap.allocBytes(stackBytes);
      stacks.push(base);
      const stackTop = (base + stackBytes) & ~15;
      workers.push(await spawn({ module, memory, tid, stackTop }));
    }
    // 'ready' is posted just before a worker enters the loop; wait until all are inside.
    const deadline = Date.now() + 10_000;
    while (exports.fb_pool_ready() < threads - 1) {
      if (Date.now() > deadline) throw new Error('native-kernels: workers did not enter the pool loop');
      await new Promise((r) => setTimeout(r, 1));
    }
  } catch (err) {
    exports.fb_pool_shutdown();
    await Promise.all(workers.map((w) => w.terminate()));
    throw err;
  }
  exports.fb_pool_set_threads(threads);
  const rt = new NativeRuntime(module, memory, exports, heap, threads, workers, stacks);
  if (workers.length > 0 && typeof process !== 'undefined' && typeof process.once === 'function') {
    // Let parked workers leave their wait loop when the process exits without dispose():
    // Node joins worker threads on exit, and a thread blocked in a wasm wait would hold it up.
    const onExit = () => exports.fb_pool_shutdown();
    process.once('exit', onExit);
    rt.onDispose(() => process.removeListener('exit', onExit));
  }
  return rt;
}

export { PAGE as WASM_PAGE_BYTES };
