/**
 * NumPy-style broadcasting binary ops on float32 arrays with strided inner loops. Shapes
 * are right-aligned, dims of size 1 get stride 0, and adjacent dims that are contiguous
 * for both operands are merged, so the common cases (same shape, per-channel vector,
 * scalar, [N,1,1,C] against [N,H,W,C]) become one or two tight loops.
 */
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div';

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const R = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < R; i++) {
    const da = a[a.length - R + i] ?? 1;
    const db = b[b.length - R + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw new Error(`shapes [${a}] and [${b}] do not broadcast`);
    out.push(da === 1 ? db : da);
  }
  return out;
}

interface Plan {
  dims: number[];
  sa: number[];
  sb: number[];
}

function plan(a: readonly number[], b: readonly number[], out: number[]): Plan {
  const R = out.length;
  const pa = [...Array(R - a.length).fill(1), ...a];
  const pb = [...Array(R - b.length).fill(1), ...b];
  const stridesOf = (p: number[]) => {
    const s = new Array<number>(R);
    let acc = 1;
    for (let i = R - 1; i >= 0; i--) {
      s[i] = p[i] === 1 ? 0 : acc;
      acc *= p[i];
    }
    return s;
  };
  const sa = stridesOf(pa);
  const sb = stridesOf(pb);
  const dims: number[] = [];
  const ra: number[] = [];
  const rb: number[] = [];
  for (let i = 0; i < R; i++) {
    if (out[i] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && ra[last] === sa[i] * out[i] && rb[last] === sb[i] * out[i]) {
      dims[last] *= out[i];
      ra[last] = sa[i];
      rb[last] = sb[i];
    } else {
      dims.push(out[i]);
      ra.push(sa[i]);
      rb.push(sb[i]);
    }
  }
  if (!dims.length) return { dims: [1], sa: [0], sb: [0] };
  return { dims, sa: ra, sb: rb };
}

function inner(op: BinaryOp, a: Float32Array, ai: number, sa: number, b: Float32Array, bi: number, sb: number, o: Float32Array, oi: number, n: number): void {
  // One specialised loop per (op, stride pattern): V8 then keeps each loop monomorphic.
  if (sa === 1 && sb === 1) {
    if (op === 'add') for (let i = 0; i < n; i++) o[oi + i] = a[ai + i] + b[bi + i];
    else if (op === 'sub') for (let i = 0; i < n; i++) o[oi + i] = a[ai + i] - b[bi + i];
    else if (op === 'mul') for (let i = 0; i < n; i++) o[oi + i] = a[ai + i] * b[bi + i];
    else for (let i = 0; i < n; i++) o[oi + i] = a[ai + i] / b[bi + i];
  } else if (sb === 0) {
    const v = b[bi];
    if (op === 'add') for (let i = 0; i < n; i++) o[oi + i] = a[ai + i * sa] + v;
    else if (op === 'sub') for (let i = 0; i < n; i++) o[oi + i] = a[ai + i * sa] - v;
    else if (op === 'mul') for (let i = 0; i < n; i++) o[oi + i] = a[ai + i * sa] * v;
    else for (let i = 0; i < n; i++) o[oi + i] = a[ai + i * sa] / v;
  } else if (sa === 0) {
    const v = a[ai];
    if (op === 'add') for (let i = 0; i < n; i++) o[oi + i] = v + b[bi + i * sb];
    else if (op === 'sub') for (let i = 0; i < n; i++) o[oi + i] = v - b[bi + i * sb];
    else if (op === 'mul') for (let i = 0; i < n; i++) o[oi + i] = v * b[bi + i * sb];
    else for (let i = 0; i < n; i++) o[oi + i] = v / b[bi + i * sb];
  } else {
    for (let i = 0; i < n; i++) {
      const x = a[ai + i * sa];
      const y = b[bi + i * sb];
      o[oi + i] = op === 'add' ? x + y : op === 'sub' ? x - y : op === 'mul' ? x * y : x / y;
    }
  }
}

export function broadcastBinary(op: BinaryOp, a: Float32Array, aShape: readonly number[], b: Float32Array, bShape: readonly number[], out: Float32Array): void {
  const { dims, sa, sb } = plan(aShape, bShape, broadcastShape(aShape, bShape));
  const R = dims.length;
  const n = dims[R - 1];
  const ia = sa[R - 1];
  const ib = sb[R - 1];
  if (R === 1) {
    inner(op, a, 0, ia, b, 0, ib, out, 0, n);
    return;
  }
  const idx = new Array<number>(R - 1).fill(0);
  let ao = 0;
  let bo = 0;
  const total = out.length;
  for (let oo = 0; oo < total; oo += n) {
    inner(op, a, ao, ia, b, bo, ib, out, oo, n);
    for (let d = R - 2; d >= 0; d--) {
      idx[d]++;
      ao += sa[d];
      bo += sb[d];
      if (idx[d] < dims[d]) break;
      ao -= sa[d] * dims[d];
      bo -= sb[d] * dims[d];
      idx[d] = 0;
    }
  }
}
