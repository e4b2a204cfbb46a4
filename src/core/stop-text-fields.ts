/**
 * Machine-readable reset fields that arrive inside text: JSON error bodies pasted into a message
 * (often as an escaped string inside another JSON string), header dumps, and Claude Code's legacy
 * `…limit reached|<epoch>` banner. Pure: `now` is given. These are trusted over prose.
 */
export interface ResetReading {
  /**
   * Epoch ms as stated: may lie past the calendar (+Infinity for a 400-digit number) until
   * `readResetFromText` bounds it with `boundReset`; never NaN.
   */
  readonly resetAt: number;
  /** Which form was read, e.g. `resets_at`, `legacy-epoch`, `clock-time`. */
  readonly source: string;
  /** The fragment it was read from. */
  readonly evidence: string;
  /** Set once bounded, when the stated reset was further away than `MAX_WAIT_MS`. */
  readonly clampNote?: string | undefined;
}

// A JSON key, its quotes possibly escaped (`\"resets_at\":`) when the body sits inside a string.
const key = (names: string) => String.raw`\\?"(${names})\\?"\s*:\s*\\?"?`;
// With an exponent: a JSON body read as text may say `1.7958312e9`, or `1e400` (+Infinity).
const NUMBER = String.raw`(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)`;
const ISO_INSTANT = String.raw`(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}))`;
const HTTP_DATE = String.raw`([A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT)`;

/** Absolute instants: Anthropic `resetsAt`, Codex `resets_at` (epoch seconds, sometimes ms or ISO). */
const EPOCH_FIELD = new RegExp(
  // An instant first, and a number only when no date follows: "2026-11-28T…" is not 2026 s.
  `${key('resets_at|resetsAt|reset_at|resetAt')}(?:${ISO_INSTANT}|${NUMBER}(?![\\d.:-]))`,
  'g',
);
/** Codex `resets_in_seconds`, and the `retry_after` seconds some gateways put in bodies. */
const SECONDS_FIELD = new RegExp(
  `${key('resets_in_seconds|resetsInSeconds|retry_after_seconds|retry_after|retryAfter')}${NUMBER}`,
  'g',
);
/** Gemini `RetryInfo.retryDelay`, a protobuf Duration such as "42s". */
const RETRY_DELAY = new RegExp(`${key('retryDelay')}${NUMBER}s`, 'g');
/** `retry-after-ms: 1500`, `retry-after: 30` or an HTTP date, as header dumps print them. */
const RETRY_AFTER = new RegExp(
  String.raw`\bretry-after(-ms)?\\?"?\s*[:=]\s*\\?"?(?:${NUMBER}|${HTTP_DATE})`,
  'gi',
);
/** Claude Code before 1.0.x: `Claude AI usage limit reached|1767225600`. */
const LEGACY = /\blimit reached\|(\d{9,13})\b/gi;

export function fieldReadings(text: string, now: number): ResetReading[] {
  const out: ResetReading[] = [];
  const add = (resetAt: number | undefined, source: string, evidence: string) => {
    // A huge stated number stays (as +Infinity at worst): the bound clamps it and says so.
    if (resetAt !== undefined && !Number.isNaN(resetAt)) out.push({ resetAt, source, evidence });
  };
  for (const m of text.matchAll(EPOCH_FIELD)) {
    const [evidence, name = '', iso, epoch] = m;
    add(epoch === undefined ? parseIso(iso) : epochMs(Number(epoch)), name, evidence);
  }
  for (const [evidence, name = '', seconds] of text.matchAll(SECONDS_FIELD)) {
    add(now + Math.ceil(Number(seconds) * 1000), name, evidence);
  }
  for (const [evidence, , seconds] of text.matchAll(RETRY_DELAY)) {
    add(now + Math.ceil(Number(seconds) * 1000), 'retryDelay', evidence);
  }
  for (const [evidence, ms, amount, date] of text.matchAll(RETRY_AFTER)) {
    const source = ms === undefined ? 'retry-after' : 'retry-after-ms';
    const factor = ms === undefined ? 1000 : 1;
    const at = amount === undefined ? parseIso(date) : now + Math.ceil(Number(amount) * factor);
    // An HTTP date already past means "now", as the header reader treats it.
    add(at === undefined ? undefined : Math.max(at, now), source, evidence);
  }
  for (const [evidence, epoch] of text.matchAll(LEGACY)) {
    add(epochMs(Number(epoch)), 'legacy-epoch', evidence);
  }
  return out;
}

/** Epoch seconds, or milliseconds when the number is too large to be seconds (past year 5000). */
function epochMs(n: number): number | undefined {
  if (!(n > 0)) return undefined;
  return n < 1e11 ? n * 1000 : n;
}

function parseIso(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}
