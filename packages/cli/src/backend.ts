import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { FbnetError } from '@fbnet/core';

export interface ActiveBackend {
  id: string;
  tfBackend: string;
  version: string;
}

/** Activate a backend by plugin id. */
export async function initBackend(id: string): Promise<ActiveBackend> {
  tf.env().set('PROD', true);
  if (id !== 'cpu') throw new FbnetError('BACKEND_UNAVAILABLE', `backend "${id}" is not available; known: cpu`);
  await tf.setBackend('cpu');
  await tf.ready();
  return { id, tfBackend: tf.getBackend(), version: tf.version_core };
}
