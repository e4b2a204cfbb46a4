import { dirname } from 'node:path';
import { pino, type DestinationStream, type Logger } from 'pino';
import { ensurePrivateDirSync } from '../node-util.js';
import type { LogLevel } from '../config/schema.js';
import { openLogFileStream, type LogFileFailure } from './log-file-stream.js';

export type { LogFileFailure } from './log-file-stream.js';

export interface DaemonLogger {
  readonly log: Logger;
  /** Writes out whatever is buffered. Safe to call more than once. */
  readonly flush: () => void;
  /** Sends every line to `stream` too (OTLP export), until the returned function is called. */
  readonly tee: (stream: DestinationStream) => () => void;
  /**
   * Where a failing log file is reported (logged, which reaches stderr, and counted), once per
   * failure streak: the daemon's `reportError` once it exists. A failure before this is called
   * is reported when it is.
   */
  readonly reportFileErrorsTo: (report: LogFileFailure) => void;
}

/**
 * JSON lines to the log file in the state directory, and the same lines to stderr so a
 * foreground daemon (or systemd) shows them. Writes are synchronous: the daemon logs rarely,
 * and a line must not be lost when the process exits right after writing it. A log file that
 * cannot be written (a full disk) costs only the file its lines: stderr still gets every one.
 */
export function createDaemonLogger(logFile: string, level: LogLevel): DaemonLogger {
  // The log opens first of all, so the private state directory is made here; the log is 0600.
  ensurePrivateDirSync(dirname(logFile));
  // Late-bound: the recovery is logged through the logger the file is part of.
  const late: { log?: Logger } = {};
  const file = openLogFileStream(logFile, {
    onRecovered: (linesLost) => {
      late.log?.warn({ file: logFile, linesLost }, 'log file writable again');
    },
  });
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
  late.log = log;
  return {
    log,
    // Every line is written before `log.x()` returns: nothing is ever buffered.
    flush: () => undefined,
    tee: (stream) => {
      teed = stream;
      return () => {
        if (teed === stream) teed = undefined;
      };
    },
    reportFileErrorsTo: (report) => {
      file.reportTo(report);
    },
  };
}
