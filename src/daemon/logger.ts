import { pino, type Logger } from 'pino';
import type { LogLevel } from '../config/schema.js';

export interface DaemonLogger {
  readonly log: Logger;
  /** Writes out whatever is buffered. Safe to call more than once. */
  readonly flush: () => void;
}

/**
 * JSON lines to the log file in the state directory, and the same lines to stderr so a
 * foreground daemon (or systemd) shows them. Writes are synchronous: the daemon logs rarely,
 * and a line must not be lost when the process exits right after writing it.
 */
export function createDaemonLogger(logFile: string, level: LogLevel): DaemonLogger {
  const file = pino.destination({ dest: logFile, sync: true, mkdir: true });
  const log = pino(
    { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.multistream([
      { level, stream: file },
      { level, stream: process.stderr },
    ]),
  );
  return {
    log,
    flush: () => {
      file.flushSync();
    },
  };
}
