import type { Clock } from '../jobs/clock.js';

/** Waits for "session X showed activity after time T", resolved from observations. */
export interface ActivityWaiters {
  wait(key: string, after: number, timeoutMs: number): Promise<boolean>;
  notify(key: string, at: number): void;
  cancelAll(): void;
}

export function createActivityWaiters(clock: Clock): ActivityWaiters {
  const waiting = new Map<string, Set<{ after: number; done: (ok: boolean) => void }>>();
  // Activity can arrive before anyone waits for it (a fresh session goes busy while its creation
  // request is still returning), so the latest activity per session is kept.
  const latest = new Map<string, number>();
  return {
    wait(key, after, timeoutMs) {
      if ((latest.get(key) ?? -Infinity) >= after) return Promise.resolve(true);
      return new Promise<boolean>((resolve) => {
        const set = waiting.get(key) ?? new Set();
        waiting.set(key, set);
        const entry = {
          after,
          done: (ok: boolean) => {
            cancel();
            set.delete(entry);
            resolve(ok);
          },
        };
        const cancel = clock.setTimer(() => {
          entry.done(false);
        }, timeoutMs);
        set.add(entry);
      });
    },
    notify(key, at) {
      latest.set(key, Math.max(at, latest.get(key) ?? -Infinity));
      for (const entry of [...(waiting.get(key) ?? [])]) if (at >= entry.after) entry.done(true);
    },
    cancelAll() {
      for (const set of waiting.values()) for (const entry of [...set]) entry.done(false);
    },
  };
}
