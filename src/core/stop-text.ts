import { boundReset } from './max-wait.js';
import type { ResetReading } from './stop-text-fields.js';
import { fieldReadings } from './stop-text-fields.js';
import { proseReadings } from './stop-text-prose.js';

/**
 * Reads a stop message as agents and providers write it: what kind of stop it is and, when it says,
 * when the limit resets. Pure: `now` and the zone are given. Text is the fallback: callers use
 * structured fields (response headers, opencode's retry `next`) first.
 */
export type StopTextKind = 'rate_limit' | 'context_exhausted' | 'overloaded' | 'warning' | 'none';

export interface StopText {
  /** What the text says: a stop of some kind, a warning (not a stop), or nothing. */
  readonly kind: StopTextKind;
  /** Epoch ms when the limit resets, when the text says. */
  readonly resetAt?: number | undefined;
  /**
   * Which form was read: `legacy-epoch`, `clock-time`, `date-time` (no year), `absolute` (with a
   * year), `relative`, or the field it came from (`resets_at`, `retryDelay`, `retry-after`, …).
   */
  readonly source?: string | undefined;
  /** The fragment of the text it was read from, for the audit log and `palingenesis classify`. */
  readonly evidence?: string | undefined;
  /** Set when the stated reset was further away than `MAX_WAIT_MS` and `resetAt` was clamped. */
  readonly clampNote?: string | undefined;
}

/**
 * Ordered: the first kind with a matching pattern wins. Context before rate limits ("Context limit
 * reached"); hard stops before warnings, so a warning line beside a real stop does not hide it.
 * Patterns need the wording of an error, not a topic: an assistant writing about "the HTTP 429
 * handler" or "adding a rate limit" must read as nothing.
 */
const KINDS: readonly (readonly [StopTextKind, readonly RegExp[]])[] = [
  [
    'context_exhausted',
    [
      /\bprompt is too long\b|\bmaximum context length is\b|\bcontext_length_exceeded\b/i,
      /\breached its context window limit\b|\bcontext limit reached\b|\bContextOverflowError\b/i,
      /\bconversation too long\b|\btoo large to compact\b|\bexceeds? the context window\b/i,
    ],
  ],
  [
    'rate_limit',
    [
      /\b(?:usage|rate|session|weekly|daily|monthly|hourly|\d+-hour|opus|sonnet|plan|spend(?:ing)?) ?limits? (?:reached|exceeded)\b/i,
      /\bhit your (?:[\w-]+ ){0,2}limit\b|\bout of extra usage\b|\blimit will reset\b/i,
      /\b(?:usage_limit_reached|rate_limit_error|rate_limit_exceeded|RESOURCE_EXHAUSTED|insufficient_quota)\b/i,
      /\bexhausted (?:your|the) (?:[\w-]+ ){0,2}(?:quota|capacity)\b|\bquota exceeded\b|\bexceeded (?:your )?(?:current )?quota\b/i,
      /\bRequest rejected \(429\)|\bAPI Error:?\s*\(?429\b|\\?"code\\?"\s*:\s*429\b|\b(?:have been|are being) rate[- ]limited\b/i,
      // Case matters: the HTTP reason phrase, not "too many requests" in a sentence.
      /\bToo Many Requests\b/,
    ],
  ],
  [
    'warning',
    [
      /\bused \d{1,3}\s?% of your\b|\bapproaching (?:your )?(?:[\w-]+ ){0,2}limit\b/i,
      /\b\d{1,3}\s?% of (?:your )?(?:[\w-]+ ){0,2}limit (?:used|reached)\b/i,
    ],
  ],
  [
    'overloaded',
    [
      // A line that says only "Overloaded". Not `^\s*…$` with /m: `\s` crosses lines, which made
      // every line start rescan the rest of a whitespace-heavy text (20 s for 100 KB of newlines).
      /\boverloaded_error\b|\\?"Overloaded\\?"|\b529\b[^\n]{0,40}\bOverloaded\b|(?:^|\n)[^\S\n]*Overloaded\.?[^\S\n]*(?=\n|$)/,
      /\bmodel is (?:currently )?overloaded\b|\\?"type\\?"\s*:\s*\\?"api_error\\?"|\\?"status\\?"\s*:\s*\\?"UNAVAILABLE\\?"/i,
      /\bAPI Error:?\s*\(?(?:Repeated )?5\d\d\b|\b5\d\d (?:Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout)\b/i,
    ],
  ],
];

export function parseStopText(text: string, now: number, zone: string): StopText {
  const normal = examined(text);
  for (const [kind, patterns] of KINDS) {
    const match = patterns.map((re) => re.exec(normal)).find((m) => m !== null);
    if (match === undefined) continue;
    if (kind !== 'rate_limit' && kind !== 'overloaded') return { kind, evidence: match[0].trim() };
    const reset = resetFrom(normal, now, zone);
    return reset === undefined ? { kind, evidence: match[0].trim() } : { kind, ...reset };
  }
  return { kind: 'none' };
}

/**
 * When the text says the limit resets, whatever kind of stop it is (the caller may know the kind
 * from a status code). Machine-readable fields win over prose; within each, the latest instant
 * wins, because resuming before every stated window has reset only meets the limit again.
 */
export function readResetFromText(
  text: string,
  now: number,
  zone: string,
): ResetReading | undefined {
  return resetFrom(examined(text), now, zone);
}

function resetFrom(normal: string, now: number, zone: string): ResetReading | undefined {
  const read = latest(fieldReadings(normal, now)) ?? latest(proseReadings(normal, now, zone));
  if (read === undefined) return undefined;
  const bounded = boundReset(read.resetAt, now);
  return bounded === undefined ? undefined : { ...read, ...bounded };
}

function latest(readings: readonly ResetReading[]): ResetReading | undefined {
  let best: ResetReading | undefined;
  for (const r of readings) if (best === undefined || r.resetAt > best.resetAt) best = r;
  return best;
}

/**
 * How much of a long text is read: its head (an error's own message comes first, before a body or
 * the assistant's last words) and its tail (a pane capture or log ends with the live banner).
 * Bounds the work for any input; a real stop message is a few hundred characters.
 */
const TEXT_HEAD_CHARS = 16 * 1024;
const TEXT_TAIL_CHARS = 48 * 1024;

/**
 * The part of `text` that is read, normalised. The cut falls on a line break when one is near,
 * and the joint is a line of its own that no pattern reads through, so no phrase or number is
 * glued together from both sides.
 */
function examined(text: string): string {
  if (text.length <= TEXT_HEAD_CHARS + TEXT_TAIL_CHARS) return normalise(text);
  const headEnd = text.lastIndexOf('\n', TEXT_HEAD_CHARS);
  const tailCut = text.length - TEXT_TAIL_CHARS;
  const tailStart = text.indexOf('\n', tailCut);
  const head = text.slice(0, headEnd > TEXT_HEAD_CHARS / 2 ? headEnd : TEXT_HEAD_CHARS);
  const tail = text.slice(tailStart !== -1 && tailStart < tailCut + 4096 ? tailStart : tailCut);
  return normalise(`${head}\n\u2026\n${tail}`);
}

/** Claude Code writes `’` as often as `'`; nothing else needs folding (`\s` covers U+202F). */
function normalise(text: string): string {
  return text.replace(/[\u2018\u2019]/g, "'");
}
