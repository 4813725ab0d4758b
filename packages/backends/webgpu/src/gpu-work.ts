/**
 * Counting the GPU work a piece of TF.js code does on tfjs-backend-webgpu (issue 14: the fixed
 * per-step cost). The device's and queue's methods are wrapped while counting; each count is the
 * number of calls the backend made to WebGPU, so a test can say "a step submits k times, maps
 * one buffer, creates no pipeline after the first step".
 */
export interface GpuWorkCounts {
  /** `queue.submit` calls (each ends a command encoder: a GPU round of work). */
  submits: number;
  /** `queue.writeBuffer` calls and the bytes they wrote (host → GPU). */
  writeBuffers: number;
  writeBufferBytes: number;
  /** …of which into uniform buffers (TF.js writes one per program dispatch). */
  uniformWrites: number;
  /** `GPUBuffer.mapAsync` calls: read-backs (and mapped uploads), each a host round trip. */
  mapAsyncs: number;
  /** `backend.read` (`data()`, `array()`) calls that had to fetch from the GPU. */
  gpuReads: number;
  /** `backend.read` calls answered from the host copy (after an earlier read of that tensor). */
  cachedReads: number;
  /** `backend.readSync` (`dataSync()`) calls; in Node these fail (no OffscreenCanvas). */
  readSyncs: number;
  /** `createComputePipeline` + `createComputePipelineAsync` calls (TF.js caches by shader key). */
  pipelines: number;
  /** `createBindGroup` calls: one per program dispatch. */
  bindGroups: number;
  /** `createBuffer` calls (TF.js's buffer manager reuses freed buffers of the same size and usage). */
  buffersCreated: number;
  /**
   * Tensors made from host values uploaded to the GPU (`uploadToGPU` with host data): each goes
   * through a fresh mapped staging buffer, which TF.js does not reuse.
   */
  uploads: number;
  /** Bytes of those uploads (host-made zeros/ones of activation shape show up here). */
  uploadBytes: number;
}

/** What is counted on: tfjs-backend-webgpu's backend (`tf.backend()` while webgpu is active). */
export interface WebgpuBackendLike {
  device: GPUDevice;
  queue: GPUQueue;
  read(dataId: object): Promise<unknown>;
  readSync(dataId: object): unknown;
  tensorMap: { get(dataId: object): { values?: unknown; resource?: unknown } | undefined };
}

export function isWebgpuBackend(b: unknown): b is WebgpuBackendLike {
  const x = b as Partial<WebgpuBackendLike> | undefined;
  return !!x && typeof x.device?.createComputePipeline === 'function' && typeof x.queue?.submit === 'function';
}

export function zeroGpuWork(): GpuWorkCounts {
  return { submits: 0, writeBuffers: 0, writeBufferBytes: 0, uniformWrites: 0, mapAsyncs: 0, gpuReads: 0, cachedReads: 0, readSyncs: 0, pipelines: 0, bindGroups: 0, buffersCreated: 0, uploads: 0, uploadBytes: 0 };
}

/** `counts / n`, field by field (per-step averages). */
export function perStep(c: GpuWorkCounts, n: number): GpuWorkCounts {
  return Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v / Math.max(n, 1)])) as unknown as GpuWorkCounts;
}

export interface GpuWorkCounter {
  /** Counts since start (or the last reset). */
  counts(): GpuWorkCounts;
  reset(): void;
  /** Restores every wrapped method. */
  stop(): void;
}

type Target = Record<string, unknown>;

/**
 * Start counting the WebGPU calls of `backend`. Methods are wrapped on the objects themselves
 * (own properties shadowing the prototypes') and restored by `stop()`; counters nest.
 */
export function startGpuWorkCounter(backend: unknown): GpuWorkCounter {
  if (!isWebgpuBackend(backend)) throw new Error('countGpuWork needs the tfjs-backend-webgpu backend (tf.backend() while webgpu is active)');
  let c = zeroGpuWork();
  const undo: (() => void)[] = [];
  const wrap = (obj: object, name: string, count: (args: unknown[]) => void) => {
    const o = obj as Target;
    const had = Object.prototype.hasOwnProperty.call(o, name);
    const prev = o[name];
    const orig = prev as (...a: unknown[]) => unknown;
    o[name] = function (this: unknown, ...args: unknown[]) {
      count(args);
      return orig.apply(obj, args);
    };
    undo.push(() => (had ? (o[name] = prev) : delete o[name]));
  };
  const uniform = (globalThis as { GPUBufferUsage?: { UNIFORM: number } }).GPUBufferUsage?.UNIFORM ?? 0x40;
  wrap(backend.queue, 'submit', () => c.submits++);
  wrap(backend.queue, 'writeBuffer', (a) => {
    c.writeBuffers++;
    const [buffer, , data, dataOffset = 0, size] = a as [GPUBuffer, number, ArrayBufferView | ArrayBuffer, number?, number?];
    // Offsets and sizes count elements for typed arrays, bytes otherwise (WebGPU's writeBuffer).
    const el = ArrayBuffer.isView(data) ? ((data as { BYTES_PER_ELEMENT?: number }).BYTES_PER_ELEMENT ?? 1) : 1;
    c.writeBufferBytes += size !== undefined ? size * el : data.byteLength - dataOffset * el;
    if ((buffer.usage & uniform) !== 0) c.uniformWrites++;
  });
  wrap(backend.device, 'createComputePipeline', () => c.pipelines++);
  wrap(backend.device, 'createComputePipelineAsync', () => c.pipelines++);
  wrap(backend.device, 'createBindGroup', () => c.bindGroups++);
  wrap(backend.device, 'createBuffer', () => c.buffersCreated++);
  const bufferProto = (globalThis as { GPUBuffer?: { prototype: object } }).GPUBuffer?.prototype;
  if (bufferProto) {
    // mapAsync lives on GPUBuffer.prototype: wrapped there, called with the buffer as `this`.
    const o = bufferProto as Target;
    const had = Object.prototype.hasOwnProperty.call(o, 'mapAsync');
    const prev = o.mapAsync as (...a: unknown[]) => unknown;
    o.mapAsync = function (this: unknown, ...args: unknown[]) {
      c.mapAsyncs++;
      return prev.apply(this, args);
    };
    undo.push(() => (had ? (o.mapAsync = prev) : delete o.mapAsync));
  }
  wrap(backend, 'read', (a) => (backend.tensorMap.get(a[0] as object)?.values != null ? c.cachedReads++ : c.gpuReads++));
  wrap(backend, 'readSync', () => c.readSyncs++);
  if (typeof (backend as unknown as Target).uploadToGPU === 'function') {
    wrap(backend, 'uploadToGPU', (a) => {
      const d = backend.tensorMap.get(a[0] as object);
      if (d && d.resource == null && d.values != null) {
        c.uploads++;
        c.uploadBytes += (d.values as ArrayBufferView).byteLength ?? 0;
      }
    });
  }
  let stopped = false;
  return {
    counts: () => ({ ...c }),
    reset: () => void (c = zeroGpuWork()),
    stop: () => {
      if (stopped) return;
      stopped = true;
      for (const u of undo.reverse()) u();
    },
  };
}

/** Run `fn` and count the WebGPU calls it makes on `backend` (see `GpuWorkCounts`). */
export async function countGpuWork<T>(backend: unknown, fn: () => T | Promise<T>): Promise<{ result: T; counts: GpuWorkCounts }> {
  const counter = startGpuWorkCounter(backend);
  try {
    const result = await fn();
    return { result, counts: counter.counts() };
  } finally {
    counter.stop();
  }
}
