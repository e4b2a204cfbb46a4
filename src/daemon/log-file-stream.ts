import { closeSync, openSync, writeSync } from 'node:fs';
import { errorCode } from '../node-util.js';

/**
 * A failing log file, once per failure streak: `kind` is the errno code in lower case (`enospc`),
 * `error` names the file and has the system error as its cause.
 */
export type LogFileFailure = (kind: string, error: Error) => void;

export interface LogFileStream {
  /** Writes one line now; never throws (a failure is reported, the line is lost to the file). */
  write(line: string): void;
  /** Where failures go from now on; one that came before and was not yet reported goes there now. */
  reportTo(report: LogFileFailure): void;
  close(): void;
}

type WriteSync = (fd: number, buffer: Buffer, offset: number, length: number) => number;

/**
 * The daemon's log file, appended with one synchronous write per line: nothing is buffered, so
 * nothing is lost when the process exits right after a line, and there is nothing to flush.
 *
 * pino's own file destination (SonicBoom 4) throws a failed write back into whatever code logged
 * (an `error` event without a listener), keeps every later line in memory, and its flushSync spins
 * for ever on ENOSPC. Here a failure (a full disk, a quota, an I/O error) costs the file that line
 * only: the caller's other streams (stderr) get it regardless. The first failure of a streak is
 * reported; the first line written after it ends the streak, so the next failure is news again.
 */
export function openLogFileStream(
  file: string,
  options: {
    /** The first line written after a streak of failures, with how many lines the file missed. */
    readonly onRecovered?: (linesLost: number) => void;
    /** `fs.writeSync`, or a stand-in that fails on cue (tests). */
    readonly writeSync?: WriteSync;
  } = {},
): LogFileStream {
  const write = options.writeSync ?? writeSync;
  const fd = openSync(file, 'a', 0o600);
  let report: LogFileFailure | undefined;
  let failing = false;
  // A failure seen before anyone could count it (the daemon is still starting).
  let unreported: { kind: string; error: Error } | undefined;
  let lost = 0;
  // The file ends inside a line (a write failed half-way): the next line starts on a new one.
  let torn = false;

  const fail = (error: unknown): void => {
    lost++;
    if (failing) return;
    failing = true;
    const code = errorCode(error);
    const kind =
      typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code.toLowerCase() : 'write';
    const detail = error instanceof Error ? error.message : String(error);
    const failure = new Error(`cannot write the log file ${file}: ${detail}`, { cause: error });
    if (report === undefined) unreported = { kind, error: failure };
    // The report logs, and so comes back here: `failing` is already set, so it only counts a loss.
    else report(kind, failure);
  };

  return {
    write(line) {
      const buffer = Buffer.from(torn ? `\n${line}` : line);
      let offset = 0;
      try {
        while (offset < buffer.length) {
          const written = write(fd, buffer, offset, buffer.length - offset);
          // A regular file writes something or fails; zero would loop for ever.
          if (written <= 0) throw new Error(`short write to ${file}: 0 bytes written`);
          offset += written;
        }
      } catch (error) {
        if (offset > 0) torn = buffer[offset - 1] !== 0x0a;
        fail(error);
        return;
      }
      torn = false;
      if (!failing) return;
      failing = false;
      const linesLost = lost;
      lost = 0;
      options.onRecovered?.(linesLost);
    },
    reportTo(next) {
      report = next;
      if (unreported === undefined) return;
      const { kind, error } = unreported;
      unreported = undefined;
      next(kind, error);
    },
    close() {
      closeSync(fd);
    },
  };
}
