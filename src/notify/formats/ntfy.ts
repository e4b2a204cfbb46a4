import type { Channel } from '../../config/notifications-schema.js';
import type { Severity } from '../message.js';
import {
  jsonBody,
  judgeStatus,
  safeHint,
  truncate,
  type HttpReply,
  type HttpRequest,
  type Outcome,
} from '../outcome.js';
import { userAgent, type Envelope } from './envelope.js';

type NtfyChannel = Extract<Channel, { type: 'ntfy' }>;

const DEFAULT_SERVER = 'https://ntfy.sh';
const PRIORITY: Readonly<Record<Severity, number>> = { info: 3, success: 3, warning: 3, error: 4 };
// ntfy shows tags that name an emoji as that emoji, the rest as text.
const TAG: Readonly<Record<Severity, string>> = {
  info: 'information_source',
  success: 'white_check_mark',
  warning: 'warning',
  error: 'rotating_light',
};

/**
 * ntfy's JSON publishing (https://docs.ntfy.sh/publish/#publish-as-json): the message as JSON,
 * POSTed to the server's root URL with the topic inside. Unlike the Title/Tags headers this keeps
 * any Unicode intact. Messages over 4096 bytes would become attachments: the text is cut first.
 */
export function ntfyRequest(channel: NtfyChannel, e: Envelope): HttpRequest {
  const { server, topic } = splitTopicUrl(channel.url);
  const { severity, title, text } = e.message;
  const body = JSON.stringify({
    topic,
    title,
    message: truncate(text, 3000),
    priority: channel.priority ?? PRIORITY[severity],
    tags: [TAG[severity], e.notification.event],
  });
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': userAgent(e),
  };
  if (channel.token !== '') headers['authorization'] = `Bearer ${channel.token}`;
  return { url: `${server}/`, headers, body };
}

/** `https://host[/base]/topic` → the server root and the topic; a bare topic is on ntfy.sh. */
export function splitTopicUrl(url: string): { server: string; topic: string } {
  if (!/^https?:\/\//i.test(url)) return { server: DEFAULT_SERVER, topic: url };
  const parsed = new URL(url);
  const parts = parsed.pathname.split('/').filter((p) => p !== '');
  const topic = parts.pop() ?? '';
  const base = parts.length === 0 ? '' : `/${parts.join('/')}`;
  return { server: `${parsed.origin}${base}`, topic };
}

/** ntfy answers 200 with the message; errors are `{"code":40101,"http":401,"error":"…"}`. */
export function ntfyOutcome(reply: HttpReply, nowMs: number): Outcome {
  const body = jsonBody(reply);
  const error =
    typeof body === 'object' && body !== null && 'error' in body ? body.error : undefined;
  return judgeStatus(reply, nowMs, safeHint(error));
}
