// Small Node.js helpers shared across the daemon, the CLI and the hook forwarder. Node built-ins
// only: the forwarder imports this file, and it must start fast.
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { getSystemErrorMap } from 'node:util';

/** The `code` of a Node.js system error (`ENOENT`, `EPERM`, …), or undefined. */
export function errorCode(error: unknown): unknown {
  return error instanceof Error && 'code' in error ? error.code : undefined;
}

/** Whether `error` is a Node.js system error with this code. */
export function hasCode(error: unknown, code: string): boolean {
  return errorCode(error) === code;
}

/** What a Node.js system error says: its code, the call and the path(s) it failed on. */
export interface SystemError {
  readonly code: string;
  /** In words, as the OS puts it: "permission denied", "read-only file system". */
  readonly words: string;
  readonly syscall: string | undefined;
  readonly path: string | undefined;
  /** The second path of a rename or link. */
  readonly dest: string | undefined;
}

/** The parts of a Node.js system error (EACCES, EROFS, ENOSPC, …); undefined for anything else. */
export function systemError(error: unknown): SystemError | undefined {
  const code = errorCode(error);
  if (!(error instanceof Error) || typeof code !== 'string' || !/^E[A-Z0-9]+$/.test(code)) {
    return undefined;
  }
  const field = (name: string): unknown => (name in error ? Reflect.get(error, name) : undefined);
  const text = (value: unknown): string | undefined =>
    typeof value === 'string' ? value : undefined;
  const errno = field('errno');
  const words =
    (typeof errno === 'number' ? getSystemErrorMap().get(errno)?.[1] : undefined) ??
    new RegExp(`^${code}: ([^,]+)`).exec(error.message)?.[1] ??
    code;
  return {
    code,
    words,
    syscall: text(field('syscall')),
    path: text(field('path')),
    dest: text(field('dest')),
  };
}

/** "permission denied (EACCES)"; undefined when `error` is no system error. */
export function describeSystemError(error: unknown): string | undefined {
  const failure = systemError(error);
  return failure === undefined ? undefined : `${failure.words} (${failure.code})`;
}

/** Bytes [start, end) of a file; empty when the range is empty or the file is gone. */
export async function readRange(path: string, start: number, end: number): Promise<Buffer> {
  if (end <= start) return Buffer.alloc(0);
  const handle = await open(path, 'r').catch((error: unknown) => {
    if (hasCode(error, 'ENOENT')) return undefined;
    throw error;
  });
  if (handle === undefined) return Buffer.alloc(0);
  try {
    const buffer = Buffer.alloc(end - start);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Waits `ms`, or less when `signal` aborts first; never rejects. */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Waits for `work` at most `timeoutMs`: its value, or `{ timedOut: true }`. The timer is unref'd
 * unless `keepAlive` (a bounded wait that must hold the process open, e.g. last messages at exit).
 */
export async function within<T>(
  work: Promise<T>,
  timeoutMs: number,
  options: { keepAlive?: boolean } = {},
): Promise<{ timedOut: false; value: T } | { timedOut: true }> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<{ timedOut: true }>((resolve) => {
    timer = setTimeout(() => {
      resolve({ timedOut: true });
    }, timeoutMs);
    if (options.keepAlive !== true) timer.unref();
  });
  try {
    return await Promise.race([
      work.then((value) => ({ timedOut: false as const, value })),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Makes `dir` (and its parents) and leaves it 0700: the state directory holds the API token, so
 * one that an older version or another tool left open to others is tightened.
 */
export function ensurePrivateDirSync(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (process.platform !== 'win32' && (statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700);
}
