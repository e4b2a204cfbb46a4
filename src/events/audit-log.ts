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
  /** Told when rotating failed; the log keeps writing to the file it has. */
  readonly onError?: (error: unknown, context: { readonly path: string }) => void;
}

export const AUDIT_DEFAULTS = { maxBytes: 16 * 1024 * 1024, keepFiles: 5 } as const;

/**
 * Appends every daemon event as one JSON line. Writes are synchronous and unbuffered: decisions
 * are rare, and the audit trail must hold the decision even if the process dies right after it.
 * Values under secret-looking keys (tokens, passwords, webhook URLs) are redacted on the way in.
 * The file is rotated by size, so a flood of events costs at most (keepFiles + 1) × maxBytes.
 */
export function openAuditLog(path: string, options: AuditLogOptions = {}): AuditLog {
  const maxBytes = options.maxBytes ?? AUDIT_DEFAULTS.maxBytes;
  const keepFiles = options.keepFiles ?? AUDIT_DEFAULTS.keepFiles;
  const onError =
    options.onError ??
    ((error: unknown) => {
      process.emitWarning(`audit log ${path} could not be rotated: ${String(error)}`);
    });
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let fd = openSync(path, 'a', 0o600);
  let size = fstatSync(fd).size;
  /** After a failed rotation, the next try waits for another `maxBytes`, not the next line. */
  let rotateAt = maxBytes;
  let closed = false;

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
      onError(error, { path });
    }
  };

  return {
    append(event) {
      if (closed) return;
      const line = `${JSON.stringify({ ...redactSecrets(event), time: new Date(event.at).toISOString() })}\n`;
      const bytes = Buffer.byteLength(line);
      if (size > 0 && size + bytes > rotateAt) rotate();
      writeSync(fd, line);
      size += bytes;
    },
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}
