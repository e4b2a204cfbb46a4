import type { Channel } from '../../config/notifications-schema.js';
import {
  judgeStatus,
  safeHint,
  truncate,
  type HttpReply,
  type HttpRequest,
  type Outcome,
} from '../outcome.js';
import { userAgent, type Envelope } from './envelope.js';

type SlackChannel = Extract<Channel, { type: 'slack' }>;

/**
 * Slack incoming webhook: `{text}` in mrkdwn, the title bold. Slack answers 200 `ok`, or a status
 * with a plain-text code (`invalid_payload`, `no_service`, `channel_is_archived`, …).
 */
export function slackRequest(channel: SlackChannel, e: Envelope): HttpRequest {
  const { title, text } = e.message;
  return {
    url: channel.url,
    headers: { 'content-type': 'application/json', 'user-agent': userAgent(e) },
    body: JSON.stringify({
      text: truncate(`*${escapeMrkdwn(title)}*\n${escapeMrkdwn(text)}`, 3000),
    }),
  };
}

/** Slack's three control characters; everything else is shown as written. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function slackOutcome(reply: HttpReply, nowMs: number): Outcome {
  return judgeStatus(reply, nowMs, safeHint(reply.body));
}
