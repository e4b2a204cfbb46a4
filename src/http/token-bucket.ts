/** Tokens saved up as of `atMs`. A missing bucket is a full one, so a full bucket can be dropped. */
export interface Bucket {
  readonly tokens: number;
  readonly atMs: number;
}

export interface BucketRate {
  readonly perSecond: number;
  /** Most tokens a bucket holds: a quiet source may send this many at once. */
  readonly burst: number;
}

/** PURE. The bucket at `nowMs`. A clock stepped back refills nothing but does not freeze the bucket. */
export function refill(bucket: Bucket | undefined, rate: BucketRate, nowMs: number): Bucket {
  if (bucket === undefined) return { tokens: rate.burst, atMs: nowMs };
  const elapsedMs = Math.max(0, nowMs - bucket.atMs);
  const tokens = Math.min(rate.burst, bucket.tokens + (elapsedMs * rate.perSecond) / 1000);
  return { tokens, atMs: nowMs };
}

/** PURE. Milliseconds until a refilled bucket holds a whole token; 0 when it does. */
export function waitMs(bucket: Bucket, rate: BucketRate): number {
  return bucket.tokens >= 1 ? 0 : Math.ceil(((1 - bucket.tokens) * 1000) / rate.perSecond);
}

/** PURE. The bucket with one token spent (call only when waitMs is 0). */
export function spend(bucket: Bucket): Bucket {
  return { tokens: bucket.tokens - 1, atMs: bucket.atMs };
}

/** PURE. Whether the bucket is certainly full again by `nowMs`, so forgetting it changes nothing. */
export function isIdle(bucket: Bucket, rate: BucketRate, nowMs: number): boolean {
  return refill(bucket, rate, nowMs).tokens >= rate.burst;
}
