import type { Channel } from '../../config/notifications-schema.js';
import type { HttpReply, HttpRequest, Outcome } from '../outcome.js';
import { discordOutcome, discordRequest } from './discord.js';
import type { Envelope } from './envelope.js';
import { ntfyOutcome, ntfyRequest } from './ntfy.js';
import { slackOutcome, slackRequest } from './slack.js';
import { telegramOutcome, telegramRequest } from './telegram.js';
import { webhookOutcome, webhookRequest } from './webhook.js';

/** The request a channel makes for one notification, and how it reads the answer. PURE. */
export interface ChannelFormat {
  readonly request: HttpRequest;
  readonly outcome: (reply: HttpReply, nowMs: number) => Outcome;
}

export function formatFor(channel: Channel, e: Envelope): ChannelFormat {
  switch (channel.type) {
    case 'webhook':
      return { request: webhookRequest(channel, e), outcome: webhookOutcome };
    case 'ntfy':
      return { request: ntfyRequest(channel, e), outcome: ntfyOutcome };
    case 'discord':
      return { request: discordRequest(channel, e), outcome: discordOutcome };
    case 'slack':
      return { request: slackRequest(channel, e), outcome: slackOutcome };
    case 'telegram':
      return { request: telegramRequest(channel, e), outcome: telegramOutcome };
  }
}
