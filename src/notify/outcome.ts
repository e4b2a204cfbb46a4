import { resetFromHeaders } from '../core/reset-headers.js';

/** One POST a channel makes. */
export interface HttpRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What came back: header names lower-cased, the body cut at a bound. */
export interface HttpReply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * How an attempt went. `reason` is shown to people and logged, so it is built from the status and
 * words we choose — never from the URL, a token, or a body that might echo them.
 */
export type Outcome =
  | { readonly kind: 'ok' }
  | {
      readonly kind: 'retry';
      readonly reason: string;
      readonly status?: number | undefined;
      /** The receiver asked for this wait (Retry-After, or the vendor's own field). */
      readonly retryAfterMs?: number | undefined;
    }
  | { readonly kind: 'fail'; readonly reason: string; readonly status?: number | undefined };

/**
 * PURE: the usual reading of a status. 2xx is delivered; 429, 408 and 5xx are worth retrying
 * (honouring Retry-After); any other status is a mistake retrying cannot fix (a wrong URL, a
 * revoked token). `hint` is a short, safe word from the vendor's answer (see safeHint).
 */
export function judgeStatus(
  reply: HttpReply,
  nowMs: number,
  hint?: string,
  retryAfterSeconds?: number,
): Outcome {
  const { status } = reply;
  if (status >= 200 && status < 300) return { kind: 'ok' };
  const reason = hint === undefined ? `HTTP ${status}` : `HTTP ${status} (${hint})`;
  if (status === 429 || status === 408 || status >= 500) {
    const reset = resetFromHeaders(reply.headers, nowMs);
    const retryAfterMs =
      reset !== undefined
        ? Math.max(0, reset.resetAt - nowMs)
        : retryAfterSeconds === undefined
          ? undefined
          : retryAfterSeconds * 1000;
    return { kind: 'retry', reason, status, retryAfterMs };
  }
  if (status >= 300 && status < 400) {
    return {
      kind: 'fail',
      reason: `${reason}: redirected; put the final URL in the config`,
      status,
    };
  }
  return { kind: 'fail', reason, status };
}

/**
 * A vendor's error word or phrase, kept only when it cannot carry a secret: letters, spaces and
 * a little punctuation, no digits (every token and chat id has some), at most 80 characters.
 */
export function safeHint(text: unknown): string | undefined {
  if (typeof text !== 'string') return undefined;
  const trimmed = text.trim();
  return /^[A-Za-z][A-Za-z _:,.'()-]{0,79}$/.test(trimmed) ? trimmed : undefined;
}

/** The body as JSON, or undefined. */
export function jsonBody(reply: HttpReply): unknown {
  try {
    return JSON.parse(reply.body) as unknown;
  } catch {
    return undefined;
  }
}

/** Cuts text to `max` characters, ending with an ellipsis when it was longer. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
