/**
 * The C ABI of `wasm/fbnet-kernels.wasm` (see csrc/*.c). All pointers are byte offsets into
 * the shared memory; all tensors are float32, row-major, activations NHWC.
 */
export interface KernelExports {
  readonly __stack_pointer: WebAssembly.Global;
  readonly __heap_base: WebAssembly.Global;

  fb_alloc(bytes: number): number;
  fb_release(ptr: number): void;
  /** 0 bytes in use, 1 live blocks, 2 heap size, 3 largest free block. */
  fb_heap_stat(which: number): number;
  fb_scratch_release(): void;

  fb_pool_set_threads(n: number): void;
  fb_pool_ready(): number;
  fb_pool_set_spin(iters: number): void;
  fb_pool_set_main_can_wait(canWait: number): void;
  fb_pool_shutdown(): void;
  fb_worker_loop(tid: number): void;

  fb_expf(x: number): number;
  fb_logf(x: number): number;

  /** C = act(op(A) op(B) (+ C if beta) + bias); bias 0 = none. */
  fb_sgemm(
    transA: number, transB: number, m: number, n: number, k: number,
    a: number, lda: number, b: number, ldb: number, c: number, ldc: number, beta: number,
    bias: number, act: number,
  ): void;

  /** ConvArgs, then (bias pointer or 0, activation code): y = act(conv + bias). */
  fb_conv2d_fwd(...args: [...ConvArgs, number, number]): void;
  fb_conv2d_bwd_input(...args: ConvArgs): void;
  fb_conv2d_bwd_filter(...args: ConvArgs): void;

  /** DwArgs, then (bias pointer or 0, activation code). */
  fb_dwconv_fwd(...args: [...DwArgs, number, number]): void;
  fb_dwconv_bwd_input(...args: DwArgs): void;
  fb_dwconv_bwd_filter(...args: DwArgs): void;

  fb_bn_act_train(
    x: number, gamma: number, beta: number, y: number, mean: number, invStd: number,
    m: number, c: number, eps: number, act: number,
  ): void;
  fb_bn_act_grad(
    dy: number, x: number, gamma: number, beta: number, mean: number, invStd: number,
    dx: number, dgamma: number, dbeta: number, m: number, c: number, act: number,
  ): void;
  fb_bn_act_infer(
    x: number, gamma: number, beta: number, mean: number, variance: number, y: number,
    m: number, c: number, eps: number, act: number,
  ): void;
  fb_act_fwd(x: number, y: number, n: number, act: number): void;
  fb_act_bwd(dy: number, x: number, dx: number, n: number, act: number): void;

  fb_add(a: number, b: number, y: number, n: number): void;
  fb_gap_fwd(x: number, y: number, n: number, hw: number, c: number): void;
  fb_gap_bwd(dy: number, dx: number, n: number, hw: number, c: number): void;
  fb_bias_add(x: number, b: number, y: number, m: number, c: number): void;
  fb_bias_grad(dy: number, db: number, m: number, c: number): void;
  fb_softmax_xent(logits: number, labels: number, dlogits: number, n: number, k: number, smoothing: number): number;
  fb_channel_shuffle(x: number, y: number, m: number, c: number, groups: number): void;
  /** xs, dxs: pointers to k pointers (a dxs entry of 0: no gradient for that input). */
  fb_mix_fwd(xs: number, w: number, k: number, y: number, n: number): void;
  fb_mix_bwd(dy: number, xs: number, w: number, k: number, dxs: number, dw: number, n: number): void;
  fb_chscale_fwd(x: number, m: number, y: number, rows: number, c: number): void;
  /** dx may be 0 (no input gradient). */
  fb_chscale_bwd(dy: number, x: number, m: number, dx: number, dm: number, rows: number, c: number): void;
}

/** (a, b, out, n, h, w, cin, cout, kh, kw, strideH, strideW, padTop, padLeft, outH, outW, groups) */
export type ConvArgs = [
  number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number, number,
];
/** (a, b, out, n, h, w, c, kh, kw, strideH, strideW, padTop, padLeft, outH, outW) */
export type DwArgs = [number, number, number, number, number, number, number, number, number, number, number, number, number, number, number];
