import { IANAZone } from 'luxon';
import { z } from 'zod';
import { STOP_REASONS, type StopReasonKind } from '../core/stop-reason.js';

/**
 * `[notifications]`: where the daemon tells a person what happened. Each channel is one
 * `[[notifications.channels]]` table whose `type` picks the keys it takes (a discriminated union,
 * so a key of another type or a missing one is an error naming the key and its line).
 */

/** What can be notified; a channel's `events` picks from these (default: all). */
export const NOTIFY_EVENTS = [
  'session.stopped',
  'session.resumed',
  'resume.failed',
  'resume.gave_up',
  'resume.needs_user',
  'agent.gave_up',
  'daemon.started',
  'daemon.stopped',
  'config.rejected',
  'state.write_failed',
] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];

/** Stops that are not problems: a person ended the session, or the turn simply finished. */
const QUIET_STOPS: readonly StopReasonKind[] = ['user_exit', 'completed'];
export const DEFAULT_STOP_REASONS = STOP_REASONS.filter((r) => !QUIET_STOPS.includes(r));

export const CHANNEL_TYPES = ['webhook', 'ntfy', 'discord', 'slack', 'telegram'] as const;
export type ChannelType = (typeof CHANNEL_TYPES)[number];

const NTFY_TOPIC = /^[-_A-Za-z0-9]{1,64}$/;
const httpUrl = z.url({ protocol: /^https?$/ });

const common = {
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/, 'letters, digits, "-" and "_" only (at most 63)')
    .describe('Unique name: the metric label and the argument of `notify test`.'),
  events: z
    .array(z.enum(NOTIFY_EVENTS))
    .min(1, 'list at least one event, or remove the channel')
    .default([...NOTIFY_EVENTS])
    .describe('Which events this channel gets; default: all.'),
  stop_reasons: z
    .array(z.enum(STOP_REASONS))
    .default([...DEFAULT_STOP_REASONS])
    .describe('Which stops `session.stopped` reports; default: all but user_exit and completed.'),
};

const webhookChannel = z.strictObject({
  type: z.literal('webhook'),
  ...common,
  url: httpUrl.describe('Where the JSON is POSTed. Never shown.'),
  secret: z
    .string()
    .default('')
    .describe('Signs each body: X-Palingenesis-Signature: sha256=<hex HMAC>. Never shown.'),
});

const ntfyChannel = z.strictObject({
  type: z.literal('ntfy'),
  ...common,
  url: z
    .string()
    .refine(
      (value) => NTFY_TOPIC.test(value) || httpUrl.safeParse(value).success,
      'a topic URL (https://ntfy.sh/mytopic) or a topic name (then on https://ntfy.sh)',
    )
    .describe('The topic URL, or a bare topic on https://ntfy.sh. Never shown.'),
  token: z.string().default('').describe('Access token for a protected topic. Never shown.'),
  priority: z
    .number()
    .int()
    .min(1)
    .max(5)
    .optional()
    .describe('1 (min) to 5 (max) for every message; default: by event (problems are 4).'),
});

const discordChannel = z.strictObject({
  type: z.literal('discord'),
  ...common,
  url: httpUrl.describe('The Discord webhook URL (it holds the token). Never shown.'),
});

const slackChannel = z.strictObject({
  type: z.literal('slack'),
  ...common,
  url: httpUrl.describe('The Slack incoming-webhook URL (it holds the token). Never shown.'),
});

const telegramChannel = z.strictObject({
  type: z.literal('telegram'),
  ...common,
  bot_token: z
    .string()
    .regex(/^\d+:[A-Za-z0-9_-]+$/, 'a bot token as @BotFather gives it (123456:ABC-…)')
    .describe('The bot token. Never shown.'),
  chat_id: z
    .union([z.number().int(), z.string().regex(/^(-?\d+|@\w+)$/, 'a chat id or @channel')])
    .transform(String)
    .describe('The chat, group (negative id) or @channel to post to.'),
  api_base_url: httpUrl
    .default('https://api.telegram.org')
    .describe('The Bot API server; change it for a local Bot API server.'),
});

export const channelSchema = z.discriminatedUnion('type', [
  webhookChannel,
  ntfyChannel,
  discordChannel,
  slackChannel,
  telegramChannel,
]);
export type Channel = z.infer<typeof channelSchema>;

export const notificationsSection = z
  .strictObject({
    enabled: z
      .boolean()
      .default(true)
      .describe('Send notifications through the channels below; false mutes them all.'),
    timezone: z
      .string()
      .refine((zone) => zone === '' || IANAZone.isValidZone(zone), 'not an IANA time zone')
      .default('')
      .describe('IANA zone wake times are shown in (e.g. Europe/Paris); empty: the system zone.'),
    max_attempts: z
      .number()
      .int()
      .min(1)
      .max(20)
      .default(6)
      .describe('Tries per message on network errors, 5xx and 429; backoff 2 s doubling to 5 min.'),
    timeout_seconds: z
      .number()
      .positive()
      .max(120)
      .default(10)
      .describe('Longest wait for one delivery attempt.'),
    channels: z
      .array(channelSchema)
      .default([])
      .describe('One [[notifications.channels]] table per destination.'),
  })
  .superRefine((section, ctx) => {
    const seen = new Set<string>();
    section.channels.forEach((channel, index) => {
      if (seen.has(channel.name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['channels', index, 'name'],
          message: `duplicate channel name "${channel.name}"`,
        });
      }
      seen.add(channel.name);
    });
  });

export type NotificationsConfig = z.infer<typeof notificationsSection>;

/** Commented out in the file `config init` writes: one channel of each type. */
export const CHANNELS_EXAMPLE = `[[notifications.channels]]
name = "phone"
type = "ntfy"
url = "https://ntfy.sh/my-secret-topic"    # or a bare topic name
# token = "tk_..."                         # for a protected topic
# priority = 4                             # 1-5; default: by event

[[notifications.channels]]
name = "ops"
type = "webhook"
url = "https://example.com/hooks/palingenesis"
secret = "change-me"                       # X-Palingenesis-Signature: sha256=<HMAC of the body>
events = ["session.stopped", "resume.gave_up", "daemon.stopped"]

[[notifications.channels]]
name = "discord"
type = "discord"
url = "https://discord.com/api/webhooks/<id>/<token>"

[[notifications.channels]]
name = "slack"
type = "slack"
url = "https://hooks.slack.com/services/T000/B000/XXXX"

[[notifications.channels]]
name = "telegram"
type = "telegram"
bot_token = "123456:ABC-DEF"
chat_id = 123456789`;
