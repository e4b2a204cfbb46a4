/**
 * The longest wait palingenesis believes. A stop message can state any number ("try again in
 * 9999999999999m", `retry-after: 1e300`, a 20-digit `resets_at`): past the calendar that would
 * make `new Date(x).toISOString()` throw, and far short of it, it would park a session for
 * years on a typo. 31 days is the longest calendar month, so a monthly limit is never cut short;
 * a session that is still limited when the clamped wait ends is classified and waits again.
 */
export const MAX_WAIT_MS = 31 * 86_400_000;

/** The last instant a JS `Date` can hold (±8.64e15 ms, year 275760): the calendar's edge. */
const CALENDAR_EDGE_MS = 8.64e15;

/** Whether `ms` is an instant `new Date(ms).toISOString()` can print. */
export function isCalendarInstant(ms: number): boolean {
  return Number.isFinite(ms) && Math.abs(ms) <= CALENDAR_EDGE_MS;
}

/** ISO 8601 of `ms`, or null when it is no calendar instant (a state file from an older build). */
export function isoInstant(ms: number | undefined): string | null {
  return ms !== undefined && isCalendarInstant(ms) ? new Date(ms).toISOString() : null;
}

export interface BoundedReset {
  /** Epoch ms: a calendar instant, never after `now + MAX_WAIT_MS`. */
  readonly resetAt: number;
  /** Set when the stated reset was further away: what to tell the user. */
  readonly clampNote?: string | undefined;
}

/**
 * A stated reset instant made total: after `now + MAX_WAIT_MS` (or +Infinity) it is clamped and
 * says so; before the calendar (−Infinity) it means "already reset", i.e. `now`; NaN, or a `now`
 * that is no instant, reads as no reset at all. A past instant is kept: it is still true.
 */
export function boundReset(resetAt: number, now: number): BoundedReset | undefined {
  if (Number.isNaN(resetAt) || !isCalendarInstant(now)) return undefined;
  const latest = Math.min(now + MAX_WAIT_MS, CALENDAR_EDGE_MS);
  if (resetAt > latest) return { resetAt: latest, clampNote: clampNote(resetAt - now) };
  return { resetAt: isCalendarInstant(resetAt) ? resetAt : now };
}

/** E.g. "reset 6,944,444,444 days away clamped to the 31-day maximum". */
export function clampNote(waitMs: number): string {
  const days = waitMs / 86_400_000;
  const away =
    days < 1e15
      ? `${new Intl.NumberFormat('en-US', { maximumFractionDigits: days < 100 ? 1 : 0 }).format(days)} days`
      : 'more than 10^15 days';
  return `reset ${away} away clamped to the ${MAX_WAIT_MS / 86_400_000}-day maximum`;
}
