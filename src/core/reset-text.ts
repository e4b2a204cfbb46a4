/**
 * Relative waits written in an error message: "Please try again in 20s", "try again in 1m30s",
 * "retry in 15.3s", "try again in 2 days 3 hours 4 minutes", "retry after 30 seconds". Pure.
 * Only a fallback when no structured field (headers, epochs) says when a limit resets; absolute
 * clock times ("resets 4am (Europe/Madrid)") need time zones and belong to the full parser.
 */
const UNITS: readonly [RegExp, number][] = [
  [/^(?:d|days?)$/, 86_400_000],
  [/^(?:h|hrs?|hours?)$/, 3_600_000],
  [/^(?:m|mins?|minutes?)$/, 60_000],
  [/^(?:s|secs?|seconds?)$/, 1000],
  [/^(?:ms|milliseconds?)$/, 1],
];

const LEAD =
  /\b(?:try again|retry|retrying) (?:in|after)\s+((?:\d+(?:\.\d+)?\s*[a-z]+[\s,]*(?:and\s+)?)+)/i;
const PART = /(\d+(?:\.\d+)?)\s*([a-z]+)/gi;

export function waitFromText(text: string): number | undefined {
  const lead = LEAD.exec(text);
  if (lead?.[1] === undefined) return undefined;
  let total = 0;
  let matched = false;
  for (const [, amount, unit] of lead[1].matchAll(PART)) {
    const factor = UNITS.find(([re]) => re.test((unit ?? '').toLowerCase()))?.[1];
    if (factor === undefined) break;
    total += Number(amount) * factor;
    matched = true;
  }
  return matched ? Math.ceil(total) : undefined;
}
