/**
 * Every error fbnet-ts raises on bad input is an FbnetError with a stable `code`,
 * so callers (CLI, stages) can tell a user what is wrong without parsing messages.
 */
export type FbnetErrorCode =
  | 'ARCH_DEF_INVALID'
  | 'SEARCH_SPACE_INVALID'
  | 'REGISTRY_DUPLICATE'
  | 'REGISTRY_UNKNOWN'
  | 'FILE_INVALID'
  | 'DATA_CORRUPT'
  | 'DEVICE_MISMATCH'
  | 'BACKEND_UNAVAILABLE'
  | 'NUMERIC'
  | 'CHECKPOINT'
  /** A job queue's server (Redis) did not answer within its bounded connect attempts. */
  | 'QUEUE_UNREACHABLE'
  | 'USAGE';

export class FbnetError extends Error {
  readonly code: FbnetErrorCode;
  constructor(code: FbnetErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'FbnetError';
    this.code = code;
  }
}

/** Location of a block inside an arch def: stage index, block index within the stage, and the field at fault. */
export interface BlockLocation {
  stage: number;
  block: number;
  field?: string;
}

export class ArchDefError extends FbnetError {
  readonly location?: BlockLocation;
  constructor(message: string, location?: BlockLocation) {
    const where = location
      ? `stage ${location.stage}, block ${location.block}${location.field ? `, field "${location.field}"` : ''}: `
      : '';
    super('ARCH_DEF_INVALID', `invalid arch def: ${where}${message}`);
    this.name = 'ArchDefError';
    this.location = location;
  }
}

export function isFbnetError(e: unknown): e is FbnetError {
  return e instanceof FbnetError;
}
