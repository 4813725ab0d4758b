import { FbnetError } from '@fbnet/core';

export interface TorchOptions {
  archPath: string;
  batch?: number;
  threads?: number;
  steps?: number;
  inferIterations?: number;
  /** Never a pyenv shim: the system interpreter with torch installed. */
  python?: string;
  script?: string;
}

export interface TorchResult {
  framework: 'pytorch';
  torchVersion: string;
  threads: number;
  batch: number;
  steps: number;
  imagesPerSec: number;
  imagesPerSecMedian: number;
  stepMs: number;
  latencyMs: number;
  p10: number;
  p90: number;
}

/** Runs benchmarks/torch/fbnet_bench.py (the PyTorch yardstick) and parses its JSON line. */
export async function runTorchYardstick(o: TorchOptions): Promise<TorchResult> {
  const { execFile } = await import('node:child_process');
  const args = [o.script ?? 'benchmarks/torch/fbnet_bench.py', o.archPath, '--batch', String(o.batch ?? 64), '--threads', String(o.threads ?? 2)];
  if (o.steps) args.push('--steps', String(o.steps));
  if (o.inferIterations) args.push('--infer-iters', String(o.inferIterations));
  const python = o.python ?? '/usr/bin/python3';
  const out = await new Promise<string>((resolve, reject) => {
    execFile(python, args, { maxBuffer: 1 << 20, timeout: 600_000 }, (err, stdout, stderr) => {
      if (err) reject(new FbnetError('BACKEND_UNAVAILABLE', `PyTorch yardstick failed (${python} ${args.join(' ')}): ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
  });
  const line = out.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as TorchResult;
  } catch {
    throw new FbnetError('FILE_INVALID', `PyTorch yardstick printed no JSON: ${line.slice(0, 200)}`);
  }
}
