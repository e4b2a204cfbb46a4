import type { ControlCommand, ControlResult, DaemonState } from '../core/daemon-state.js';
import type { SessionView } from '../resume/live-sessions.js';

/** What the HTTP layer needs from the daemon; the daemon module provides it. */
export interface DaemonControl {
  readonly state: () => DaemonState;
  readonly apply: (command: ControlCommand) => ControlResult;
  /** Every tracked session, for `GET /api/v1/sessions` and the status. */
  readonly sessions: () => readonly SessionView[];
}

export interface DaemonInfo {
  readonly version: string;
  readonly commit: string;
  readonly pid: number;
  readonly startedAt: Date;
  /** Seconds since start, fractional, from the daemon's clock. */
  readonly uptimeSeconds: () => number;
}
