import { isIdle, refill, spend, waitMs, type Bucket, type BucketRate } from './token-bucket.js';

/** A quiet source may send this many seconds' worth at once (see `[limits] hooks_per_second`). */
export const BURST_SECONDS = 10;
/** An address may send this many sessions' worth: one runaway session leaves room for the rest. */
export const SESSIONS_PER_ADDRESS = 10;
/** A longer `session_id` is not used as a key (it would make a bucket that big). */
export const MAX_SESSION_KEY_CHARS = 128;
export const DEFAULT_MAX_BUCKETS = 4096;

export interface HookLimiterOptions {
  readonly hooksPerSecond: number;
  /** At least 2; default 4096 (each well under 1 KiB). */
  readonly maxBuckets?: number;
}

export type HookAdmission =
  { readonly ok: true } | { readonly ok: false; readonly retryAfterSeconds: number };

export interface HookLimiter {
  /** Charges one hook post; `sessionId` is the payload's `session_id`, whatever it holds. */
  admit(address: string, sessionId: unknown, nowMs: number): HookAdmission;
  readonly size: () => number;
}

interface Entry {
  readonly bucket: Bucket;
  readonly rate: BucketRate;
}

/**
 * The hook intake's rule. A post's session is its remote address plus its `session_id` (none, or
 * one longer than 128 characters, counts as the address's "no session"). A session may send
 * `hooksPerSecond`, in bursts of 10 seconds' worth; an address may send 10 sessions' worth in all.
 * A post must fit both buckets and is charged to both; one refused is charged to neither, so a
 * flood on one session (or on none) leaves every other session its own share of the address.
 *
 * On loopback every process shares one address: a token holder who mints a new `session_id` per
 * post gets past the session buckets but not the address's, and then delays the other sessions
 * from that address too. That is the price of not trusting session ids; the address bucket still
 * bounds the work a flood can queue.
 *
 * Memory: at most `maxBuckets` buckets. Idle ones (full again, so forgetting them changes nothing)
 * are dropped first, then the least recently used.
 */
export function createHookLimiter(options: HookLimiterOptions): HookLimiter {
  const perSecond = options.hooksPerSecond;
  const session: BucketRate = { perSecond, burst: Math.max(1, perSecond * BURST_SECONDS) };
  const address: BucketRate = {
    perSecond: perSecond * SESSIONS_PER_ADDRESS,
    burst: session.burst * SESSIONS_PER_ADDRESS,
  };
  const maxBuckets = Math.max(2, options.maxBuckets ?? DEFAULT_MAX_BUCKETS);
  // Least recently used first: a Map keeps insertion order, and every use re-inserts.
  const buckets = new Map<string, Entry>();

  const put = (key: string, bucket: Bucket, rate: BucketRate): void => {
    buckets.delete(key);
    buckets.set(key, { bucket, rate });
  };
  const forget = (nowMs: number): void => {
    for (const [key, entry] of buckets) {
      if (buckets.size <= maxBuckets && !isIdle(entry.bucket, entry.rate, nowMs)) return;
      buckets.delete(key);
    }
  };

  return {
    admit(from, sessionId, nowMs) {
      const addressKey = `a ${from}`;
      const sessionKey = `s ${from} ${keyPart(sessionId)}`;
      const a = refill(buckets.get(addressKey)?.bucket, address, nowMs);
      const s = refill(buckets.get(sessionKey)?.bucket, session, nowMs);
      const wait = Math.max(waitMs(a, address), waitMs(s, session));
      put(addressKey, wait === 0 ? spend(a) : a, address);
      put(sessionKey, wait === 0 ? spend(s) : s, session);
      forget(nowMs);
      return wait === 0 ? { ok: true } : { ok: false, retryAfterSeconds: Math.ceil(wait / 1000) };
    },
    size: () => buckets.size,
  };
}

/** "" (no session) for anything but a usable id; ids are never empty, so "" cannot collide. */
function keyPart(sessionId: unknown): string {
  return typeof sessionId === 'string' && sessionId.length <= MAX_SESSION_KEY_CHARS
    ? sessionId
    : '';
}
