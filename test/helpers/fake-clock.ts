import type { Clock } from '../../src/jobs/clock.js';

/** A clock that only moves when the test says so. Timers fire in due order during advance(). */
export interface FakeClock extends Clock {
  advance(ms: number): Promise<void>;
  /** Delays of the timers armed so far, in order. */
  readonly armed: number[];
}

export function createFakeClock(start: number): FakeClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const armed: number[] = [];
  const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
  return {
    armed,
    now: () => now,
    setTimer(fn, delayMs) {
      const id = seq++;
      armed.push(delayMs);
      timers.set(id, { at: now + delayMs, fn });
      return () => timers.delete(id);
    },
    async advance(ms) {
      // Work already under way (promise chains, no I/O) arms its timers before time moves.
      await flush();
      const until = now + ms;
      for (;;) {
        const due = [...timers.entries()]
          .filter(([, t]) => t.at <= until)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (due === undefined) break;
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].fn();
        await flush();
      }
      now = until;
      await flush();
    },
  };
}
