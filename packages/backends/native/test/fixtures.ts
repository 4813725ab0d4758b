/** Loads the PyTorch reference fixtures made by tools/make-kernel-fixtures.py. */
import { readFileSync } from 'node:fs';

export interface TensorRef {
  offset: number;
  length: number;
  shape: number[];
}

export interface FixtureCase {
  name: string;
  op: string;
  params: Record<string, unknown>;
  tensors: Record<string, TensorRef>;
}

export interface Fixtures {
  cases: FixtureCase[];
  tensor(c: FixtureCase, name: string): Float32Array;
  byOp(op: string): FixtureCase[];
}

export function loadFixtures(): Fixtures {
  const index = JSON.parse(readFileSync(new URL('./fixtures/kernels.json', import.meta.url), 'utf8')) as {
    version: number;
    cases: FixtureCase[];
  };
  if (index.version !== 1) throw new Error(`unknown fixture version ${index.version}`);
  const bytes = readFileSync(new URL('./fixtures/kernels.f32', import.meta.url));
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return {
    cases: index.cases,
    tensor(c, name) {
      const t = c.tensors[name];
      if (!t) throw new Error(`fixture ${c.name} has no tensor ${name} (has ${Object.keys(c.tensors).join(', ')})`);
      return all.slice(t.offset, t.offset + t.length);
    },
    byOp: (op) => index.cases.filter((c) => c.op === op),
  };
}
