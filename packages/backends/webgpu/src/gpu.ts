/**
 * Finding a WebGPU implementation: the browser's `navigator.gpu`, or Dawn in Node (the
 * `webgpu` package). In Node, Dawn's default backend (Vulkan/Metal/D3D12) is tried first;
 * where it has no adapter (no GPU, no Vulkan ICD) the OpenGL ES backend on Mesa's
 * surfaceless EGL platform is used with a compatibility-mode adapter, which runs WebGPU
 * on a software rasterizer (llvmpipe) — slow, but real and numerically checkable.
 */
export interface GpuAccess {
  gpu: GPU;
  /** 'browser' | 'dawn' (default backend) | 'dawn-opengles' (compatibility mode, Mesa). */
  path: 'browser' | 'dawn' | 'dawn-opengles';
  compatibility: boolean;
  adapterDescription: string;
}

interface DawnModule {
  create(flags: string[]): GPU;
  globals: Record<string, unknown>;
}

let access: Promise<GpuAccess | { reason: string }> | undefined;

function isNode(): boolean {
  return !!(globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
}

function describe(a: GPUAdapter): string {
  const info = (a as { info?: GPUAdapterInfo }).info;
  return [info?.vendor, info?.architecture, info?.description].filter(Boolean).join(' ') || 'unknown adapter';
}

async function find(): Promise<GpuAccess | { reason: string }> {
  if (!isNode()) {
    const gpu = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
    if (!gpu) return { reason: 'this browser has no navigator.gpu (WebGPU disabled or unsupported)' };
    const a = await gpu.requestAdapter();
    return a ? { gpu, path: 'browser', compatibility: false, adapterDescription: describe(a) } : { reason: 'navigator.gpu.requestAdapter() returned no adapter' };
  }
  const env = (globalThis as { process?: { env: Record<string, string | undefined> } }).process!.env;
  // Mesa's EGL must pick the headless platform before Dawn loads it.
  env.EGL_PLATFORM ??= 'surfaceless';
  let dawn: DawnModule;
  try {
    dawn = (await import('webgpu')) as unknown as DawnModule;
  } catch (e) {
    return { reason: `the webgpu (Dawn) package failed to load: ${(e as Error).message}` };
  }
  Object.assign(globalThis, dawn.globals);
  const reasons: string[] = [];
  try {
    const gpu = dawn.create([]);
    const a = await gpu.requestAdapter();
    if (a) return { gpu, path: 'dawn', compatibility: false, adapterDescription: describe(a) };
    reasons.push('Dawn default backend: no adapter (no Vulkan device)');
  } catch (e) {
    reasons.push(`Dawn default backend: ${(e as Error).message}`);
  }
  try {
    const gpu = dawn.create(['backend=opengles']);
    const a = await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
    if (a) return { gpu: compatGpu(gpu), path: 'dawn-opengles', compatibility: true, adapterDescription: describe(a) };
    reasons.push('Dawn OpenGL ES backend: no adapter (is Mesa EGL/GLES installed?)');
  } catch (e) {
    reasons.push(`Dawn OpenGL ES backend: ${(e as Error).message}`);
  }
  return { reason: reasons.join('; ') };
}

/** A GPU whose adapter requests always ask for a compatibility-mode adapter (TF.js does not). */
function compatGpu(gpu: GPU): GPU {
  return new Proxy(gpu, {
    get(target, prop, receiver) {
      if (prop === 'requestAdapter') {
        return (o: GPURequestAdapterOptions = {}) => target.requestAdapter({ ...o, featureLevel: 'compatibility' } as GPURequestAdapterOptions);
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/** Probe once per process; never throws. */
export function gpuAccess(): Promise<GpuAccess | { reason: string }> {
  access ??= find().catch((e: Error) => ({ reason: `WebGPU probe failed: ${e.message}` }));
  return access;
}

/** TF.js's webgpu backend reads `navigator.gpu`; Node 20 has no navigator. */
export function installNavigatorGpu(gpu: GPU): void {
  const g = globalThis as { navigator?: { gpu?: GPU } };
  if (!g.navigator) {
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
    return;
  }
  if (g.navigator.gpu !== gpu) Object.defineProperty(g.navigator, 'gpu', { value: gpu, configurable: true });
}
