// One error type for everything the engine refuses, so that the CLI, the IPC layer and the browser host
// can show `message` to a person as it is (one line, no stack) and branch on `code` when they must.

export type EngineErrorCode =
  | 'FILE_NOT_FOUND'
  | 'NOT_AN_IMAGE'
  | 'CORRUPT_IMAGE'
  | 'IMAGE_TOO_LARGE'
  | 'MODEL_INCOMPLETE'
  | 'MODEL_MISMATCH'
  | 'VARIANT_MISSING'
  | 'PROVIDER_UNAVAILABLE'
  | 'BAD_ARGUMENT'
  | 'BAD_BUDGET'
  | 'GRAPH_NOT_INSTRUMENTABLE'
  | 'DOWNLOAD_FAILED'
  | 'CHECKSUM_MISMATCH'
  | 'DISK_FULL'
  | 'DATA_FOLDER_IN_USE'
  | 'CANCELLED'
  | 'ENGINE_CRASHED';

export class EngineError extends Error {
  constructor(
    readonly code: EngineErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'EngineError';
  }
}

export function isEngineError(e: unknown): e is EngineError {
  return e instanceof EngineError;
}
