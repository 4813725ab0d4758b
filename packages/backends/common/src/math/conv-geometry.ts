/**
 * Geometry of a 2-D convolution in NHWC with explicit padding, as the fast kernels see it.
 * Built from TF.js's own `computeConv2DInfo`, so 'same'/'valid'/explicit padding and
 * rounding modes mean exactly what they mean in TF.js.
 */
export interface ConvGeometry {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  /** Padding before the first row / column and after the last. */
  padT: number;
  padL: number;
  padB: number;
  padR: number;
  oh: number;
  ow: number;
}

/** Subset of tf.backend_util.Conv2DInfo that the kernels read. */
export interface Conv2DInfoLike {
  batchSize: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outChannels: number;
  outHeight: number;
  outWidth: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  padInfo: { top: number; left: number; bottom: number; right: number; type: string };
  dataFormat: string;
}

export function geometryFromInfo(info: Conv2DInfoLike): ConvGeometry {
  return {
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    cin: info.inChannels,
    cout: info.outChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    padT: info.padInfo.top,
    padL: info.padInfo.left,
    padB: info.padInfo.bottom,
    padR: info.padInfo.right,
    oh: info.outHeight,
    ow: info.outWidth,
  };
}

/** A pointwise conv that is a plain matrix product over pixels (no im2col needed). */
export function isPlainPointwise(g: ConvGeometry): boolean {
  return g.kh === 1 && g.kw === 1 && g.sh === 1 && g.sw === 1 && g.padT === 0 && g.padL === 0 && g.oh === g.h && g.ow === g.w;
}
