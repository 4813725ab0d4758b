import { FbnetError, type DeviceFingerprint, type KernelPlan } from '@fbnet/core';
import { checkPlanDevice, parseKernelPlan, planFileName } from './plan.ts';

/** Node only: write a plan as pretty JSON (creating folders). */
export async function saveKernelPlan(path: string, plan: KernelPlan): Promise<void> {
  const fs = await import('node:fs/promises');
  const p = await import('node:path');
  await fs.mkdir(p.dirname(path), { recursive: true });
  await fs.writeFile(path, `${JSON.stringify(plan, null, 2)}\n`);
}

export interface LoadPlanOptions {
  /** The device it is meant for: loading refuses a plan measured elsewhere... */
  device?: Omit<DeviceFingerprint, 'planHash'>;
  /** ...unless forced. */
  force?: boolean;
}

/** Node only: read, validate and (when `device` is given) device-check a plan. */
export async function loadKernelPlan(path: string, options: LoadPlanOptions = {}): Promise<KernelPlan> {
  const { FILE_SIZE_CAPS, readTextCapped } = await import('@fbnet/core/node');
  const text = readTextCapped(path, 'kernel plan', FILE_SIZE_CAPS.kernelPlan);
  const plan = parseKernelPlan(text, `kernel plan ${path}`);
  if (options.device) checkPlanDevice(plan, options.device, options.force);
  return plan;
}

/**
 * The committed per-device plans (`fbnet bench kernels` writes here), found from this module's
 * location: a plan applies whatever directory the command runs in (it used to be read relative
 * to the working directory, so a run started outside the repository ran without its plan).
 */
export const PLANS_DIR = decodeURIComponent(new URL('../../../../benchmarks/results/plans', import.meta.url).pathname);

/**
 * Node only: the plan measured for exactly this device (its file name derives from the
 * fingerprint), or undefined when none was measured here yet.
 */
export async function loadDevicePlan(device: Omit<DeviceFingerprint, 'planHash'>, dir = PLANS_DIR): Promise<KernelPlan | undefined> {
  const fs = await import('node:fs/promises');
  const { safeJoin } = await import('@fbnet/core/node');
  const file = safeJoin(dir, planFileName(device));
  try {
    await fs.access(file);
  } catch {
    return undefined;
  }
  return loadKernelPlan(file, { device });
}

/**
 * Node only: the per-user folder of plans tuned on first use — `$FBNET_PLANS_DIR`, else
 * `$XDG_CACHE_HOME/fbnet/plans`, else `~/.cache/fbnet/plans`.
 */
export async function userPlansDir(): Promise<string> {
  const p = await import('node:path');
  const os = await import('node:os');
  if (process.env.FBNET_PLANS_DIR) return p.resolve(process.env.FBNET_PLANS_DIR);
  return p.join(process.env.XDG_CACHE_HOME || p.join(os.homedir(), '.cache'), 'fbnet', 'plans');
}
