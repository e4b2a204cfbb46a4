import type { Message } from '../message.js';
import type { Notification } from '../notification.js';

/** Everything a channel format needs to build its request for one notification. */
export interface Envelope {
  readonly notification: Notification;
  readonly message: Message;
  /** The delivery id: the same on every attempt (notification.ts deliveryId). */
  readonly id: string;
  /** IANA zone instants are shown in. */
  readonly zone: string;
  readonly host: string;
  /** palingenesis's version, for the User-Agent. */
  readonly version: string;
}

export function userAgent(e: Envelope): string {
  return `palingenesis/${e.version}`;
}
