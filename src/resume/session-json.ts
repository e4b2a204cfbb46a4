import { isoInstant } from '../core/max-wait.js';
import type { SessionView } from './live-sessions.js';

/** PURE. One session as the API shows it: instants as ISO strings; never a secret in here. */
export function sessionJson(s: SessionView): Record<string, unknown> {
  return {
    agent: s.agent,
    id: s.id,
    directory: s.directory ?? null,
    title: s.title ?? null,
    state: s.state,
    attempts: s.attempts,
    paused: s.paused,
    lastStop:
      s.lastStop === undefined
        ? null
        : {
            reason: s.lastStop.reason,
            detail: s.lastStop.detail,
            at: isoInstant(s.lastStop.at),
            resetAt: isoInstant(s.lastStop.resetAt),
          },
    nextWakeAt: isoInstant(s.nextWakeAt),
    steps: s.steps ?? null,
  };
}
