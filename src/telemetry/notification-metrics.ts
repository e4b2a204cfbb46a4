import { Counter, type Registry } from 'prom-client';
import { DELIVERY_RESULTS, type DeliveryResult } from '../notify/channel-queue.js';

export interface NotificationMetrics {
  /** One message's end on one channel. */
  count(channel: string, result: DeliveryResult): void;
  /** Channels configured (at start, after a reload): their series exist from 0. */
  declare(channels: readonly string[]): void;
}

/**
 * `palingenesis_notifications_total{channel,result}`. Deliveries end outside the event bus (on a
 * timer, after a retry), so the counter lives in a registry rendered at every scrape rather than
 * the event-driven one whose text is reused until the next bus event. `channel` is a configured
 * name: bounded by the config.
 */
export function registerNotificationMetrics(registry: Registry): NotificationMetrics {
  const counter = new Counter({
    name: 'palingenesis_notifications_total',
    help: 'Notification messages by channel and result: sent, failed (after its attempts) or dropped.',
    labelNames: ['channel', 'result'],
    registers: [registry],
  });
  return {
    count: (channel, result) => {
      counter.inc({ channel, result });
    },
    declare: (channels) => {
      for (const channel of channels) {
        for (const result of DELIVERY_RESULTS) counter.inc({ channel, result }, 0);
      }
    },
  };
}
