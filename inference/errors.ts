/**
 * Errors at the inference boundary are values with a code and a message that says what to
 * fix. A refused model package keeps the previous model running.
 */
export type ModelPackageErrorCode =
  | 'PACKAGE_NOT_FOUND'
  | 'MANIFEST_MISSING'
  | 'MANIFEST_INVALID_JSON'
  | 'MANIFEST_INVALID'
  | 'UNKNOWN_PHASE'
  | 'FILE_MISSING'
  | 'FILE_UNSAFE_PATH'
  | 'FILE_HASH_MISMATCH'
  | 'FILE_NOT_LISTED'
  | 'MODEL_JSON_INVALID'
  | 'INPUT_SHAPE_MISMATCH'
  | 'OUTPUT_SHAPE_MISMATCH'
  | 'MODEL_LOAD_FAILED';

export class ModelPackageError extends Error {
  override readonly name = 'ModelPackageError';
  constructor(
    readonly code: ModelPackageErrorCode,
    message: string,
    readonly dir?: string,
  ) {
    super(message);
  }

  toJSON(): { code: string; message: string; dir?: string } {
    return { code: this.code, message: this.message, dir: this.dir };
  }
}

export type InferenceErrorCode =
  | 'BACKEND_UNAVAILABLE'
  | 'WORKER_START_FAILED'
  | 'WORKER_CRASHED'
  | 'NOT_READY'
  | 'FRAME_SIZE_MISMATCH';

export class InferenceError extends Error {
  override readonly name = 'InferenceError';
  constructor(
    readonly code: InferenceErrorCode,
    message: string,
  ) {
    super(message);
  }
}
