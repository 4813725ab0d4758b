import * as tf from '@tensorflow/tfjs-core';

export interface ConvGeometry {
  stride: number;
  /** Symmetric explicit padding [rows, cols] (PyTorch semantics). */
  padding: [number, number];
  groups: number;
  inChannels: number;
  outChannels: number;
}

function explicitPad(p: [number, number]): tf.backend_util.ExplicitPadding {
  return [
    [0, 0],
    [p[0], p[0]],
    [p[1], p[1]],
    [0, 0],
  ];
}

/**
 * Convolution with explicit symmetric padding and groups (NHWC).
 * Filter layout: [kh, kw, cin/groups, cout] for dense/grouped, [kh, kw, c, 1] for depthwise
 * (groups == cin == cout). Grouped convolutions split channels; TF.js has no grouped conv.
 */
export function conv(x: tf.Tensor4D, w: tf.Tensor4D, g: ConvGeometry): tf.Tensor4D {
  const pad = g.padding[0] === 0 && g.padding[1] === 0 ? 'valid' : explicitPad(g.padding);
  if (g.groups === 1) return tf.conv2d(x, w, g.stride, pad);
  if (g.groups === g.inChannels && g.groups === g.outChannels) return tf.depthwiseConv2d(x, w, g.stride, pad);
  return tf.tidy(() => {
    const xs = tf.split(x, g.groups, 3);
    const ws = tf.split(w, g.groups, 3);
    return tf.concat(
      xs.map((xi, i) => tf.conv2d(xi as tf.Tensor4D, ws[i] as tf.Tensor4D, g.stride, pad)),
      3,
    ) as tf.Tensor4D;
  });
}

/** Filter shape for a conv node in our layout. */
export function filterShape(k: number, g: ConvGeometry): [number, number, number, number] {
  if (g.groups > 1 && g.groups === g.inChannels && g.groups === g.outChannels) return [k, k, g.inChannels, 1];
  return [k, k, g.inChannels / g.groups, g.outChannels];
}

/** Channel shuffle (ShuffleNet): [N,H,W,g*c] -> [N,H,W,g,c] -> swap -> [N,H,W,c*g]. */
export function channelShuffle(x: tf.Tensor4D, groups: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [n, h, w, c] = x.shape;
    return tf.reshape(tf.transpose(tf.reshape(x, [n, h, w, groups, c / groups]), [0, 1, 2, 4, 3]), [n, h, w, c]) as tf.Tensor4D;
  });
}
