import { describe, expect, it } from 'vitest';
import os from 'node:os';
import path from 'node:path';
import { FbnetError, type KernelPlan } from '@fbnet/core';
import { checkPlanDevice, parseKernelPlan, planDeviceDifferences, planFileName, planFromTimings, planHash } from './plan.ts';
import { loadDevicePlan, loadKernelPlan, saveKernelPlan } from './plan-io.ts';
import { deviceFingerprint, deviceSlug } from './fingerprint.ts';

const device = { cpuModel: 'AMD EPYC', cores: 2, os: 'linux 6.1 x64', runtime: 'node 20.20.2', backend: 'wasm', backendVersion: 'tfjs-backend-wasm 4.22.0' };

const plan = (): KernelPlan =>
  planFromTimings(
    [
      { kernel: 'Conv2D', shape: 'a', variant: 'tfjs', medianMs: 2 },
      { kernel: 'Conv2D', shape: 'a', variant: 'native-simd-mt', medianMs: 1 },
      { kernel: 'Conv2D', shape: 'b', variant: 'tfjs', medianMs: 1 },
      { kernel: 'Conv2D', shape: 'b', variant: 'native-simd-mt', medianMs: 3 },
      { kernel: 'Conv2D', shape: 'c', variant: 'native-simd-mt', medianMs: 3 },
      { kernel: 'Conv2D', shape: 'c', variant: 'broken', medianMs: NaN },
    ],
    device,
    '2024-01-01T00:00:00.000Z',
  );

describe('kernel plan', () => {
  it('picks the fastest variant per shape and the most frequent winner as default', () => {
    const p = plan();
    expect(p.entries.map((e) => `${e.shape}:${e.variant}`)).toEqual(['a:native-simd-mt', 'b:tfjs', 'c:native-simd-mt']);
    expect(p.defaults).toEqual({ Conv2D: 'native-simd-mt' });
    expect(parseKernelPlan(JSON.parse(JSON.stringify(p)))).toEqual(p);
  });

  it('validates with errors that name the field', () => {
    const bad = { ...plan(), version: 2 };
    expect(() => parseKernelPlan(bad)).toThrow(/version/);
    const bad2 = JSON.parse(JSON.stringify(plan()));
    bad2.entries[0].medianMs = -1;
    expect(() => parseKernelPlan(bad2)).toThrow(/entries\.0\.medianMs/);
    expect(() => parseKernelPlan({ ...plan(), extra: 1 })).toThrow(/unknown field\(s\) "extra"/);
    expect(() => parseKernelPlan('{')).toThrow(FbnetError);
  });

  it('refuses a plan from another device, naming what differs, unless forced', () => {
    const here = { ...device, cores: 16, backendVersion: 'tfjs-backend-wasm 4.21.0' };
    expect(() => checkPlanDevice(plan(), here)).toThrow(/cores: plan 2, here 16; backendVersion: plan "tfjs-backend-wasm 4.22.0", here "tfjs-backend-wasm 4.21.0"/);
    expect(checkPlanDevice(plan(), here, true)).toHaveLength(2);
    expect(checkPlanDevice(plan(), device)).toEqual([]);
  });

  it('hashes what the plan decides, not when it was made', () => {
    const a = plan();
    const b = { ...plan(), createdAt: '2025-01-01', entries: [...plan().entries].reverse() };
    expect(planHash(a)).toBe(planHash(b));
    expect(planHash({ ...a, defaults: { Conv2D: 'tfjs' } })).not.toBe(planHash(a));
    expect(planFileName(device)).toMatch(/^kernel-plan-wasm-[0-9a-f]{8}\.json$/);
  });

  it('saves and loads, checking the device on load', async () => {
    const file = path.join(os.tmpdir(), `fbnet-plan-${process.pid}.json`);
    await saveKernelPlan(file, plan());
    expect(await loadKernelPlan(file, { device })).toEqual(plan());
    await expect(loadKernelPlan(file, { device: { ...device, cpuModel: 'Apple M2' } })).rejects.toThrow(/cpuModel/);
    await expect(loadKernelPlan(file, { device: { ...device, cpuModel: 'Apple M2' }, force: true })).resolves.toBeTruthy();
    await expect(loadKernelPlan(`${file}.missing`)).rejects.toThrow(/cannot read kernel plan/);
    const { truncateSync } = await import('node:fs');
    const huge = `${file}.huge`;
    await saveKernelPlan(huge, plan());
    truncateSync(huge, 20 * 1024 * 1024);
    await expect(loadKernelPlan(huge)).rejects.toThrow(`kernel plan ${huge} is 20 MiB, over the 16 MiB cap`);
    const dir = path.join(os.tmpdir(), `fbnet-plans-${process.pid}`);
    expect(await loadDevicePlan(device, dir)).toBeUndefined();
    await saveKernelPlan(path.join(dir, planFileName(device)), plan());
    expect(await loadDevicePlan(device, dir)).toEqual(plan());
  });
});

describe('device fingerprint', () => {
  it('describes this machine and the plugin, with the plan hash', async () => {
    const fp = await deviceFingerprint({ id: 'cpu', version: () => 'v1' }, plan());
    expect(fp.cores).toBeGreaterThan(0);
    expect(fp.runtime).toMatch(/^node /);
    expect(fp).toMatchObject({ backend: 'cpu', backendVersion: 'v1', planHash: planHash(plan()) });
    expect((await deviceFingerprint({ id: 'cpu', version: () => 'v1' })).planHash).toBe('none');
    expect(deviceSlug({ cpuModel: 'Intel(R) Xeon(R) CPU @ 2.20GHz', cores: 4, os: 'linux 6 x64', runtime: 'node 20.1.0' })).toBe('intel-xeon-4c-linux-node20');
  });
});

describe('plans on another kernel build of the same machine', () => {
  it('match: the OS is compared as platform + architecture (osKey), in the device check and the file name', async () => {
    const { osKey } = await import('@fbnet/core');
    expect(osKey('linux 6.18.44-fc-v782 x64')).toBe('linux x64');
    expect(osKey('linux x64')).toBe('linux x64');
    expect(osKey('macOS')).toBe('macOS');
    const device = { cpuModel: 'AMD EPYC', cores: 2, os: 'linux 6.18.44-fc-v782 x64', runtime: 'node 20.20.2', backend: 'wasm', backendVersion: 'v' };
    const here = { ...device, os: 'linux x64' };
    const plan = planFromTimings([], device);
    expect(planDeviceDifferences(plan, here)).toEqual([]);
    expect(planFileName(device)).toBe(planFileName(here));
    expect(planDeviceDifferences(plan, { ...here, os: 'linux arm64' })).toHaveLength(1);
    expect(planDeviceDifferences(plan, { ...here, cores: 16 })).toEqual(['cores: plan 2, here 16']);
  });
});
