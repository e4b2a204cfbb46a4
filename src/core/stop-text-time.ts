import { DateTime, FixedOffsetZone, IANAZone } from 'luxon';

/**
 * Calendar arithmetic for reset times written as wall-clock text. Pure: `now` is given; zones come
 * from the IANA database through Intl (via luxon), never from a table of ours.
 */
export interface WallTime {
  readonly hour: number;
  readonly minute: number;
}

export interface CalendarDay {
  /** Absent when the text gave none: the next occurrence is meant. */
  readonly year?: number | undefined;
  /** 1–12. */
  readonly month: number;
  readonly day: number;
}

/**
 * A wall time a few minutes behind `now` still means today, not tomorrow: the banner is written
 * moments before we record it, and a drifting local clock (WSL after sleep, a VM) or a display
 * truncated to the minute can put the stated time just behind ours. Reading it as tomorrow would
 * wait a day; reading it as just passed costs at most one early attempt that meets a fresh limit.
 */
export const SKEW_GRACE_MS = 5 * 60_000;

/**
 * The zone to read a wall time in: the one the message names, else the configured one.
 * `abbreviation` is set when the message names only an abbreviation ("PDT"): abbreviations are
 * ambiguous, so it is accepted only when the configured zone is called that at the instant read.
 */
export interface ZoneChoice {
  readonly zone: string;
  readonly abbreviation?: string | undefined;
}

export function chooseZone(named: string | undefined, configured: string): ZoneChoice | undefined {
  if (named === undefined)
    return IANAZone.isValidZone(configured) ? { zone: configured } : undefined;
  const name = named.trim();
  const fixed = /^(?:UTC|GMT)([+-]\d{1,2}(?::\d{2})?)$/i.exec(name);
  if (fixed?.[1] !== undefined) {
    const zone = FixedOffsetZone.parseSpecifier(`UTC${fixed[1]}`);
    return zone === null ? undefined : { zone: zone.name };
  }
  if (/^[A-Z]{2,5}$/.test(name) && !/^(?:UTC|GMT)$/.test(name)) {
    // "IST" is India, Ireland or Israel: the configured zone decides what the writer meant.
    if (IANAZone.isValidZone(configured)) return { zone: configured, abbreviation: name };
  }
  return IANAZone.isValidZone(name) ? { zone: name } : undefined;
}

/** Whether `choice` holds at `instant`: its abbreviation, if any, is what the zone is called then. */
export function zoneHolds(choice: ZoneChoice, instant: number): boolean {
  if (choice.abbreviation === undefined) return true;
  // en-US says "PDT" but "GMT+2" for Berlin; en-GB says "CEST" and "BST". Either is a match.
  return ['en-US', 'en-GB'].some(
    (locale) =>
      DateTime.fromMillis(instant, { zone: choice.zone, locale }).offsetNameShort ===
      choice.abbreviation,
  );
}

/**
 * The instant a wall time names in a zone, or undefined for a date that does not exist (Feb 30).
 * - Spring-forward gap (02:30 on a day that jumps 02:00→03:00): luxon moves the time forward by the
 *   gap length (03:30), i.e. reads it in the offset before the jump — the later of the two readings.
 * - Fall-back overlap (01:30 happens twice): the later instant. A stop message only matters as a
 *   lower bound ("not before"), so the later reading can never resume before the limit resets.
 */
export function wallToInstant(
  day: Required<CalendarDay>,
  time: WallTime,
  zone: string,
): number | undefined {
  const local = DateTime.fromObject({ ...day, hour: time.hour, minute: time.minute }, { zone });
  if (!local.isValid) return undefined;
  return Math.max(local.toMillis(), ...local.getPossibleOffsets().map((dt) => dt.toMillis()));
}

/** The next time the wall clock in `zone` shows `time`, after `now` (less the skew grace). */
export function nextClockTime(time: WallTime, zone: string, now: number): number | undefined {
  const today = DateTime.fromMillis(now, { zone });
  if (!today.isValid) return undefined;
  // Two days ahead covers a day whose only matching wall time fell into a DST gap.
  for (let days = 0; days <= 2; days++) {
    const d = today.plus({ days });
    const at = wallToInstant({ year: d.year, month: d.month, day: d.day }, time, zone);
    if (at !== undefined && at > now - SKEW_GRACE_MS) return at;
  }
  return undefined;
}

/**
 * A date and time. Without a year: the next such date after `now`, so "Mar 2" read in December is
 * next year's. Eight years ahead covers Feb 29.
 */
export function nextDateTime(
  day: CalendarDay,
  time: WallTime,
  zone: string,
  now: number,
): number | undefined {
  if (day.year !== undefined) return wallToInstant({ ...day, year: day.year }, time, zone);
  const thisYear = DateTime.fromMillis(now, { zone }).year;
  for (let year = thisYear; year <= thisYear + 8; year++) {
    const at = wallToInstant({ ...day, year }, time, zone);
    if (at !== undefined && at > now - SKEW_GRACE_MS) return at;
  }
  return undefined;
}
