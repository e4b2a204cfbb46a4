import type { ResetReading } from './stop-text-fields.js';
import type { CalendarDay, WallTime } from './stop-text-time.js';
import { nextClockTime, nextDateTime, zoneChoices, zoneHolds } from './stop-text-time.js';

/**
 * Reset times written for people: "resets 2:45pm (Europe/Madrid)", "resets Mar 2 at 8am",
 * "try again at Sep 9th, 2026 7:05 AM", "try again in 3 days 4 hours 12 minutes", "retry in 15.3s".
 * Pure: `now` and the fallback `zone` are given. English only; localised forms read as nothing.
 */
const MONTH_NAME = String.raw`(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*`;
const DAY = String.raw`${MONTH_NAME}\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:\s*,?\s*\d{4})?`;
const TIME = String.raw`\d{1,2}(?::\d{2})?\s*[ap](?:\.m\.|m)|\d{1,2}:\d{2}`;
/**
 * The stated instant must follow its keyword directly, its zone the time. Anything else there
 * ("resets tomorrow 8am", "resets Monday 8am", "resets 8am on Mar 2", "8am today (UTC)") reads as
 * nothing rather than as the next 8am here: a weekly date collapsed to "today" resumes days early.
 */
const AT_PHRASE = new RegExp(
  String.raw`\b(?:resets?(?:\s+at)?|(?:try again|retry|available again)\s+at)\s+` +
    String.raw`(?:(${DAY})(?:\s*,\s*|\s+at\s+|\s+))?(${TIME})(?![\w:])` +
    String.raw`(?:\s*\(([A-Za-z][\w+\-/:]{0,39})\))?` +
    String.raw`(?!\s*(?:on\s+|,\s*)?(?:${MONTH_NAME}\.?\s+\d|\d{4}\b|tomorrow\b|today\b|tonight\b|next\b|(?:mon|tues|wednes|thurs|fri|satur|sun)day\b))`,
  'gi',
);
const IN_PHRASE =
  /\b(?:try again|retry|retrying|resets?|available again)\s+(?:in|after)\s+((?:\d+(?:\.\d+)?\s*[a-z]+[\s,]*(?:and\s+)?)+)/gi;
const DURATION_PART = /(\d+(?:\.\d+)?)\s*([a-z]+)/gi;
const UNITS: readonly (readonly [RegExp, number])[] = [
  [/^(?:d|days?)$/, 86_400_000],
  [/^(?:h|hrs?|hours?)$/, 3_600_000],
  [/^(?:m|mins?|minutes?)$/, 60_000],
  [/^(?:s|secs?|seconds?)$/, 1000],
  [/^(?:ms|milliseconds?)$/, 1],
];

/**
 * At most this many distinct phrases of each form are read, the last ones in the text. Each
 * wall-time reading costs calendar work (a fraction of a ms); a pane full of one repeated
 * banner is thousands of identical phrases, and a real message states two or three resets.
 */
const MAX_PHRASES = 16;

export function proseReadings(text: string, now: number, zone: string): ResetReading[] {
  const out: ResetReading[] = [];
  for (const [evidence, day, time = '', named] of lastDistinct(text.matchAll(AT_PHRASE))) {
    const reading = readAt(day, time, named, now, zone);
    if (reading !== undefined) out.push({ ...reading, evidence: evidence.trim() });
  }
  for (const [evidence, parts = ''] of lastDistinct(text.matchAll(IN_PHRASE))) {
    const waitMs = durationMs(parts);
    if (waitMs !== undefined) {
      out.push({ resetAt: now + waitMs, source: 'relative', evidence: evidence.trim() });
    }
  }
  return out;
}

/** The last `MAX_PHRASES` distinct matches (by their text), in text order. */
function lastDistinct(matches: Iterable<RegExpExecArray>): RegExpExecArray[] {
  const byText = new Map<string, RegExpExecArray>();
  for (const m of matches) {
    // Re-inserting moves a repeated phrase to the end: the map stays in order of last sighting.
    byText.delete(m[0]);
    byText.set(m[0], m);
    if (byText.size > MAX_PHRASES) {
      const first = byText.keys().next();
      if (first.done !== true) byText.delete(first.value);
    }
  }
  return [...byText.values()];
}

function readAt(
  dayText: string | undefined,
  timeText: string,
  named: string | undefined,
  now: number,
  fallbackZone: string,
): { resetAt: number; source: string } | undefined {
  const time = parseTime(timeText);
  const day = dayText === undefined ? undefined : parseDay(dayText);
  if (time === undefined || (dayText !== undefined && day === undefined)) return undefined;
  let resetAt: number | undefined;
  for (const choice of zoneChoices(named, fallbackZone)) {
    const at =
      day === undefined
        ? nextClockTime(time, choice.zone, now)
        : nextDateTime(day, time, choice.zone, now);
    if (at !== undefined && zoneHolds(choice, at)) {
      resetAt = at;
      break;
    }
  }
  if (resetAt === undefined) return undefined;
  const source =
    day === undefined ? 'clock-time' : day.year === undefined ? 'date-time' : 'absolute';
  return { resetAt, source };
}

/** "4am", "12pm", "4:20 a.m.", "7:05 AM", "16:20". */
export function parseTime(text: string): WallTime | undefined {
  const m = /^(\d{1,2})(?::(\d{2}))?\s*(?:([ap])\.?m\.?)?$/i.exec(text.trim());
  if (m === null) return undefined;
  const [, h = '', mm, half] = m;
  let hour = Number(h);
  const minute = mm === undefined ? 0 : Number(mm);
  if (minute > 59) return undefined;
  if (half !== undefined) {
    if (hour < 1 || hour > 12) return undefined;
    // 12am is midnight, 12pm is noon.
    hour = (hour % 12) + (half.toLowerCase() === 'p' ? 12 : 0);
  } else if (mm === undefined || hour > 23) {
    return undefined;
  }
  return { hour, minute };
}

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];

/** "Mar 2", "Sep 9th, 2026", "August 3", "Sept. 9". */
export function parseDay(text: string): CalendarDay | undefined {
  const m = /^([a-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?(?:\s*,?\s*(\d{4}))?$/i.exec(text.trim());
  if (m === null) return undefined;
  const [, name = '', day, year] = m;
  const lower = name.toLowerCase();
  const month = lower.length < 3 ? 0 : MONTHS.findIndex((full) => full.startsWith(lower)) + 1;
  if (month === 0) return undefined;
  return { month, day: Number(day), year: year === undefined ? undefined : Number(year) };
}

/** "3 days 4 hours 12 minutes", "1m30s", "15.3s", "2 hours, 5 minutes"; an unknown unit ends it. */
export function durationMs(text: string): number | undefined {
  let total = 0;
  let matched = false;
  for (const [, amount, unit = ''] of text.matchAll(DURATION_PART)) {
    const factor = UNITS.find(([re]) => re.test(unit.toLowerCase()))?.[1];
    if (factor === undefined) break;
    total += Number(amount) * factor;
    matched = true;
  }
  return matched ? Math.ceil(total) : undefined;
}
