import * as tf from '@tensorflow/tfjs-core';
import { FbnetError, shapeKey, type KernelPlan, type KernelVariant } from '@fbnet/core';
import { describeCall, type CallInfo } from './call-info.ts';
import { materializeInputs } from './native/native-variants.ts';
import { STOCK_VARIANT, type KernelArgs, type KernelImpl, type KernelOutput } from './variant.ts';

interface Slot {
  kernel: string;
  stock?: tf.KernelConfig;
  impls: KernelImpl[];
  /** Variant names (stock included) in preference order, when nothing else decides. */
  order: string[];
  forced?: string;
  planByShape: Map<string, string>;
  planDefault?: string;
  counts: Map<string, number>;
}

/**
 * Per-shape variant dispatch for one TF.js backend. For each kernel with variants it saves
 * the stock KernelConfig and registers a dispatching one (keeping the stock setupFunc /
 * disposeFunc, so backends that bind kernels at init, like wasm, still work). A call picks:
 * the forced variant, else the plan's entry for the call's shape, else the plan's default
 * for the kernel, else the first variant in preference order; a choice that does not support
 * the shape falls through to the next that does, and finally to the stock kernel.
 */
export class KernelDispatcher {
  private readonly slots = new Map<string, Slot>();
  private installed = false;

  constructor(
    readonly tfBackend: string,
    readonly pluginId: string,
  ) {}

  /** Add variants (before or after install). Order is preference order. */
  add(impls: KernelImpl[]): void {
    for (const impl of impls) {
      if (impl.variant === STOCK_VARIANT) throw new FbnetError('USAGE', `variant name "${STOCK_VARIANT}" is reserved for the stock TF.js kernel`);
      const slot = this.slot(impl.kernel);
      if (slot.impls.some((i) => i.variant === impl.variant)) {
        throw new FbnetError('REGISTRY_DUPLICATE', `${this.pluginId}: variant "${impl.variant}" of ${impl.kernel} is already registered`);
      }
      slot.impls.push(impl);
      const stockAt = slot.order.indexOf(STOCK_VARIANT);
      slot.order.splice(stockAt < 0 ? slot.order.length : stockAt, 0, impl.variant);
      if (this.installed) this.installSlot(slot);
    }
  }

  /** Put variants named in `order` (the stock kernel is `tfjs`) first; others keep their relative order. */
  prefer(kernel: string, order: string[]): void {
    const slot = this.slots.get(kernel);
    if (!slot) return;
    const rank = (v: string) => {
      const i = order.indexOf(v);
      return i < 0 ? order.length : i;
    };
    slot.order.sort((a, b) => rank(a) - rank(b));
  }

  private slot(kernel: string): Slot {
    let s = this.slots.get(kernel);
    if (!s) {
      s = { kernel, impls: [], order: [STOCK_VARIANT], planByShape: new Map(), counts: new Map() };
      this.slots.set(kernel, s);
    }
    return s;
  }

  install(): void {
    this.installed = true;
    for (const slot of this.slots.values()) this.installSlot(slot);
  }

  private installSlot(slot: Slot): void {
    const current = tf.getKernel(slot.kernel, this.tfBackend);
    if (current && (current as { fbnetDispatch?: boolean }).fbnetDispatch) return;
    slot.stock = current;
    if (current) tf.unregisterKernel(slot.kernel, this.tfBackend);
    const config: tf.KernelConfig & { fbnetDispatch: true } = {
      kernelName: slot.kernel,
      backendName: this.tfBackend,
      kernelFunc: ((args: KernelArgs) => this.dispatch(slot, args)) as unknown as tf.KernelFunc,
      setupFunc: current?.setupFunc,
      disposeFunc: current?.disposeFunc,
      fbnetDispatch: true,
    };
    tf.registerKernel(config);
  }

  /** Restore the stock kernels. */
  uninstall(): void {
    if (!this.installed) return;
    this.installed = false;
    for (const slot of this.slots.values()) {
      const current = tf.getKernel(slot.kernel, this.tfBackend);
      if (current && (current as { fbnetDispatch?: boolean }).fbnetDispatch) tf.unregisterKernel(slot.kernel, this.tfBackend);
      if (slot.stock) tf.registerKernel(slot.stock);
    }
  }

  private dispatch(slot: Slot, args: KernelArgs): KernelOutput {
    const call = describeCall(slot.kernel, args.inputs as Record<string, tf.TensorInfo>, args.attrs ?? {});
    const impl = this.choose(slot, call);
    slot.counts.set(impl ? impl.variant : STOCK_VARIANT, (slot.counts.get(impl ? impl.variant : STOCK_VARIANT) ?? 0) + 1);
    if (!impl?.readsResident) materializeInputs(args.backend, args.inputs);
    if (impl) return impl.run(args, call);
    if (!slot.stock) {
      throw new FbnetError('BACKEND_UNAVAILABLE', `${this.pluginId}: no variant of ${slot.kernel} supports ${shapeKey(call.shape)} and the ${this.tfBackend} backend has no stock kernel`);
    }
    return slot.stock.kernelFunc(args as unknown as Parameters<tf.KernelFunc>[0]) as KernelOutput;
  }

  /** The implementation a call would use (undefined = stock). */
  choose(slot: Slot, call: CallInfo): KernelImpl | undefined {
    const usable = (name: string | undefined): KernelImpl | undefined | null => {
      if (!name) return null;
      if (name === STOCK_VARIANT) return slot.stock ? undefined : null;
      const impl = slot.impls.find((i) => i.variant === name);
      return impl && call.fast && impl.supports(call.shape, call) ? impl : null;
    };
    for (const name of [slot.forced, slot.planByShape.size ? slot.planByShape.get(shapeKey(call.shape)) : undefined, slot.planDefault]) {
      const r = usable(name);
      if (r !== null) return r;
    }
    for (const name of slot.order) {
      const r = usable(name);
      if (r !== null) return r;
    }
    return undefined;
  }

  /** Name of the variant a call with these inputs/attrs would run (for tests and reports). */
  which(kernel: string, inputs: Record<string, tf.TensorInfo>, attrs: Record<string, unknown>): string {
    const slot = this.slots.get(kernel);
    if (!slot) return STOCK_VARIANT;
    return this.choose(slot, describeCall(kernel, inputs, attrs))?.variant ?? STOCK_VARIANT;
  }

  force(kernel: string, variant: string | undefined): void {
    const slot = this.slots.get(kernel);
    if (!slot) {
      if (variant === undefined || variant === STOCK_VARIANT) return;
      throw new FbnetError('REGISTRY_UNKNOWN', `${this.pluginId}: no variants for kernel "${kernel}"; kernels with variants: ${[...this.slots.keys()].sort().join(', ')}`);
    }
    if (variant !== undefined && variant !== STOCK_VARIANT && !slot.impls.some((i) => i.variant === variant)) {
      throw new FbnetError('REGISTRY_UNKNOWN', `${this.pluginId}: unknown variant "${variant}" of ${kernel}; known: ${this.variantNames(slot).join(', ')}`);
    }
    slot.forced = variant;
  }

  usePlan(plan: KernelPlan | undefined): void {
    for (const slot of this.slots.values()) {
      slot.planByShape.clear();
      slot.planDefault = undefined;
    }
    if (!plan) return;
    for (const e of plan.entries) this.slots.get(e.kernel)?.planByShape.set(e.shape, e.variant);
    for (const [k, v] of Object.entries(plan.defaults)) {
      const slot = this.slots.get(k);
      if (slot) slot.planDefault = v;
    }
  }

  private variantNames(slot: Slot): string[] {
    return [...slot.impls.map((i) => i.variant), ...(slot.stock || !this.installed ? [STOCK_VARIANT] : [])];
  }

  /** Every (kernel, variant) this dispatcher can run, stock kernels included. */
  variants(): KernelVariant[] {
    const out: KernelVariant[] = [];
    for (const slot of this.slots.values()) {
      for (const impl of slot.impls) {
        out.push({ kernel: slot.kernel, variant: impl.variant, backend: this.pluginId, description: impl.description, supports: (s) => impl.supports(s) });
      }
      const hasStock = this.installed ? !!slot.stock : !!tf.getKernel(slot.kernel, this.tfBackend);
      if (hasStock) {
        out.push({ kernel: slot.kernel, variant: STOCK_VARIANT, backend: this.pluginId, description: `stock @tensorflow/tfjs-backend-${this.tfBackend} kernel`, supports: () => true });
      }
    }
    return out;
  }

  kernels(): string[] {
    return [...this.slots.keys()];
  }

  /** Calls per variant since the last reset, per kernel. */
  callCounts(): Record<string, Record<string, number>> {
    const out: Record<string, Record<string, number>> = {};
    for (const slot of this.slots.values()) out[slot.kernel] = Object.fromEntries(slot.counts);
    return out;
  }

  resetCounts(): void {
    for (const slot of this.slots.values()) slot.counts.clear();
  }
}
