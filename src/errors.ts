/** The one error type. `code` is mapped once at each edge (HTTP status, CLI exit code). */
export type ErrorCode =
  | 'usage'
  | 'config_invalid'
  | 'config_not_found'
  | 'config_exists'
  | 'already_running'
  | 'address_in_use'
  | 'conflict'
  /** The daemon is not running, or does not answer at the address it advertised. */
  | 'daemon_unreachable'
  /** The daemon refused: no or a wrong bearer token, or a foreign Host/Origin. */
  | 'unauthorized'
  /** The daemon knows no such thing (a session id, a job). */
  | 'not_found'
  /** A file could not be read or written (permissions, a read-only or full disk): named, with why. */
  | 'io'
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
