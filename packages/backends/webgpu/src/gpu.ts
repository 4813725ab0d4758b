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
    if (a) return { gpu: wrapGpu(gpu, false), path: 'dawn', compatibility: false, adapterDescription: describe(a) };
    reasons.push('Dawn default backend: no adapter (no Vulkan device)');
  } catch (e) {
    reasons.push(`Dawn default backend: ${(e as Error).message}`);
  }
  try {
    const gpu = dawn.create(['backend=opengles']);
    const a = await gpu.requestAdapter({ featureLevel: 'compatibility' } as GPURequestAdapterOptions);
    if (a) return { gpu: wrapGpu(gpu, true), path: 'dawn-opengles', compatibility: true, adapterDescription: describe(a) };
    reasons.push('Dawn OpenGL ES backend: no adapter (is Mesa EGL/GLES installed?)');
  } catch (e) {
    reasons.push(`Dawn OpenGL ES backend: ${(e as Error).message}`);
  }
  return { reason: reasons.join('; ') };
}

/**
 * The limits TF.js leaves at WebGPU's defaults but its stock kernels exceed: AddN binds one
 * storage buffer per input plus its output, so a sum of 8+ tensors (a V1 supernet layer's
 * nine candidates, accumulated gradients) needs more than the default 8 per shader stage.
 * Left at the default, that pipeline is invalid and Dawn only prints a validation error: the
 * sum silently reads as zeros. Every adapter we meet (Mesa's GLES included) allows 16+.
 */
const RAISED_LIMITS = ['maxStorageBuffersPerShaderStage'] as const;

function raiseLimits(adapter: GPUAdapter): GPUAdapter {
  const requestDevice = adapter.requestDevice.bind(adapter);
  const raised = (d: GPUDeviceDescriptor = {}): Promise<GPUDevice> => {
    const limits: Record<string, number> = { ...(d.requiredLimits as Record<string, number> | undefined) };
    for (const k of RAISED_LIMITS) limits[k] = Math.max(limits[k] ?? 0, adapter.limits[k]);
    return requestDevice({ ...d, requiredLimits: limits });
  };
  return new Proxy(adapter, {
    get(target, prop) {
      if (prop === 'requestDevice') return raised;
      const v = Reflect.get(target, prop, target);
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
}

/**
 * The GPU TF.js is given: its adapters request devices with `RAISED_LIMITS`, and on the GLES
 * path adapter requests ask for a compatibility-mode adapter (TF.js does not).
 */
function wrapGpu(gpu: GPU, compatibility: boolean): GPU {
  return new Proxy(gpu, {
    get(target, prop) {
      if (prop === 'requestAdapter') {
        return async (o: GPURequestAdapterOptions = {}) => {
          const opts = compatibility ? ({ ...o, featureLevel: 'compatibility' } as GPURequestAdapterOptions) : o;
          const a = await target.requestAdapter(opts);
          return a && raiseLimits(a);
        };
      }
      const v = Reflect.get(target, prop, target);
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
