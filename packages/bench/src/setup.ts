import * as tf from '@tensorflow/tfjs-core';
import { deviceFingerprint, loadDevicePlan, loadKernelPlan, userPlansDir } from '@fbnet/backend-common';
import type { AutotuneOptions } from './autotune.ts';
import { FbnetError, parseArchDef, type ArchDef, type BackendPlugin, type DeviceFingerprint, type KernelPlan } from '@fbnet/core';
import { resolvePlugin } from './plugins.ts';

export interface PluginSetupOptions {
  backend: string | BackendPlugin;
  /** A kernel plan, the path of one (validated and device-checked), or 'auto': the plan measured for this device, if any. */
  plan?: KernelPlan | string;
  /** Use a plan measured on another device anyway. */
  forcePlan?: boolean;
  threads?: number;
  /**
   * With `plan: 'auto'` and no plan for this device (committed, or cached per user): tune one now
   * and cache it (`autotunePlan`), instead of running without one.
   */
  autotune?: boolean | AutotuneOptions;
}

/** Load, check availability of, and activate a plugin (with its plan). */
export async function setupPlugin(o: PluginSetupOptions): Promise<{ plugin: BackendPlugin; plan?: KernelPlan; fingerprint: DeviceFingerprint }> {
  tf.env().set('PROD', true);
  const plugin = await resolvePlugin(o.backend);
  const a = await plugin.availability();
  if (!a.available) throw new FbnetError('BACKEND_UNAVAILABLE', `backend plugin "${plugin.id}" is unavailable: ${a.reason}`);
  let plan: KernelPlan | undefined;
  if (o.plan === 'auto') {
    await plugin.init({ threads: o.threads });
    const { planHash: _h, ...device } = await deviceFingerprint(plugin);
    // A committed plan for this device, else one tuned earlier on it (the user's cache), else tune one now if asked.
    plan = (await loadDevicePlan(device)) ?? (await loadDevicePlan(device, await userPlansDir()));
    if (!plan && o.autotune) {
      const { autotunePlan } = await import('./autotune.ts');
      plan = (await autotunePlan(plugin, device, o.autotune === true ? {} : o.autotune)).plan;
    }
  } else if (typeof o.plan === 'string') {
    plan = await loadKernelPlan(o.plan);
  } else plan = o.plan;
  await plugin.init({ plan, threads: o.threads, ...(o.forcePlan ? { forcePlan: true } : {}) } as Parameters<BackendPlugin['init']>[0]);
  // init() keeps an earlier plan when given none: make "no plan" mean no plan.
  if (!plan) plugin.usePlan?.(undefined);
  return { plugin, plan, fingerprint: await deviceFingerprint(plugin, plan) };
}

/** An arch def from a path (JSON) or an object. */
export async function loadArch(arch: ArchDef | string | undefined, archPath?: string): Promise<{ def: ArchDef; name: string }> {
  const src = arch ?? archPath;
  if (src === undefined) throw new FbnetError('USAGE', 'benchmark needs an arch (object) or archPath');
  if (typeof src === 'string') {
    const { FILE_SIZE_CAPS, readJsonCapped } = await import('@fbnet/core/node');
    const json = readJsonCapped(src, 'arch def', FILE_SIZE_CAPS.archDef);
    try {
      const def = parseArchDef(json);
      return { def, name: def.name ?? src };
    } catch (e) {
      if (e instanceof FbnetError) throw new FbnetError(e.code, `${src}: ${e.message}`, { cause: e });
      throw e;
    }
  }
  const def = parseArchDef(src);
  return { def, name: def.name ?? 'arch' };
}
