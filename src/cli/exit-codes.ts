import type { ErrorCode } from '../errors.js';

/** The one table from error code to process exit status. Documented in the README. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  alreadyRunning: 3,
  /** The daemon is not running or cannot be reached. */
  daemonUnreachable: 4,
} as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'usage':
      return EXIT.usage;
    case 'already_running':
      return EXIT.alreadyRunning;
    case 'daemon_unreachable':
      return EXIT.daemonUnreachable;
    default:
      return EXIT.failure;
  }
}
