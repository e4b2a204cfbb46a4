/**
 * Exponential backoff: base·2^(attempt−1) (attempt 1-based), ±25 % jitter (`jitter` uniform in
 * [0, 1)), capped at `maxMs`. Pure; the resume decision and notification retries both use it.
 */
export function jitteredBackoffMs(
  attempt: number,
  baseMs: number,
  maxMs: number,
  jitter: number,
): number {
  const exponential = baseMs * 2 ** Math.max(0, attempt - 1);
  return Math.round(Math.min(maxMs, exponential * (0.75 + 0.5 * jitter)));
}
