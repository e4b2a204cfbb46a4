import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { createFakeClock } from '../../test/helpers/fake-clock.js';
import { notificationsSection, type Channel } from '../config/notifications-schema.js';
import {
  backoffMs,
  createChannelQueue,
  type Attempt,
  type DeliveryResult,
  type RetryPolicy,
} from './channel-queue.js';
import type { Envelope } from './formats/envelope.js';
import type { Outcome } from './outcome.js';

const START = Date.parse('2026-11-27T22:00:00Z');
const POLICY: RetryPolicy = {
  maxAttempts: 4,
  baseDelayMs: 1000,
  maxDelayMs: 60_000,
  maxRetryAfterMs: 120_000,
  capacity: 3,
};
const [CHANNEL] = notificationsSection.parse({
  channels: [{ name: 'c', type: 'slack', url: 'https://hooks.example/x' }],
}).channels as [Channel];

function envelope(key: string): Envelope {
  return {
    notification: { event: 'daemon.started', at: START, key },
    message: { title: 't', text: 'x', severity: 'info' },
    id: key,
    zone: 'UTC',
    host: 'h',
    version: '0',
  };
}

/** A queue whose attempts answer from a script (then ok), on a clock only the test moves. */
function setup(script: Outcome[], policy = POLICY) {
  const clock = createFakeClock(START);
  const sent: string[] = [];
  const results: DeliveryResult[] = [];
  const attempt: Attempt = (_channel, e) => {
    sent.push(e.notification.key);
    return Promise.resolve(script.shift() ?? { kind: 'ok' });
  };
  const queue = createChannelQueue(CHANNEL, policy, {
    clock,
    random: () => 0.5, // no jitter: waits are exactly base·2^(n−1)
    log: pino({ level: 'silent' }),
    attempt,
    onResult: (_channel, result) => results.push(result),
  });
  return { clock, sent, results, queue };
}

const retry = (retryAfterMs?: number): Outcome => ({
  kind: 'retry',
  reason: 'HTTP 503',
  retryAfterMs,
});

describe('channel queue', () => {
  it('retries with exponential backoff until delivered: one result, the same message each time', async () => {
    const { clock, sent, results, queue } = setup([retry(), retry()]);
    assert.equal(queue.enqueue(envelope('a')), true);
    await clock.advance(0);
    assert.deepEqual(sent, ['a']);
    await clock.advance(999);
    assert.deepEqual(sent, ['a'], 'not before the first backoff');
    await clock.advance(1);
    await clock.advance(2000);
    await queue.idle();
    assert.deepEqual(sent, ['a', 'a', 'a']);
    assert.deepEqual(clock.armed, [1000, 2000]);
    assert.deepEqual(results, ['sent']);
  });

  it('honours Retry-After, capped', async () => {
    const { clock, results, queue } = setup([retry(30_000), retry(10 * 60_000)]);
    queue.enqueue(envelope('a'));
    await clock.advance(0); // the first attempt answers
    await clock.advance(30_000 + 120_000);
    await queue.idle();
    assert.deepEqual(clock.armed, [30_000, 120_000]);
    assert.deepEqual(results, ['sent']);
  });

  it('a duplicate key is not queued again, neither while pending nor once delivered', async () => {
    const { clock, sent, queue } = setup([retry()]);
    assert.equal(queue.enqueue(envelope('a')), true);
    assert.equal(queue.enqueue(envelope('a')), false);
    await clock.advance(0);
    await clock.advance(1000);
    await queue.idle();
    assert.equal(queue.enqueue(envelope('a')), false);
    assert.equal(queue.enqueue(envelope('b')), true);
    await queue.idle();
    assert.deepEqual(sent, ['a', 'a', 'b']);
  });

  it('a permanent failure is not retried; running out of attempts is a failure too', async () => {
    const { clock, sent, results, queue } = setup([
      { kind: 'fail', reason: 'HTTP 404', status: 404 },
      retry(),
      retry(),
      retry(),
      retry(),
    ]);
    queue.enqueue(envelope('a'));
    queue.enqueue(envelope('b'));
    await clock.advance(0);
    await clock.advance(60_000);
    await queue.idle();
    assert.deepEqual(sent, ['a', 'b', 'b', 'b', 'b']);
    assert.deepEqual(results, ['failed', 'failed']);
  });

  it('a full queue drops its oldest waiting message, counted as dropped', async () => {
    const { clock, sent, results, queue } = setup([retry()]);
    for (const key of ['a', 'b', 'c', 'd', 'e']) queue.enqueue(envelope(key));
    // 'a' is being sent; b..e wait in a queue of 3: 'b' is dropped.
    assert.deepEqual(results, ['dropped']);
    await clock.advance(0);
    await clock.advance(1000);
    await queue.idle();
    assert.deepEqual(sent, ['a', 'a', 'c', 'd', 'e']);
    assert.deepEqual(results, ['dropped', 'sent', 'sent', 'sent', 'sent']);
  });

  it('close drops what waits and ends a backoff at once; idle resolves; nothing is sent after', async () => {
    const { clock, sent, results, queue } = setup([retry()]);
    queue.enqueue(envelope('a'));
    queue.enqueue(envelope('b'));
    await clock.advance(0);
    const idle = queue.idle();
    queue.close();
    queue.close();
    await idle;
    await clock.advance(60_000);
    assert.deepEqual(sent, ['a']);
    assert.deepEqual(results.sort(), ['dropped', 'dropped']);
    assert.equal(queue.enqueue(envelope('c')), false);
  });

  it('backoff doubles, with ±25 % jitter, up to the maximum', () => {
    assert.equal(backoffMs(1, POLICY, 0.5), 1000);
    assert.equal(backoffMs(3, POLICY, 0.5), 4000);
    assert.equal(backoffMs(3, POLICY, 0), 3000);
    assert.equal(backoffMs(3, POLICY, 0.999), 4998);
    assert.equal(backoffMs(20, POLICY, 0.5), 60_000);
  });
});
