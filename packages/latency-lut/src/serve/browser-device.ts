import * as tf from '@tensorflow/tfjs-core';
import type { LutDevice } from '../schema.ts';

interface NavigatorLike {
  userAgent?: string;
  platform?: string;
  hardwareConcurrency?: number;
  userAgentData?: { platform?: string };
  gpu?: { requestAdapter(): Promise<{ info?: Record<string, string>; requestAdapterInfo?: () => Promise<Record<string, string>> } | null> };
}

/** The GPU the backend runs on, when the browser says (WebGPU adapter info, WebGL unmasked renderer). */
async function gpuDescription(backend: string, nav: NavigatorLike): Promise<string | undefined> {
  try {
    if (backend === 'webgpu' && nav.gpu) {
      const a = await nav.gpu.requestAdapter();
      const info = a?.info ?? (await a?.requestAdapterInfo?.());
      if (info) return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || undefined;
    }
    if (backend === 'webgl' && typeof document !== 'undefined') {
      const gl = document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl');
      const ext = gl?.getExtension('WEBGL_debug_renderer_info');
      if (gl && ext) return String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL));
    }
  } catch {
    /* a browser may refuse: the fingerprint then has no GPU field */
  }
  return undefined;
}

/**
 * A browser's fingerprint: browsers do not reveal the CPU model, so the user agent (in
 * `runtime`), the logical core count, the platform and the GPU (for GPU backends) identify it.
 */
export async function browserFingerprint(backend: string): Promise<LutDevice> {
  const nav = (globalThis as { navigator?: NavigatorLike }).navigator ?? {};
  const ua = nav.userAgent ?? 'unknown browser';
  const extra: Record<string, string> = { userAgent: ua, crossOriginIsolated: String((globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated ?? false) };
  const gpu = await gpuDescription(backend, nav);
  if (gpu) extra.gpu = gpu;
  const tfg = globalThis as { tf?: { wasm?: { version_wasm?: string; getThreadsCount?(): number }; version_webgl?: string; version_webgpu?: string } };
  if (backend === 'wasm' && tfg.tf?.wasm?.getThreadsCount) extra.wasmThreads = String(tfg.tf.wasm.getThreadsCount());
  const backendVersion = (backend === 'wasm' && tfg.tf?.wasm?.version_wasm) || (backend === 'webgl' && tfg.tf?.version_webgl) || (backend === 'webgpu' && tfg.tf?.version_webgpu) || tf.version_core;
  return {
    cpuModel: 'unknown (browser)',
    cores: nav.hardwareConcurrency ?? 0,
    os: nav.userAgentData?.platform || nav.platform || 'unknown',
    runtime: ua,
    backend,
    backendVersion: String(backendVersion),
    planHash: 'none',
    extra,
  };
}
