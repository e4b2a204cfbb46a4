import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Whether a Codex process holds a thread: `held` (with the pid), `free`, or `unknown`. */
export type ThreadHold =
  | { readonly kind: 'held'; readonly pid: number }
  | { readonly kind: 'free' }
  | { readonly kind: 'unknown' };

/**
 * Codex 0.171 holds an exclusive flock on `<codex home>/thread-writer-locks/<thread>.lock` while
 * a process writes the thread (a `codex exec`, the TUI, or its app-server daemon); the empty file
 * stays after the process ends, the lock does not, whether it exited or was killed (observed on
 * Linux). The kernel lists held locks in /proc/locks by inode. `unknown` where that cannot be
 * read (not Linux) or the thread has no lock file (an older Codex): never taken for a dead one.
 */
export async function threadHolds(
  codexHome: string,
  threadIds: readonly string[],
  readLocks: () => Promise<string> = () => readFile('/proc/locks', 'utf8'),
): Promise<Map<string, ThreadHold>> {
  const holds = new Map<string, ThreadHold>();
  if (threadIds.length === 0) return holds;
  const locks = await readLocks().catch(() => undefined);
  const holders = locks === undefined ? undefined : flockHolders(locks);
  for (const thread of threadIds) {
    const info = await stat(join(codexHome, 'thread-writer-locks', `${thread}.lock`)).catch(
      () => undefined,
    );
    if (holders === undefined || info === undefined) {
      holds.set(thread, { kind: 'unknown' });
      continue;
    }
    const pid = holders.get(info.ino);
    holds.set(thread, pid === undefined ? { kind: 'free' } : { kind: 'held', pid });
  }
  return holds;
}

/** `1: FLOCK  ADVISORY  WRITE 15305 fe:00:2147119 0 EOF` → inode 2147119 held by pid 15305. */
export function flockHolders(text: string): Map<number, number> {
  const holders = new Map<number, number>();
  for (const line of text.split('\n')) {
    // Blocked waiters are listed as `1: -> FLOCK …`: they hold nothing.
    const m = /^\d+:\s+FLOCK\s+\S+\s+WRITE\s+(\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s/i.exec(line);
    if (m?.[1] === undefined || m[2] === undefined) continue;
    holders.set(Number(m[2]), Number(m[1]));
  }
  return holders;
}
