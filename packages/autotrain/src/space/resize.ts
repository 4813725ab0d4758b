import { FbnetError } from '@fbnet/core';
import type { ImageDataset } from '@fbnet/data';

/** Area weights of a 1-D resampling: row o averages the input cells [o·s, (o+1)·s), s = in/out. */
function areaWeights(inSize: number, outSize: number): { start: number; w: number[] }[] {
  const s = inSize / outSize;
  return Array.from({ length: outSize }, (_, o) => {
    const a = o * s, b = (o + 1) * s;
    const start = Math.floor(a);
    const w: number[] = [];
    for (let i = start; i < Math.min(inSize, Math.ceil(b)); i++) w.push((Math.min(b, i + 1) - Math.max(a, i)) / s);
    return { start, w };
  });
}

/**
 * Resize every image to size×size by area averaging (OpenCV's INTER_AREA for shrinking):
 * the input-resolution dimension of the V3 space is served from the 28×28 data this way.
 */
export function resizeDataset(ds: ImageDataset, size: number): ImageDataset {
  if (!Number.isInteger(size) || size < 1) throw new FbnetError('USAGE', `resize: size must be a positive integer, got ${size}`);
  if (size === ds.height && size === ds.width) return ds;
  const rows = areaWeights(ds.height, size), cols = areaWeights(ds.width, size);
  const c = ds.channels;
  const out = new Uint8Array(ds.count * size * size * c);
  const tmp = new Float64Array(size * ds.width * c);
  for (let n = 0; n < ds.count; n++) {
    const src = n * ds.height * ds.width * c;
    tmp.fill(0);
    rows.forEach(({ start, w }, oy) => {
      w.forEach((wy, k) => {
        const row = src + (start + k) * ds.width * c;
        for (let x = 0; x < ds.width * c; x++) tmp[oy * ds.width * c + x] += wy * ds.images[row + x];
      });
    });
    const dst = n * size * size * c;
    for (let oy = 0; oy < size; oy++) {
      cols.forEach(({ start, w }, ox) => {
        for (let ch = 0; ch < c; ch++) {
          let v = 0;
          w.forEach((wx, k) => (v += wx * tmp[(oy * ds.width + start + k) * c + ch]));
          out[dst + (oy * size + ox) * c + ch] = Math.min(255, Math.max(0, Math.round(v)));
        }
      });
    }
  }
  return { ...ds, images: out, height: size, width: size };
}
