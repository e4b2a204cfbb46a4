import { closeSync, fstatSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DaemonEvent } from '../core/events.js';
import { redactSecrets } from '../config/render.js';
import { rotateFiles } from './rotate-files.js';

export interface AuditLog {
  readonly append: (event: DaemonEvent) => void;
  close(): void;
}

export interface AuditLogOptions {
  /** `limits.audit_max_bytes`: a write that would take the file past this rotates it first. */
  readonly maxBytes?: number;
  /** `limits.audit_keep_files`: rotated files kept, `audit.jsonl.1` (newest) … `.N`. */
  readonly keepFiles?: number;
  /**
   * Told when rotating failed (the log keeps writing to the file it has), or when a line could not
   * be written (a full disk): once per streak of failed writes, never thrown into the event bus.
   */
  readonly onError?: (error: unknown, context: AuditFailureContext) => void;
  /** The first line written after a streak of failed writes; `linesLost` were not written. */
  readonly onRecovered?: (linesLost: number, context: { readonly path: string }) => void;
  /** `fs.writeSync`, or a stand-in that fails on cue (tests: a disk that fills, then frees). */
  readonly writeSync?: (fd: number, buffer: Buffer, offset: number, length: number) => number;
}

export interface AuditFailureContext {
  readonly path: string;
  /** What failed: a fixed word, for the error counter's `kind`. */
  readonly kind: 'audit_rotation' | 'audit_write';
}

export const AUDIT_DEFAULTS = { maxBytes: 16 * 1024 * 1024, keepFiles: 5 } as const;

/**
 * Appends every daemon event as one JSON line. Writes are synchronous and unbuffered: decisions
 * are rare, and the audit trail must hold the decision even if the process dies right after it.
 * Values under secret-looking keys (tokens, passwords, webhook URLs) are redacted on the way in.
 * The file is rotated by size, so a flood of events costs at most (keepFiles + 1) × maxBytes.
 * `append` never throws (it is a bus listener): a line that cannot be written (a full disk) is
 * lost to the file, and reported once per streak of failed writes.
 */
export function openAuditLog(path: string, options: AuditLogOptions = {}): AuditLog {
  const maxBytes = options.maxBytes ?? AUDIT_DEFAULTS.maxBytes;
  const keepFiles = options.keepFiles ?? AUDIT_DEFAULTS.keepFiles;
  const writeTo = options.writeSync ?? writeSync;
  const onError =
    options.onError ??
    ((error: unknown, { kind }: AuditFailureContext) => {
      process.emitWarning(`audit log ${path}: ${kind} failed: ${String(error)}`);
    });
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let fd = openSync(path, 'a', 0o600);
  let size = fstatSync(fd).size;
  /** After a failed rotation, the next try waits for another `maxBytes`, not the next line. */
  let rotateAt = maxBytes;
  let closed = false;
  /** Writes fail since the last one that worked: reported once, at the first. */
  let failing = false;
  let linesLost = 0;
  /** The file ends inside a line (a write failed half-way): the next line starts on a new one. */
  let torn = false;

  const rotate = (): void => {
    try {
      // Renamed while still open, so a failure leaves the current file in hand to write on.
      rotateFiles(path, keepFiles);
      const old = fd;
      fd = openSync(path, 'a', 0o600);
      size = 0;
      rotateAt = maxBytes;
      closeSync(old);
    } catch (error) {
      rotateAt = size + maxBytes;
      onError(error, { path, kind: 'audit_rotation' });
    }
  };

  const write = (line: string): void => {
    const buffer = Buffer.from(torn ? `\n${line}` : line);
    let offset = 0;
    try {
      while (offset < buffer.length) {
        const written = writeTo(fd, buffer, offset, buffer.length - offset);
        // A regular file writes something or fails; zero would loop for ever.
        if (written <= 0) throw new Error(`short write to ${path}: 0 bytes written`);
        offset += written;
      }
    } catch (error) {
      size += offset;
      if (offset > 0) torn = buffer[offset - 1] !== 0x0a;
      linesLost++;
      if (failing) return;
      failing = true;
      onError(error, { path, kind: 'audit_write' });
      return;
    }
    size += offset;
    torn = false;
    if (!failing) return;
    failing = false;
    const lost = linesLost;
    linesLost = 0;
    options.onRecovered?.(lost, { path });
  };

  return {
    append(event) {
      if (closed) return;
      const line = `${JSON.stringify({ ...redactSecrets(event), time: new Date(event.at).toISOString() })}\n`;
      const bytes = Buffer.byteLength(line);
      if (size > 0 && size + bytes > rotateAt) rotate();
      write(line);
    },
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}
