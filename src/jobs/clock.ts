/** Time as the daemon's adapters see it; tests pass a controllable one. */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  /** Calls `fn` after `delayMs`; the returned function cancels it. Never keeps the process alive. */
  setTimer(fn: () => void, delayMs: number): () => void;
}

/** Node timers overflow above 2^31−1 ms (about 24.8 days) and fire at once; clamp and re-arm. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, delayMs) {
    const timer = setTimeout(fn, Math.min(Math.max(0, delayMs), MAX_TIMER_MS));
    timer.unref();
    return () => {
      clearTimeout(timer);
    };
  },
};
