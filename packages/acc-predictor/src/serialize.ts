import { FbnetError, type StageCheckpoint } from '@fbnet/core';
import { AccuracyPredictor, type PredictorMeta, type PredictorNetMeta } from './predictor.ts';

export const PREDICTOR_FORMAT = 'fbnet/accuracy-predictor';

/**
 * A predictor as plain JSON (stage results, pipeline artifacts): the checkpoint's metadata and
 * every weight as little-endian float32 in base64 — bit-exact, so a deserialized predictor
 * predicts exactly what the original did.
 */
export interface SerializedPredictor {
  format: typeof PREDICTOR_FORMAT;
  meta: PredictorMeta;
  tensors: Record<string, { shape: number[]; base64: string }>;
}

function toBase64(a: Float32Array): string {
  const le = new Float32Array(a);
  return Buffer.from(le.buffer, le.byteOffset, le.byteLength).toString('base64');
}

function fromBase64(s: string): Float32Array {
  const b = Buffer.from(s, 'base64');
  const out = new Float32Array(b.byteLength / 4);
  new Uint8Array(out.buffer).set(b);
  return out;
}

export function checkpointToSerialized(ckpt: StageCheckpoint<PredictorMeta>): SerializedPredictor {
  const tensors: SerializedPredictor['tensors'] = {};
  for (const [k, v] of Object.entries(ckpt.tensors)) tensors[k] = { shape: [...v.shape], base64: toBase64(v.data) };
  return { format: PREDICTOR_FORMAT, meta: JSON.parse(JSON.stringify(ckpt.meta)) as PredictorMeta, tensors };
}

/** The predictor's whole state as plain JSON. */
export function serializePredictor(p: AccuracyPredictor): SerializedPredictor {
  return checkpointToSerialized(p.state());
}

export function serializedToCheckpoint(s: SerializedPredictor): StageCheckpoint<PredictorMeta | PredictorNetMeta> {
  if (s?.format !== PREDICTOR_FORMAT || !s.meta || !s.tensors) throw new FbnetError('USAGE', `not a serialized accuracy predictor (format ${JSON.stringify(s?.format)})`);
  const tensors: StageCheckpoint['tensors'] = {};
  for (const [k, v] of Object.entries(s.tensors)) {
    const data = fromBase64(v.base64);
    if (data.length !== v.shape.reduce((a, b) => a * b, 1)) throw new FbnetError('USAGE', `serialized predictor: tensor ${k} has ${data.length} values for shape [${v.shape}]`);
    tensors[k] = { shape: [...v.shape], data };
  }
  return { meta: s.meta, tensors };
}

/** A predictor from its serialized form (the caller disposes it). */
export function deserializePredictor(s: SerializedPredictor): AccuracyPredictor {
  return AccuracyPredictor.fromState(serializedToCheckpoint(s));
}
