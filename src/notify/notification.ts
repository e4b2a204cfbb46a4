import { createHash } from 'node:crypto';
import type { Channel, NotifyEvent } from '../config/notifications-schema.js';
import type { DaemonEvent, EventOf, FailureType } from '../core/events.js';
import type { AgentKind, StopReasonKind } from '../core/stop-reason.js';

export type NotificationKind = NotifyEvent | 'test';
export type StopAction = EventOf<'decision.made'>['action'];

/**
 * What one notification says, whatever channel carries it. PURE data: the webhook's JSON is
 * these fields, the other channels render them as text (message.ts).
 */
export interface Notification {
  readonly event: NotificationKind;
  /** When it happened, epoch ms. */
  readonly at: number;
  /** The same for the same happening: a copy is never sent twice, and retries reuse it. */
  readonly key: string;
  readonly agent?: AgentKind | undefined;
  readonly sessionId?: string | undefined;
  readonly reason?: StopReasonKind | undefined;
  readonly detail?: string | undefined;
  readonly action?: StopAction | undefined;
  /** When the session is resumed (or replaced), epoch ms. */
  readonly wakeAt?: number | undefined;
  readonly attempt?: number | undefined;
  readonly why?: string | undefined;
  readonly errorType?: FailureType | undefined;
  readonly newSessionId?: string | undefined;
  readonly waitedMs?: number | undefined;
  readonly version?: string | undefined;
  readonly pid?: number | undefined;
  readonly uptimeSeconds?: number | undefined;
  readonly problems?: readonly string[] | undefined;
  /** `notify test`: the channel being tested. */
  readonly channel?: string | undefined;
}

type StopEvent = EventOf<'session.stopped'>;

/**
 * The notification a daemon event gives, if any. PURE. A stop is reported once its decision is
 * made (the wake time is known then): `stopOf` hands back the `session.stopped` that came just
 * before. A decision without one is a retry after a failed attempt, already told by
 * `resume.failed`; a give-up is told by `resume.gave_up`.
 */
export function toNotification(
  event: DaemonEvent,
  stopOf: (agent: AgentKind, sessionId: string) => StopEvent | undefined,
): Notification | undefined {
  switch (event.type) {
    case 'decision.made': {
      const stop = stopOf(event.agent, event.sessionId);
      if (stop === undefined || event.action === 'give_up') return undefined;
      return build('session.stopped', stop.at, {
        agent: event.agent,
        sessionId: event.sessionId,
        reason: stop.reason,
        detail: stop.detail,
        action: event.action,
        wakeAt: event.dueAt,
        attempt: event.attempt,
        why: event.why,
      });
    }
    case 'session.resumed': {
      const { agent, sessionId, action, attempt, waitedMs, newSessionId } = event;
      return build(event.type, event.at, {
        agent,
        sessionId,
        action,
        attempt,
        waitedMs,
        newSessionId,
      });
    }
    case 'resume.failed': {
      const { agent, sessionId, attempt, errorType, message } = event;
      return build(event.type, event.at, { agent, sessionId, attempt, errorType, detail: message });
    }
    case 'resume.gave_up':
    case 'resume.needs_user': {
      const { agent, sessionId, reason, why } = event;
      return build(event.type, event.at, { agent, sessionId, reason, why });
    }
    case 'agent.gave_up':
      return build(event.type, event.at, { agent: event.agent, why: event.reason });
    case 'daemon.started':
      return build(event.type, event.at, { version: event.version, pid: event.pid });
    case 'daemon.stopped':
      return build(event.type, event.at, { uptimeSeconds: event.uptimeSeconds });
    case 'config.rejected':
      return build(event.type, event.at, { problems: event.problems });
    case 'state.write_failed':
      return build(event.type, event.at, { detail: event.problem });
    default:
      return undefined;
  }
}

type Facts = Omit<Notification, 'event' | 'at' | 'key'>;

function build(event: NotificationKind, at: number, facts: Facts): Notification {
  const key = [event, facts.agent, facts.sessionId, facts.attempt, at]
    .map((part) => (part === undefined ? '' : String(part)))
    .join('|');
  return { event, at, key, ...facts };
}

/** The test message `notify test` sends: never deduplicated (its key is unique per run). */
export function testNotification(channel: string, at: number, run: string): Notification {
  return { event: 'test', at, key: `test|${channel}|${run}`, channel };
}

/** Whether this channel wants this notification: its `events`, and for stops its reasons. */
export function accepts(channel: Channel, n: Notification): boolean {
  if (n.event === 'test') return true;
  if (!channel.events.includes(n.event)) return false;
  return (
    n.event !== 'session.stopped' ||
    (n.reason !== undefined && channel.stop_reasons.includes(n.reason))
  );
}

/**
 * The delivery id receivers see (webhook `X-Palingenesis-Delivery`): derived from the key, so
 * every retry — and the same happening reported again, even after a restart — carries the same id.
 */
export function deliveryId(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 32);
}
