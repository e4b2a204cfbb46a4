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

type TelegramChannel = Extract<Channel, { type: 'telegram' }>;

/**
 * Bot API `sendMessage`: `POST {api_base_url}/bot<token>/sendMessage` with
 * `{chat_id, text, parse_mode: "HTML"}`; text at most 4096 characters. The token is in the path,
 * which is why no URL is ever logged.
 */
export function telegramRequest(channel: TelegramChannel, e: Envelope): HttpRequest {
  const { title, text } = e.message;
  const base = channel.api_base_url.replace(/\/+$/, '');
  return {
    url: `${base}/bot${channel.bot_token}/sendMessage`,
    headers: { 'content-type': 'application/json', 'user-agent': userAgent(e) },
    body: JSON.stringify({
      chat_id: channel.chat_id,
      text: truncate(`<b>${escapeHtml(title)}</b>\n${escapeHtml(text)}`, 4000),
      parse_mode: 'HTML',
    }),
  };
}

/** The three characters Telegram's HTML mode requires escaped. */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Delivered only with `{"ok": true}`. Errors are `{"ok": false, "error_code", "description",
 * "parameters": {"retry_after"}}`, the description safe to show ("Bad Request: chat not found").
 */
export function telegramOutcome(reply: HttpReply, nowMs: number): Outcome {
  const body = jsonBody(reply);
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const parameters = fields['parameters'];
  const retryAfter =
    typeof parameters === 'object' && parameters !== null && 'retry_after' in parameters
      ? parameters.retry_after
      : undefined;
  const judged = judgeStatus(
    reply,
    nowMs,
    safeHint(fields['description']),
    typeof retryAfter === 'number' ? retryAfter : undefined,
  );
  if (judged.kind === 'ok' && fields['ok'] !== true) {
    return {
      kind: 'fail',
      reason: `HTTP ${reply.status} without "ok": true`,
      status: reply.status,
    };
  }
  return judged;
}
