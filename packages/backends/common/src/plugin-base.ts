import * as tf from '@tensorflow/tfjs-core';
import { FbnetError, type Availability, type BackendPlugin, type DeviceFingerprint, type KernelPlan, type KernelVariant, type PluginInitOptions } from '@fbnet/core';
import { KernelDispatcher } from './dispatcher.ts';
import { materializeInputs } from './native/native-variants.ts';
import { deviceFingerprint } from './fingerprint.ts';
import { checkPlanDevice } from './plan.ts';
import type { KernelImpl } from './variant.ts';

export interface InitOptions extends PluginInitOptions {
  /** Use a plan measured on another device anyway. */
  forcePlan?: boolean;
  /** Make this plugin's backend the active TF.js backend (default true). */
  activate?: boolean;
}

/** What a concrete plugin supplies; `TfjsBackendPlugin` does the rest. */
export interface TfjsPluginSpec {
  id: string;
  tfBackend: string;
  description: string;
  /** Version of the underlying TF.js backend (and of extra kernels), for fingerprints. */
  version(): string;
  /** May throw; the plugin turns a throw into `{available: false}`. */
  availability(): Promise<Availability>;
  /** Import and register the TF.js backend (idempotent). Runs before the kernels are installed. */
  load(options: InitOptions): Promise<void>;
  /** Variant implementations, in preference order per kernel (asked once, after load). */
  kernels(options: InitOptions): Promise<KernelImpl[]> | KernelImpl[];
  /** Preference order per kernel when no plan decides (`tfjs` = the stock kernel); default: fbnet variants first. */
  preferences?: Record<string, string[]>;
  /** After `tf.setBackend` succeeded (e.g. read back thread counts). */
  afterActivate?(): Promise<void> | void;
  /** Release what `kernels()` acquired (worker threads, devices). */
  release?(): Promise<void> | void;
  /**
   * Kernels that replace the stock kernel outright, with no variants to choose between (e.g. an
   * Identity that shares the input's data instead of copying it). Installed with the variants,
   * the stock kernels restored on `dispose()`.
   */
  replacements?: tf.KernelConfig[];
}

/**
 * A BackendPlugin over a TF.js backend whose kernels are dispatched per shape between
 * variants (see KernelDispatcher). `init()` loads the backend, installs the dispatching
 * kernels, activates the backend and applies a plan; `usePlan`/`forceVariant` work any time.
 */
export class TfjsBackendPlugin implements BackendPlugin {
  readonly id: string;
  readonly tfBackend: string;
  readonly description: string;
  dispatcher: KernelDispatcher;
  private loaded = false;
  private pendingPlan?: { plan: KernelPlan | undefined; force: boolean };
  private fingerprintCache?: DeviceFingerprint;
  private plan?: KernelPlan;
  private replaced: { name: string; stock?: tf.KernelConfig }[] = [];
  /** Some variants leave results in the native heap, written back on first read (see native-variants). */
  private residentResults = false;

  constructor(readonly spec: TfjsPluginSpec) {
    this.id = spec.id;
    this.tfBackend = spec.tfBackend;
    this.description = spec.description;
    this.dispatcher = new KernelDispatcher(spec.tfBackend, spec.id);
  }

  async availability(): Promise<Availability> {
    try {
      return await this.spec.availability();
    } catch (e) {
      return { available: false, reason: `availability check failed: ${(e as Error).message}` };
    }
  }

  async init(options: InitOptions = {}): Promise<void> {
    if (!this.loaded) {
      const a = await this.availability();
      if (!a.available) throw new FbnetError('BACKEND_UNAVAILABLE', `backend plugin "${this.id}" is unavailable: ${a.reason}`);
      await this.spec.load(options);
      const impls = await this.spec.kernels(options);
      this.residentResults = impls.some((i) => i.readsResident);
      this.dispatcher.add(impls);
      for (const [k, order] of Object.entries(this.spec.preferences ?? {})) this.dispatcher.prefer(k, order);
      this.loaded = true;
    }
    this.dispatcher.install();
    this.installReplacements();
    if (options.activate !== false) {
      const ok = await tf.setBackend(this.tfBackend);
      if (!ok) throw new FbnetError('BACKEND_UNAVAILABLE', `backend plugin "${this.id}": tf.setBackend('${this.tfBackend}') failed`);
      await tf.ready();
      await this.spec.afterActivate?.();
    }
    this.fingerprintCache = await deviceFingerprint(this);
    const pending = options.plan !== undefined ? { plan: options.plan, force: !!options.forcePlan } : this.pendingPlan;
    this.pendingPlan = undefined;
    if (pending) this.usePlan(pending.plan, { force: pending.force });
  }

  /**
   * Installs the spec's replacements and, where native variants leave results pending in their
   * heap, wraps every other kernel of the backend so that it writes pending inputs back to the
   * backend before reading them.
   */
  private installReplacements(): void {
    if (this.replaced.length) return;
    const replace = (config: tf.KernelConfig) => {
      const name = config.kernelName;
      const stock = tf.getKernel(name, this.tfBackend);
      if (stock) tf.unregisterKernel(name, this.tfBackend);
      tf.registerKernel({ ...config, backendName: this.tfBackend });
      this.replaced.push({ name, stock });
    };
    const own = new Set((this.spec.replacements ?? []).map((c) => c.kernelName));
    for (const config of this.spec.replacements ?? []) replace(config);
    if (!this.residentResults) return;
    for (const config of tf.getKernelsForBackend(this.tfBackend)) {
      if (own.has(config.kernelName) || (config as { fbnetDispatch?: boolean }).fbnetDispatch) continue;
      const run = config.kernelFunc;
      replace({
        ...config,
        kernelFunc: ((args: { inputs: Record<string, tf.TensorInfo>; backend: unknown }) => {
          materializeInputs(args.backend, args.inputs);
          return run(args as unknown as Parameters<tf.KernelFunc>[0]);
        }) as unknown as tf.KernelFunc,
      });
    }
  }

  private uninstallReplacements(): void {
    for (const { name, stock } of this.replaced.reverse()) {
      tf.unregisterKernel(name, this.tfBackend);
      if (stock) tf.registerKernel(stock);
    }
    this.replaced = [];
  }

  variants(): KernelVariant[] {
    return this.dispatcher.variants();
  }

  version(): string {
    return this.spec.version();
  }

  /** Apply a kernel plan; refuses one measured on another device unless `force`. */
  usePlan(plan: KernelPlan | undefined, opts: { force?: boolean } = {}): void {
    if (!this.fingerprintCache) {
      this.pendingPlan = { plan, force: !!opts.force };
      return;
    }
    if (plan) {
      const { planHash: _h, ...here } = this.fingerprintCache;
      checkPlanDevice(plan, here, opts.force);
    }
    this.plan = plan;
    this.dispatcher.usePlan(plan);
  }

  activePlan(): KernelPlan | undefined {
    return this.plan;
  }

  forceVariant(kernel: string, variant: string | undefined): void {
    this.dispatcher.force(kernel, variant);
  }

  /** Fingerprint of this device with this plugin (and the plan in use). */
  async fingerprint(): Promise<DeviceFingerprint> {
    return deviceFingerprint(this, this.plan);
  }

  /** Restore the stock kernels and release resources; `init()` again sets everything up anew. */
  async dispose(): Promise<void> {
    this.dispatcher.uninstall();
    this.uninstallReplacements();
    if (this.loaded) {
      this.loaded = false;
      this.dispatcher = new KernelDispatcher(this.spec.tfBackend, this.spec.id);
      await this.spec.release?.();
    }
    this.fingerprintCache = undefined;
  }
}
