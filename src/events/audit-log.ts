import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DaemonEvent } from '../core/events.js';
import { redactSecrets } from '../config/render.js';

export interface AuditLog {
  readonly append: (event: DaemonEvent) => void;
  close(): void;
}

/**
 * Appends every daemon event as one JSON line. Writes are synchronous and unbuffered: decisions
 * are rare, and the audit trail must hold the decision even if the process dies right after it.
 * Values under secret-looking keys (tokens, passwords, webhook URLs) are redacted on the way in.
 */
export function openAuditLog(path: string): AuditLog {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const fd = openSync(path, 'a', 0o600);
  let closed = false;
  return {
    append(event) {
      if (closed) return;
      const line = JSON.stringify({
        ...redactSecrets(event),
        time: new Date(event.at).toISOString(),
      });
      writeSync(fd, `${line}\n`);
    },
    close() {
      if (closed) return;
      closed = true;
      closeSync(fd);
    },
  };
}
