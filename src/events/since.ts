/**
 * Where a reader of the event stream (or of the log) wants to start: after an event id, or at an
 * instant. Shared by `GET /api/v1/events?since=` and the CLI's `--since`.
 */
export type Since =
  | { readonly kind: 'after_id'; readonly id: number }
  | { readonly kind: 'at'; readonly atMs: number };

const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1000 } as const;
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const ISO_START = /^\d{4}-\d{2}-\d{2}/;
/** Longer than any id, duration or ISO instant: refused before any pattern or Date.parse sees it. */
export const MAX_SINCE_CHARS = 64;

/** `90s`, `10m`, `1h30m`, `2d` → milliseconds; undefined for anything else (including ""). */
export function parseDurationMs(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (match === null || text === '') return undefined;
  const [, d, h, m, s] = match;
  const ms =
    Number(d ?? 0) * UNIT_MS.d +
    Number(h ?? 0) * UNIT_MS.h +
    Number(m ?? 0) * UNIT_MS.m +
    Number(s ?? 0) * UNIT_MS.s;
  // `99999999999999999999d` is no duration anyone means; past 2^53 ms the sum is imprecise or Infinity.
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * `42` (an event id, when `allowId`), `10m` (that long before `nowMs`) or an ISO 8601 instant
 * (a date-time without an offset is local time). Undefined when it is none of these, or longer
 * than MAX_SINCE_CHARS.
 */
export function parseSince(
  text: string,
  nowMs: number,
  options: { allowId: boolean },
): Since | undefined {
  if (text.length > MAX_SINCE_CHARS) return undefined;
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) {
    if (!options.allowId) return undefined;
    const id = Number(trimmed);
    return Number.isSafeInteger(id) ? { kind: 'after_id', id } : undefined;
  }
  const durationMs = parseDurationMs(trimmed);
  if (durationMs !== undefined) return { kind: 'at', atMs: nowMs - durationMs };
  if (!ISO_START.test(trimmed)) return undefined;
  const atMs = Date.parse(trimmed);
  return Number.isNaN(atMs) ? undefined : { kind: 'at', atMs };
}
