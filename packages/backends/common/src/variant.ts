import type * as tf from '@tensorflow/tfjs-core';
import type { KernelShape } from '@fbnet/core';
import type { CallInfo } from './call-info.ts';

/** Arguments TF.js passes to a kernel function. */
export interface KernelArgs {
  inputs: Record<string, tf.TensorInfo>;
  attrs?: Record<string, unknown>;
  backend: unknown;
}

export type KernelOutput = tf.TensorInfo | tf.TensorInfo[];

/**
 * One implementation of one kernel on one TF.js backend. `supports` is asked with the
 * call's canonical shape; `run` also gets the resolved call info (conv geometry etc.).
 */
export interface KernelImpl {
  kernel: string;
  variant: string;
  description: string;
  supports(shape: KernelShape, call?: CallInfo): boolean;
  /**
   * The implementation reads its inputs from the native heap's resident copies (see
   * native-variants), so pending native results need not be written back to the backend first.
   */
  readsResident?: boolean;
  run(args: KernelArgs, call: CallInfo): KernelOutput;
}

/** Name of the stock TF.js implementation in every variant list. */
export const STOCK_VARIANT = 'tfjs';
