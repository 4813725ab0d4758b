import { isPlainPointwise, type ConvGeometry } from './conv-geometry.ts';
import { col2imRows, im2colRows } from './im2col.ts';
import { rowMajor, sgemm, transposed } from './gemm.ts';

/** Rows of im2col processed at once: bounds the scratch buffer to ~1 MB. */
const COLS_BUDGET = 1 << 18;

let scratch = new Float32Array(COLS_BUDGET);
function cols(n: number): Float32Array {
  if (scratch.length < n) scratch = new Float32Array(n);
  return scratch;
}

function chunkRows(K: number, M: number): number {
  return Math.max(1, Math.min(M, Math.floor(COLS_BUDGET / Math.max(1, K))));
}

/** y[n,oh,ow,cout] = conv(x[n,h,w,cin], f[kh,kw,cin,cout]) via im2col + blocked GEMM. */
export function conv2dForward(x: Float32Array, f: Float32Array, g: ConvGeometry, y: Float32Array): void {
  const M = g.n * g.oh * g.ow;
  const K = g.kh * g.kw * g.cin;
  const W = rowMajor(f, 0, g.cout);
  if (isPlainPointwise(g)) {
    sgemm(M, g.cout, K, rowMajor(x, 0, K), W, y, 0, g.cout, false);
    return;
  }
  const step = chunkRows(K, M);
  const buf = cols(step * K);
  for (let p0 = 0; p0 < M; p0 += step) {
    const p1 = Math.min(M, p0 + step);
    im2colRows(x, g, p0, p1, buf);
    sgemm(p1 - p0, g.cout, K, rowMajor(buf, 0, K), W, y, p0 * g.cout, g.cout, false);
  }
}

/** dx[n,h,w,cin] from dy[n,oh,ow,cout]: dcols = dy · Wᵀ, then col2im. */
export function conv2dBackpropInput(dy: Float32Array, f: Float32Array, g: ConvGeometry, dx: Float32Array): void {
  const M = g.n * g.oh * g.ow;
  const K = g.kh * g.kw * g.cin;
  const Wt = transposed(f, 0, g.cout);
  if (isPlainPointwise(g)) {
    sgemm(M, K, g.cout, rowMajor(dy, 0, g.cout), Wt, dx, 0, K, false);
    return;
  }
  dx.fill(0);
  const step = chunkRows(K, M);
  const buf = cols(step * K);
  for (let p0 = 0; p0 < M; p0 += step) {
    const p1 = Math.min(M, p0 + step);
    sgemm(p1 - p0, K, g.cout, rowMajor(dy, p0 * g.cout, g.cout), Wt, buf, 0, K, false);
    col2imRows(buf, g, p0, p1, dx);
  }
}

/** df[kh,kw,cin,cout] = colsᵀ · dy, accumulated over chunks of output pixels. */
export function conv2dBackpropFilter(x: Float32Array, dy: Float32Array, g: ConvGeometry, df: Float32Array): void {
  const M = g.n * g.oh * g.ow;
  const K = g.kh * g.kw * g.cin;
  if (isPlainPointwise(g)) {
    sgemm(K, g.cout, M, transposed(x, 0, K), rowMajor(dy, 0, g.cout), df, 0, g.cout, false);
    return;
  }
  const step = chunkRows(K, M);
  const buf = cols(step * K);
  for (let p0 = 0; p0 < M; p0 += step) {
    const p1 = Math.min(M, p0 + step);
    im2colRows(x, g, p0, p1, buf);
    sgemm(K, g.cout, p1 - p0, transposed(buf, 0, K), rowMajor(dy, p0 * g.cout, g.cout), df, 0, g.cout, p0 > 0);
  }
}
