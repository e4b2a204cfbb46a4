/**
 * Bounded waits on a growing collection (requests received, events seen): `wait` probes what is
 * there now, then re-probes on every `notify`, and rejects after its timeout.
 */
export interface Waiters<T> {
  wait<R>(
    current: readonly T[],
    probe: (all: readonly T[]) => R | undefined,
    timeoutMs: number,
    what: string,
  ): Promise<R>;
  notify(all: readonly T[]): void;
  rejectAll(error: Error): void;
}

interface Pending<T> {
  probe(all: readonly T[]): boolean;
  reject(error: Error): void;
}

export function createWaiters<T>(): Waiters<T> {
  const pending = new Set<Pending<T>>();
  return {
    wait(current, probe, timeoutMs, what) {
      const now = probe(current);
      if (now !== undefined) return Promise.resolve(now);
      return new Promise((resolve, reject) => {
        const entry: Pending<T> = {
          probe(all) {
            const value = probe(all);
            if (value === undefined) return false;
            settle();
            resolve(value);
            return true;
          },
          reject(error) {
            settle();
            reject(error);
          },
        };
        const timer = setTimeout(() => {
          entry.reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
        }, timeoutMs);
        timer.unref();
        const settle = (): void => {
          clearTimeout(timer);
          pending.delete(entry);
        };
        pending.add(entry);
      });
    },
    notify(all) {
      for (const entry of [...pending]) entry.probe(all);
    },
    rejectAll(error) {
      for (const entry of [...pending]) entry.reject(error);
    },
  };
}
