import { DateTime, IANAZone } from 'luxon';

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
 * How far behind `now` a dateless wall time may be and still mean today. Zero: a time without a
 * date is strictly the next occurrence after `now` (the rule the product follows), so "resets 4am"
 * read at 04:03 means tomorrow. A day-long wait is safe; an early resume against a weekly limit
 * that the banner shows only as a time is not. Clock skew is what `margin_seconds` is for.
 */
export const SKEW_GRACE_MS = 0;

/**
 * A zone to read a wall time in. `abbreviation` is set when the message names only an abbreviation
 * ("PDT"): those are ambiguous ("IST" is India, Ireland or Israel), so the reading counts only if
 * the zone is called that at the instant read.
 */
export interface ZoneChoice {
  readonly zone: string;
  readonly abbreviation?: string | undefined;
}

/**
 * The zones to try, in order: the one the message names, else the configured one. An unknown name
 * gives none: guessing a zone could put the reset hours early.
 */
export function zoneChoices(named: string | undefined, configured: string): ZoneChoice[] {
  const valid = (zone: string) => IANAZone.isValidZone(zone);
  if (named === undefined) return valid(configured) ? [{ zone: configured }] : [];
  const name = named.trim();
  // A fixed offset ("GMT+2") is unambiguous; luxon reads "UTC+2" as that fixed-offset zone.
  const fixed = /^(?:UTC|GMT)([+-]\d{1,2}(?::\d{2})?)$/i.exec(name);
  if (fixed?.[1] !== undefined) return [{ zone: `UTC${fixed[1]}` }];
  const choices: ZoneChoice[] = [];
  if (/^[A-Z]{2,5}$/.test(name) && !/^(?:UTC|GMT)$/.test(name) && valid(configured)) {
    // The agent writes its banner in this machine's zone, so that is the likeliest meaning.
    choices.push({ zone: configured, abbreviation: name });
  }
  // Some abbreviations are also IANA names ("EST", "CET"); full names ("Europe/Madrid") are.
  if (valid(name)) choices.push({ zone: name });
  return choices;
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
 *   Chosen explicitly: luxon's own pick guesses from the machine's current offset, which is impure.
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
  // Today, else tomorrow: a wall time in a DST gap still resolves (shifted), so one day suffices.
  for (let days = 0; days <= 1; days++) {
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
