import { createHmac } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Channel } from '../../config/notifications-schema.js';
import { judgeStatus, type HttpReply, type HttpRequest, type Outcome } from '../outcome.js';
import { userAgent, type Envelope } from './envelope.js';
import { isoInstant } from '../../core/max-wait.js';

type WebhookChannel = Extract<Channel, { type: 'webhook' }>;

export const SIGNATURE_HEADER = 'x-palingenesis-signature';

/**
 * The generic webhook: our own JSON (documented in the README), signed when a secret is set with
 * `X-Palingenesis-Signature: sha256=<hex HMAC-SHA256 of the raw body>`, as GitHub does.
 */
export function webhookRequest(channel: WebhookChannel, e: Envelope): HttpRequest {
  const body = JSON.stringify(webhookPayload(e));
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': userAgent(e),
    'x-palingenesis-event': e.notification.event,
    'x-palingenesis-delivery': e.id,
  };
  if (channel.secret !== '') headers[SIGNATURE_HEADER] = signature(channel.secret, body);
  return { url: channel.url, headers, body };
}

export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** PURE: the JSON body. Instants are ISO 8601 UTC; `wakeAtLocal` is the wake time in `timezone`. */
export function webhookPayload(e: Envelope): Record<string, unknown> {
  const n = e.notification;
  const iso = (ms: number | undefined): string | undefined => isoInstant(ms) ?? undefined;
  return {
    id: e.id,
    event: n.event,
    at: iso(n.at),
    host: e.host,
    severity: e.message.severity,
    title: e.message.title,
    message: e.message.text,
    timezone: e.zone,
    agent: n.agent,
    sessionId: n.sessionId,
    reason: n.reason,
    detail: n.detail,
    action: n.action,
    wakeAt: iso(n.wakeAt),
    wakeAtLocal:
      n.wakeAt === undefined
        ? undefined
        : DateTime.fromMillis(n.wakeAt, { zone: e.zone }).toISO({ suppressMilliseconds: true }),
    attempt: n.attempt,
    why: n.why,
    errorType: n.errorType,
    newSessionId: n.newSessionId,
    waitedSeconds: n.waitedMs === undefined ? undefined : n.waitedMs / 1000,
    version: n.version,
    pid: n.pid,
    uptimeSeconds: n.uptimeSeconds,
    problems: n.problems,
    channel: n.channel,
  };
}

/** Any 2xx is delivered. The body is never read: a receiver may echo what it got. */
export function webhookOutcome(reply: HttpReply, nowMs: number): Outcome {
  return judgeStatus(reply, nowMs);
}
