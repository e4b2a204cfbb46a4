/** The one error type. `code` is mapped once at each edge (HTTP status, CLI exit code). */
export type ErrorCode =
  | 'usage'
  | 'config_invalid'
  | 'config_not_found'
  | 'config_exists'
  | 'already_running'
  | 'address_in_use'
  | 'conflict'
  | 'internal';

export class PalError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PalError';
    this.code = code;
  }
}

export function isPalError(error: unknown): error is PalError {
  return error instanceof PalError;
}
