import type { Channel } from '../config/notifications-schema.js';
import { errorCode } from '../node-util.js';
import type { Envelope } from './formats/envelope.js';
import { formatFor } from './formats/index.js';
import type { Outcome } from './outcome.js';

export interface AttemptOptions {
  /** Aborts the request: the daemon is stopping. */
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  readonly now: () => number;
}

/** Enough of any vendor's answer to read its error; more is not read. */
const MAX_REPLY_BYTES = 16 * 1024;

/**
 * One delivery attempt: build the channel's request, POST it, read the answer. Never throws:
 * network errors and timeouts are outcomes (worth a retry); the daemon stopping is a failure.
 * Redirects are not followed: a signed body or a token must not travel to another address.
 */
export async function attemptDelivery(
  channel: Channel,
  envelope: Envelope,
  options: AttemptOptions,
): Promise<Outcome> {
  const { request, outcome } = formatFor(channel, envelope);
  const signal = AbortSignal.any([options.signal, AbortSignal.timeout(options.timeoutMs)]);
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal,
    });
    const body = await readCapped(response, MAX_REPLY_BYTES);
    const headers = Object.fromEntries(
      [...response.headers].map(([name, value]) => [name.toLowerCase(), value]),
    );
    return outcome({ status: response.status, headers, body }, options.now());
  } catch (error) {
    if (options.signal.aborted)
      return { kind: 'fail', reason: 'cancelled: the daemon is stopping' };
    return { kind: 'retry', reason: networkReason(error, options.timeoutMs) };
  }
}

/**
 * Words for a failed request without its message: undici's messages can name the host, and a
 * URL that does not parse would be quoted whole. The system error code says enough.
 */
function networkReason(error: unknown, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return `timed out after ${timeoutMs / 1000} s`;
  }
  const cause = error instanceof Error ? error.cause : undefined;
  const code = errorCode(cause) ?? errorCode(error);
  return typeof code === 'string' && /^[A-Z_]+$/.test(code)
    ? `network error (${code})`
    : 'network error';
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= maxBytes) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).toString('utf8');
}
