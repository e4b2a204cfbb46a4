import { dirname } from 'node:path';
import { pino, type DestinationStream, type Logger } from 'pino';
import { ensurePrivateDirSync } from '../node-util.js';
import type { LogLevel } from '../config/schema.js';

export interface DaemonLogger {
  readonly log: Logger;
  /** Writes out whatever is buffered. Safe to call more than once. */
  readonly flush: () => void;
  /** Sends every line to `stream` too (OTLP export), until the returned function is called. */
  readonly tee: (stream: DestinationStream) => () => void;
}

/**
 * JSON lines to the log file in the state directory, and the same lines to stderr so a
 * foreground daemon (or systemd) shows them. Writes are synchronous: the daemon logs rarely,
 * and a line must not be lost when the process exits right after writing it.
 */
export function createDaemonLogger(logFile: string, level: LogLevel): DaemonLogger {
  // The log opens first of all, so the private state directory is made here; the log is 0600.
  ensurePrivateDirSync(dirname(logFile));
  const file = pino.destination({ dest: logFile, sync: true, mode: 0o600 });
  // Always in the multistream, forwarding to nothing until `tee` points it somewhere: cheaper to
  // reason about than adding and removing multistream entries.
  let teed: DestinationStream | undefined;
  const tee: DestinationStream = { write: (line) => teed?.write(line) };
  const log = pino(
    { level, base: { pid: process.pid }, timestamp: pino.stdTimeFunctions.isoTime },
    // The streams take every level: the logger's own level is the one filter, so that a reload
    // that changes `log_level` (which sets `log.level`) reaches every destination.
    pino.multistream([
      { level: 'trace', stream: file },
      { level: 'trace', stream: process.stderr },
      { level: 'trace', stream: tee },
    ]),
  );
  return {
    log,
    flush: () => {
      file.flushSync();
    },
    tee: (stream) => {
      teed = stream;
      return () => {
        if (teed === stream) teed = undefined;
      };
    },
  };
}
