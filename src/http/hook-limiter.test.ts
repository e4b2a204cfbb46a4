import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHookLimiter, type HookLimiter } from './hook-limiter.js';
import { isIdle, refill, spend, waitMs } from './token-bucket.js';

const T0 = Date.parse('2026-11-27T10:00:00Z');
const LOCAL = '127.0.0.1';

/** How many of `count` posts at `nowMs` get through. */
function admitted(
  limiter: HookLimiter,
  count: number,
  session: unknown,
  nowMs: number,
  from = LOCAL,
): number {
  let ok = 0;
  for (let i = 0; i < count; i++) if (limiter.admit(from, session, nowMs).ok) ok++;
  return ok;
}

describe('token bucket', () => {
  const rate = { perSecond: 2, burst: 4 };

  it('a missing bucket is full; it refills at the rate up to the burst', () => {
    assert.deepEqual(refill(undefined, rate, T0), { tokens: 4, atMs: T0 });
    const empty = { tokens: 0, atMs: T0 };
    assert.equal(refill(empty, rate, T0 + 250).tokens, 0.5);
    assert.equal(refill(empty, rate, T0 + 60_000).tokens, 4);
    assert.equal(waitMs({ tokens: 0.5, atMs: T0 }, rate), 250);
    assert.equal(waitMs({ tokens: 1, atMs: T0 }, rate), 0);
    assert.deepEqual(spend({ tokens: 1.5, atMs: T0 }), { tokens: 0.5, atMs: T0 });
  });

  it('a clock stepped back refills nothing, and counts on from the new time', () => {
    const back = refill({ tokens: 1, atMs: T0 }, rate, T0 - 3_600_000);
    assert.deepEqual(back, { tokens: 1, atMs: T0 - 3_600_000 });
    assert.equal(refill(back, rate, T0 - 3_600_000 + 500).tokens, 2);
  });

  it('idle means full again by now', () => {
    assert.equal(isIdle({ tokens: 0, atMs: T0 }, rate, T0 + 1999), false);
    assert.equal(isIdle({ tokens: 0, atMs: T0 }, rate, T0 + 2000), true);
  });
});

describe('createHookLimiter', () => {
  it('a session gets a burst of 10 seconds, then the rate, with Retry-After in seconds', () => {
    const limiter = createHookLimiter({ hooksPerSecond: 2 });
    assert.equal(admitted(limiter, 25, 's1', T0), 20);
    assert.deepEqual(limiter.admit(LOCAL, 's1', T0), { ok: false, retryAfterSeconds: 1 });
    assert.equal(admitted(limiter, 5, 's1', T0 + 1000), 2);
    assert.equal(admitted(limiter, 30, 's1', T0 + 11_000), 20);
  });

  it('a flood on one session (or on none) leaves other sessions their share', () => {
    const limiter = createHookLimiter({ hooksPerSecond: 2 });
    for (let second = 0; second < 30; second++) {
      admitted(limiter, 500, 'flood', T0 + second * 1000);
      admitted(limiter, 500, undefined, T0 + second * 1000);
    }
    const later = T0 + 29_100; // the flood's buckets hold a fifth of a token
    assert.equal(limiter.admit(LOCAL, 'flood', later).ok, false);
    assert.equal(limiter.admit(LOCAL, undefined, later).ok, false);
    assert.equal(admitted(limiter, 20, 'legit', later), 20);
    // A post refused by its session bucket is not charged to the address: another session still
    // gets through at once, and so does another address.
    assert.equal(limiter.admit(LOCAL, 'legit-2', later).ok, true);
    assert.equal(limiter.admit('10.0.0.7', 'flood', later).ok, true);
  });

  it('minting a new session_id per post stops at the address bucket (10 sessions worth)', () => {
    const limiter = createHookLimiter({ hooksPerSecond: 2 });
    let ok = 0;
    for (let i = 0; i < 1000; i++) if (limiter.admit(LOCAL, `fake-${i}`, T0).ok) ok++;
    assert.equal(ok, 200);
    const refused = limiter.admit(LOCAL, 'fake-new', T0);
    assert.deepEqual(refused, { ok: false, retryAfterSeconds: 1 });
    // The price of not trusting ids: other sessions on that address wait too, not for long.
    assert.equal(limiter.admit(LOCAL, 'legit', T0).ok, false);
    assert.equal(limiter.admit(LOCAL, 'legit', T0 + 100).ok, true);
    assert.equal(limiter.admit('10.0.0.7', 'legit', T0).ok, true);
  });

  it('an unusable session_id (not a string, too long) counts as no session', () => {
    const limiter = createHookLimiter({ hooksPerSecond: 1 });
    assert.equal(admitted(limiter, 4, undefined, T0), 4);
    assert.equal(admitted(limiter, 4, 42, T0), 4);
    assert.equal(admitted(limiter, 4, 'x'.repeat(129), T0), 2);
    assert.equal(admitted(limiter, 1, { id: 's' }, T0), 0);
    assert.equal(admitted(limiter, 10, 'x'.repeat(128), T0), 10);
  });

  it('memory is bounded: idle buckets go first, then the least recently used', () => {
    const limiter = createHookLimiter({ hooksPerSecond: 1, maxBuckets: 50 });
    for (let i = 0; i < 10_000; i++) limiter.admit(`10.0.${i % 200}.1`, `s-${i}`, T0 + i);
    assert.ok(limiter.size() <= 50, `${limiter.size()} buckets`);
    // Ten seconds on, every bucket is full again: the next post leaves only its own two.
    limiter.admit(LOCAL, 's', T0 + 10_000 + 10_000);
    assert.equal(limiter.size(), 2);
  });

  it('a bucket dropped at the cap was the least recently used, not the one in use', () => {
    const limiter = createHookLimiter({ hooksPerSecond: 1, maxBuckets: 4 });
    assert.equal(admitted(limiter, 10, 'busy', T0), 10);
    for (let i = 0; i < 20; i++) {
      limiter.admit(`10.1.0.${i}`, 'other', T0 + i);
      assert.equal(limiter.admit(LOCAL, 'busy', T0 + i).ok, false, `post ${i}`);
    }
  });
});
