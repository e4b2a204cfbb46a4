import type { Logger } from 'pino';
import { jitteredBackoffMs } from '../core/backoff.js';
import type { Channel } from '../config/notifications-schema.js';
import type { Clock } from '../jobs/clock.js';
import type { Envelope } from './formats/envelope.js';
import type { Outcome } from './outcome.js';

export type DeliveryResult = 'sent' | 'failed' | 'dropped';
export const DELIVERY_RESULTS: readonly DeliveryResult[] = ['sent', 'failed', 'dropped'];

export interface RetryPolicy {
  /** Tries per message, the first included. */
  readonly maxAttempts: number;
  /** First backoff; doubles per attempt, ±25 % jitter, capped at maxDelayMs. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** A Retry-After longer than this is cut to it: one message must not hold a queue for hours. */
  readonly maxRetryAfterMs: number;
  /** Messages waiting per channel; one more drops the oldest. */
  readonly capacity: number;
}

export type Attempt = (channel: Channel, e: Envelope, signal: AbortSignal) => Promise<Outcome>;

export interface QueueDeps {
  readonly clock: Clock;
  readonly random: () => number;
  readonly log: Logger;
  readonly attempt: Attempt;
  readonly onResult: (channel: Channel, result: DeliveryResult) => void;
}

export interface ChannelQueue {
  /** Queues a message; false when the same key is queued or was delivered already. */
  enqueue(e: Envelope): boolean;
  /** New settings (a reload): the next attempt uses them, queued messages stay. */
  update(channel: Channel, policy: RetryPolicy): void;
  /** Resolves when nothing is queued or being sent. */
  idle(): Promise<void>;
  /** Stops at once: the request in flight is aborted, what is queued is dropped. Idempotent. */
  close(): void;
}

/** Delivered keys remembered per channel, so a repeated event is not sent again. */
const REMEMBERED = 1000;

/**
 * One channel's messages, sent one at a time in order, off the caller's stack: `enqueue` only
 * stores. A failing channel waits (backoff, Retry-After) in its own queue and holds up no other.
 */
export function createChannelQueue(
  initial: Channel,
  initialPolicy: RetryPolicy,
  deps: QueueDeps,
): ChannelQueue {
  let channel = initial;
  let policy = initialPolicy;
  const waiting: Envelope[] = [];
  let current: Envelope | undefined;
  const delivered = new Set<string>();
  const idlers: (() => void)[] = [];
  const aborter = new AbortController();
  let running = false;
  let closed = false;
  // A function, not the flag: the flag changes across awaits, which narrowing cannot see.
  const stopped = (): boolean => closed;
  const where = (): { channel: string; type: string } => ({
    channel: channel.name,
    type: channel.type,
  });

  const drain = async (): Promise<void> => {
    running = true;
    for (let next = waiting.shift(); next !== undefined && !closed; next = waiting.shift()) {
      current = next;
      const result = await deliver(next);
      current = undefined;
      if (result === 'sent') remember(next.notification.key);
      deps.onResult(channel, result);
    }
    running = false;
    for (const resolve of idlers.splice(0)) resolve();
  };

  const deliver = async (e: Envelope): Promise<DeliveryResult> => {
    for (let attempt = 1; ; attempt++) {
      const outcome = await deps.attempt(channel, e, aborter.signal);
      if (stopped()) return 'dropped';
      const facts = { ...where(), event: e.notification.event, delivery: e.id, attempt };
      if (outcome.kind === 'ok') {
        deps.log.debug(facts, 'notification sent');
        return 'sent';
      }
      const failure = { ...facts, status: outcome.status, reason: outcome.reason };
      if (outcome.kind === 'fail' || attempt >= policy.maxAttempts) {
        deps.log.warn({ ...failure, maxAttempts: policy.maxAttempts }, 'notification failed');
        return 'failed';
      }
      const delayMs =
        outcome.retryAfterMs === undefined
          ? backoffMs(attempt, policy, deps.random())
          : Math.min(outcome.retryAfterMs, policy.maxRetryAfterMs);
      deps.log.info({ ...failure, retryInMs: delayMs }, 'notification attempt failed; retrying');
      await sleep(delayMs);
      if (stopped()) return 'dropped';
    }
  };

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        cancel();
        aborter.signal.removeEventListener('abort', done);
        resolve();
      };
      const cancel = deps.clock.setTimer(done, ms);
      aborter.signal.addEventListener('abort', done, { once: true });
    });

  const remember = (key: string): void => {
    delivered.add(key);
    if (delivered.size > REMEMBERED) {
      const oldest = delivered.values().next();
      if (oldest.done !== true) delivered.delete(oldest.value);
    }
  };

  const known = (key: string): boolean =>
    delivered.has(key) ||
    current?.notification.key === key ||
    waiting.some((e) => e.notification.key === key);

  return {
    enqueue(e) {
      if (closed) return false;
      if (known(e.notification.key)) {
        deps.log.debug({ ...where(), event: e.notification.event }, 'duplicate notification');
        return false;
      }
      if (waiting.length >= policy.capacity) {
        const dropped = waiting.shift();
        deps.log.warn(
          { ...where(), event: dropped?.notification.event, capacity: policy.capacity },
          'notification queue full: oldest message dropped',
        );
        deps.onResult(channel, 'dropped');
      }
      waiting.push(e);
      if (!running) void drain();
      return true;
    },
    update(next, nextPolicy) {
      channel = next;
      policy = nextPolicy;
    },
    idle() {
      if (!running && waiting.length === 0) return Promise.resolve();
      return new Promise((resolve) => idlers.push(resolve));
    },
    close() {
      if (closed) return;
      closed = true;
      aborter.abort();
      const left = waiting.splice(0);
      if (left.length > 0) {
        deps.log.warn({ ...where(), dropped: left.length }, 'notifications not sent before stop');
      }
      left.forEach(() => {
        deps.onResult(channel, 'dropped');
      });
      if (!running) for (const resolve of idlers.splice(0)) resolve();
    },
  };
}

/** The wait before retry `attempt + 1`: the shared jittered exponential backoff. */
export function backoffMs(attempt: number, policy: RetryPolicy, jitter: number): number {
  return jitteredBackoffMs(attempt, policy.baseDelayMs, policy.maxDelayMs, jitter);
}
