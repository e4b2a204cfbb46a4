import { boundReset } from './max-wait.js';

/**
 * Reads a reset instant from a failed provider call's response headers. Pure: `now` is given.
 * Order of trust follows what the agents themselves honour: retry-after-ms, then retry-after
 * (seconds or an HTTP date), then the providers' own rate-limit reset headers. Where several
 * reset headers exist the latest instant wins: resuming before every window has reset fails again.
 */
export interface HeaderReset {
  /** Epoch ms, bounded: never after `now + MAX_WAIT_MS`. */
  readonly resetAt: number;
  readonly source: string;
  /** Set when the header stated a reset further away than `MAX_WAIT_MS`. */
  readonly clampNote?: string | undefined;
}

type Headers = Readonly<Record<string, string>>;

export function resetFromHeaders(headers: Headers, now: number): HeaderReset | undefined {
  const stated = statedReset(headers, now);
  if (stated === undefined) return undefined;
  const bounded = boundReset(stated.resetAt, now);
  return bounded === undefined ? undefined : { source: stated.source, ...bounded };
}

/** As the headers state it: possibly past the calendar (`retry-after: 1e300`), never NaN. */
function statedReset(headers: Headers, now: number): HeaderReset | undefined {
  const ms = numeric(headers['retry-after-ms']);
  if (ms !== undefined && ms >= 0) return { resetAt: now + ms, source: 'retry-after-ms' };

  const retryAfter = headers['retry-after']?.trim();
  if (retryAfter !== undefined && retryAfter !== '') {
    const seconds = numeric(retryAfter);
    if (seconds !== undefined && seconds >= 0) {
      return { resetAt: now + seconds * 1000, source: 'retry-after' };
    }
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return { resetAt: Math.max(date, now), source: 'retry-after' };
  }

  let best: HeaderReset | undefined;
  for (const [name, value] of Object.entries(headers)) {
    const resetAt = providerReset(name, value, now);
    if (resetAt !== undefined && (best === undefined || resetAt > best.resetAt)) {
      best = { resetAt, source: name };
    }
  }
  return best;
}

function providerReset(name: string, value: string, now: number): number | undefined {
  // Anthropic plan limits: epoch seconds.
  if (name === 'anthropic-ratelimit-unified-reset') return epochSeconds(value);
  // Anthropic API limits: RFC 3339 instants.
  if (/^anthropic-ratelimit-[a-z-]+-reset$/.test(name)) return dateOrUndefined(value);
  // OpenAI: durations such as "1s", "6m0s", "20ms".
  if (/^x-ratelimit-reset-(requests|tokens)$/.test(name)) {
    const ms = goDurationMs(value);
    return ms === undefined ? undefined : now + ms;
  }
  // Generic: epoch seconds when it looks like one, else seconds from now.
  if (name === 'x-ratelimit-reset') {
    const n = numeric(value);
    if (n === undefined) return undefined;
    return n > 1e9 ? n * 1000 : now + n * 1000;
  }
  return undefined;
}

/** A number, or +Infinity for one too large for a double ("1e400", 400 digits); never NaN. */
function numeric(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isNaN(n) || n === -Infinity ? undefined : n;
}

function epochSeconds(value: string): number | undefined {
  const n = numeric(value);
  return n !== undefined && n > 0 ? n * 1000 : undefined;
}

function dateOrUndefined(value: string): number | undefined {
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : t;
}

const UNIT_MS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

/** Go-style durations as OpenAI sends them: "1h2m3.5s", "6m0s", "20ms". */
export function goDurationMs(value: string): number | undefined {
  const text = value.trim();
  if (!/^(\d+(\.\d+)?(h|ms|m|s))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s)/g)) {
    total += Number(amount) * (UNIT_MS[unit ?? ''] ?? 0);
  }
  return total;
}
