/**
 * Backend plugin contract. A plugin wraps a TF.js backend (cpu, wasm, webgpu, node-gpu, or
 * a new one) and contributes kernel variants. Several variants of one kernel are normal;
 * which runs for a given shape is the kernel plan's choice, made by benchmark per device.
 */
export type Availability = { available: true; detail?: string } | { available: false; reason: string };

/** Shape/attribute description of one kernel call, e.g. conv: {n,h,w,cin,cout,k,stride,groups}. */
export type KernelShape = Record<string, number | string | boolean>;

export interface KernelVariant {
  /** TF.js kernel name or an fbnet fused kernel name, e.g. `Conv2D`, `FbnetBatchNormAct`. */
  kernel: string;
  /** Variant name, unique per kernel within a plugin, e.g. `tfjs`, `im2col-simd-mt`. */
  variant: string;
  /** Plugin id that provides it. */
  backend: string;
  description: string;
  supports(shape: KernelShape): boolean;
}

export interface DeviceFingerprint {
  cpuModel: string;
  cores: number;
  os: string;
  runtime: string;
  backend: string;
  backendVersion: string;
  /** Hash of the kernel plan in use, or 'none'. */
  planHash: string;
}

export interface KernelPlanEntry {
  kernel: string;
  /** Canonical key of a KernelShape (see `shapeKey`). */
  shape: string;
  variant: string;
  medianMs: number;
}

export interface KernelPlan {
  version: 1;
  device: Omit<DeviceFingerprint, 'planHash'>;
  createdAt: string;
  entries: KernelPlanEntry[];
  /** Variant to use per kernel when a shape was not benchmarked. */
  defaults: Record<string, string>;
}

export interface PluginInitOptions {
  plan?: KernelPlan;
  threads?: number;
}

export interface BackendPlugin {
  readonly id: string;
  /** Name of the TF.js backend it registers/uses (`tf.setBackend(name)`). */
  readonly tfBackend: string;
  readonly description: string;
  /** Never throws: says whether the plugin can run here, and if not, why. */
  availability(): Promise<Availability>;
  /** Register and activate the backend and its kernels. */
  init(options?: PluginInitOptions): Promise<void>;
  variants(): KernelVariant[];
  /** Version string of the underlying backend (for fingerprints). */
  version(): string;
  /** Choose variants from a plan (also possible after init). */
  usePlan?(plan: KernelPlan | undefined): void;
  /** Force one variant for a kernel (benchmarks use this to time each variant). */
  forceVariant?(kernel: string, variant: string | undefined): void;
  dispose?(): Promise<void> | void;
}

/** Canonical, order-independent key of a kernel shape: `a=1,b=2`. */
export function shapeKey(shape: KernelShape): string {
  return Object.keys(shape)
    .sort()
    .map((k) => `${k}=${shape[k]}`)
    .join(',');
}

export async function safeAvailability(p: BackendPlugin): Promise<Availability> {
  try {
    return await p.availability();
  } catch (e) {
    return { available: false, reason: `availability check threw: ${(e as Error).message}` };
  }
}
