import { MAX_WAIT_MS } from './max-wait.js';

/**
 * Exponential backoff: base·2^(attempt−1) (attempt 1-based), ±25 % jitter (`jitter` uniform in
 * [0, 1)), capped at `maxMs`. Pure; the resume decision and notification retries both use it.
 * Total: for any numbers (NaN, ±Infinity, a millionth attempt) the answer is a whole number of
 * ms in [0, min(maxMs, MAX_WAIT_MS)].
 */
export function jitteredBackoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  jitter: number,
): number {
  const cap = within(maxMs, 0, MAX_WAIT_MS);
  const base = within(baseMs, 0, MAX_WAIT_MS);
  // 2^1023 is the largest finite power of two: any base > 0 reaches the cap long before that.
  const doublings = within(Math.floor(attempt) - 1, 0, 1023);
  const exponential = base === 0 ? 0 : base * 2 ** doublings;
  return Math.round(Math.min(cap, exponential * (0.75 + 0.5 * within(jitter, 0, 1))));
}

/** `value` within [min, max]; NaN is `min`. */
function within(value: number, min: number, max: number): number {
  return Number.isNaN(value) ? min : Math.min(max, Math.max(min, value));
}
