import type { Channel } from '../../config/notifications-schema.js';
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

type DiscordChannel = Extract<Channel, { type: 'discord' }>;

/**
 * Discord's Execute Webhook: `{content}` (at most 2000 characters), as the webhook's user named
 * palingenesis. `allowed_mentions: {parse: []}` keeps a session title such as "@everyone" from
 * pinging anyone. Discord answers 204 (200 with `?wait=true`).
 */
export function discordRequest(channel: DiscordChannel, e: Envelope): HttpRequest {
  const { title, text } = e.message;
  const content = truncate(`**${escapeMarkdown(title)}**\n${escapeMarkdown(text)}`, 2000);
  return {
    url: channel.url,
    headers: { 'content-type': 'application/json', 'user-agent': userAgent(e) },
    body: JSON.stringify({ username: 'palingenesis', content, allowed_mentions: { parse: [] } }),
  };
}

export function escapeMarkdown(text: string): string {
  return text.replace(/[\\*_~`|>]/g, '\\$&');
}

/** Errors are `{"message": "Unknown Webhook", "code": 10015}`; a 429 has `retry_after` seconds. */
export function discordOutcome(reply: HttpReply, nowMs: number): Outcome {
  const body = jsonBody(reply);
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const retryAfter = typeof fields['retry_after'] === 'number' ? fields['retry_after'] : undefined;
  return judgeStatus(reply, nowMs, safeHint(fields['message']), retryAfter);
}
