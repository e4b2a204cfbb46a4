import { readFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { PalError } from '../errors.js';
import { hasCode } from '../node-util.js';

export interface PidLock {
  readonly path: string;
  /** Removes the file if it still names this process. Idempotent. */
  release(): Promise<void>;
}

/**
 * Takes the PID file exclusively (O_EXCL), so two daemons started at once cannot both win.
 * A file naming a process that no longer exists is stale and is taken over.
 */
export async function acquirePidFile(path: string, pid: number): Promise<PidLock> {
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o644);
      try {
        await handle.writeFile(`${pid}\n`);
      } finally {
        await handle.close();
      }
      return lock(path, pid);
    } catch (error) {
      if (!hasCode(error, 'EEXIST')) throw error;
    }
    const holder = await readPid(path);
    if (holder !== undefined && holder !== pid && isAlive(holder)) {
      throw new PalError(
        'already_running',
        `palingenesis is already running (pid ${holder}, pid file ${path})`,
      );
    }
    // Stale (dead process, our own pid, or unreadable): remove and try again.
    await rm(path, { force: true });
  }
  throw new PalError(
    'already_running',
    `could not take the pid file ${path}; another daemon is starting`,
  );
}

function lock(path: string, pid: number): PidLock {
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      if ((await readPid(path)) === pid) await rm(path, { force: true });
    },
  };
}

export async function readPid(path: string): Promise<number | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    const pid = Number.parseInt(text.trim(), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return undefined;
    throw error;
  }
}

/**
 * Signal 0 checks existence (EPERM: it exists but is someone else's). A zombie — dead, not yet
 * reaped by its parent — still answers signal 0: /proc tells, where there is one.
 */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (!hasCode(error, 'EPERM')) return false;
  }
  try {
    const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
    const end = stat.lastIndexOf(')');
    return stat.slice(end + 2, end + 3) !== 'Z';
  } catch {
    return true;
  }
}
