import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Channel, NotificationsConfig } from '../config/notifications-schema.js';
import { renderMessage } from './message.js';
import { deliveryId, testNotification } from './notification.js';
import type { Outcome } from './outcome.js';
import { attemptDelivery } from './send.js';

export interface TestResult {
  readonly channel: Channel;
  readonly outcome: Outcome;
}

/**
 * `notify test`: one attempt per channel, all at once, through the daemon's own request builders
 * and sender, so a pass here means the daemon's messages get through too.
 */
export async function sendTestMessages(
  channels: readonly Channel[],
  config: NotificationsConfig,
  context: { readonly host: string; readonly version: string; readonly signal: AbortSignal },
): Promise<TestResult[]> {
  const zone = config.timezone === '' ? DateTime.local().zoneName : config.timezone;
  const run = randomUUID();
  return Promise.all(
    channels.map(async (channel) => {
      const notification = testNotification(channel.name, Date.now(), run);
      const envelope = {
        notification,
        message: renderMessage(notification, { zone, host: context.host }),
        id: deliveryId(notification.key),
        zone,
        host: context.host,
        version: context.version,
      };
      const outcome = await attemptDelivery(channel, envelope, {
        signal: context.signal,
        timeoutMs: config.timeout_seconds * 1000,
        now: Date.now,
      });
      return { channel, outcome };
    }),
  );
}

/**
 * PURE: the channels `notify test [NAME]` is about, or why there are none (no channel configured,
 * or no channel by that name — the configured ones are listed).
 */
export function pickChannels(
  channels: readonly Channel[],
  name: string | undefined,
  configPath: string,
): { ok: true; channels: readonly Channel[] } | { ok: false; message: string } {
  if (channels.length === 0) {
    return {
      ok: false,
      message:
        `no notification channels are configured in ${configPath}: add a ` +
        '[[notifications.channels]] table (examples: `palingenesis config init` or the README)',
    };
  }
  if (name === undefined) return { ok: true, channels };
  const found = channels.filter((c) => c.name === name);
  if (found.length > 0) return { ok: true, channels: found };
  const names = channels.map((c) => c.name).join(', ');
  return {
    ok: false,
    message: `no notification channel named "${name}" in ${configPath}; configured: ${names}`,
  };
}
