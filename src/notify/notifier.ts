import { DateTime } from 'luxon';
import type { Logger } from 'pino';
import type { Channel, NotificationsConfig } from '../config/notifications-schema.js';
import type { DaemonEvent, EventOf } from '../core/events.js';
import { jobKey } from '../core/jobs.js';
import type { Clock } from '../jobs/clock.js';
import { within } from '../node-util.js';
import {
  createChannelQueue,
  type Attempt,
  type ChannelQueue,
  type DeliveryResult,
  type RetryPolicy,
} from './channel-queue.js';
import type { Envelope } from './formats/envelope.js';
import { renderMessage } from './message.js';
import { accepts, deliveryId, toNotification, type Notification } from './notification.js';
import { attemptDelivery } from './send.js';

export interface NotifierDeps {
  readonly config: NotificationsConfig;
  readonly clock: Clock;
  readonly random: () => number;
  readonly log: Logger;
  readonly host: string;
  readonly version: string;
  /** Counts each message's end: sent, failed after its attempts, or dropped. */
  readonly onResult?: (channel: string, result: DeliveryResult) => void;
  /** Tests: shorter waits, a smaller queue. */
  readonly retry?: Partial<Omit<RetryPolicy, 'maxAttempts'>>;
  /** Tests: replaces the HTTP attempt. */
  readonly attempt?: Attempt;
}

export interface Notifier {
  /** The bus listener: turns an event into messages and queues them; never waits. */
  readonly handle: (event: DaemonEvent) => void;
  /** Queues one notification for every channel that accepts it. */
  notify(n: Notification): void;
  /** A reload: channels added, changed (queued messages kept) or removed (dropped). */
  reconfigure(config: NotificationsConfig): void;
  /** The configured channel names, for the metric's labels. */
  channelNames(): string[];
  /** Waits at most `timeoutMs` for queued messages to go out, then drops the rest. Idempotent. */
  close(timeoutMs: number): Promise<void>;
}

const DEFAULT_RETRY: Omit<RetryPolicy, 'maxAttempts'> = {
  baseDelayMs: 2000,
  maxDelayMs: 5 * 60_000,
  maxRetryAfterMs: 10 * 60_000,
  capacity: 100,
};
/** Stops waiting for their decision: one at most per session, and the decision follows at once. */
const MAX_PENDING_STOPS = 100;

/** Notifications from daemon events to the configured channels; see README "Notifications". */
export function createNotifier(deps: NotifierDeps): Notifier {
  let config = deps.config;
  const queues = new Map<string, ChannelQueue>();
  const stops = new Map<string, EventOf<'session.stopped'>>();
  const attempt: Attempt =
    deps.attempt ??
    ((channel, e, signal) =>
      attemptDelivery(channel, e, {
        signal,
        timeoutMs: config.timeout_seconds * 1000,
        now: () => deps.clock.now(),
      }));
  const policy = (): RetryPolicy => ({
    ...DEFAULT_RETRY,
    ...deps.retry,
    maxAttempts: config.max_attempts,
  });
  const zone = (): string => (config.timezone === '' ? DateTime.local().zoneName : config.timezone);
  const channelOf = (name: string): Channel | undefined =>
    config.channels.find((c) => c.name === name);
  let closing: Promise<void> | undefined;

  const queueDeps = {
    clock: deps.clock,
    random: deps.random,
    log: deps.log,
    attempt,
    onResult: (channel: Channel, result: DeliveryResult) => deps.onResult?.(channel.name, result),
  };

  const reconfigure = (next: NotificationsConfig): void => {
    config = next;
    const wanted = new Set(next.enabled ? next.channels.map((c) => c.name) : []);
    for (const [name, queue] of queues) {
      if (wanted.has(name)) continue;
      queue.close();
      queues.delete(name);
    }
    for (const channel of next.enabled ? next.channels : []) {
      const queue = queues.get(channel.name);
      if (queue === undefined) {
        queues.set(channel.name, createChannelQueue(channel, policy(), queueDeps));
      } else {
        queue.update(channel, policy());
      }
    }
  };

  const notify = (n: Notification): void => {
    if (closing !== undefined || queues.size === 0) return;
    const envelope: Envelope = {
      notification: n,
      message: renderMessage(n, { zone: zone(), host: deps.host }),
      id: deliveryId(n.key),
      zone: zone(),
      host: deps.host,
      version: deps.version,
    };
    for (const [name, queue] of queues) {
      const channel = channelOf(name);
      if (channel !== undefined && accepts(channel, n)) queue.enqueue(envelope);
    }
  };

  reconfigure(config);
  return {
    handle(event) {
      if (event.type === 'session.stopped') {
        stops.set(jobKey(event), event);
        if (stops.size > MAX_PENDING_STOPS) stops.delete(stops.keys().next().value ?? '');
      }
      const n = toNotification(event, (agent, sessionId) => {
        const key = jobKey({ agent, sessionId });
        const stop = stops.get(key);
        stops.delete(key);
        return stop;
      });
      if (n !== undefined) notify(n);
    },
    notify,
    reconfigure,
    channelNames: () => [...queues.keys()],
    close(timeoutMs) {
      closing ??= flush([...queues.values()], timeoutMs).finally(() => {
        for (const queue of queues.values()) queue.close();
      });
      return closing;
    },
  };
}

/**
 * Waits for every queue to empty, at most `timeoutMs`. The timer is not unref'd on purpose: it
 * is bounded, and while the daemon stops it keeps the process alive for the last messages
 * (`daemon.stopped` among them).
 */
async function flush(queues: readonly ChannelQueue[], timeoutMs: number): Promise<void> {
  await within(Promise.all(queues.map((q) => q.idle())), timeoutMs, { keepAlive: true });
}
