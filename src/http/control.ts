import type { ControlCommand, ControlResult, DaemonState } from '../core/daemon-state.js';
import type { SessionCommand, SessionCommandResult } from '../resume/engine.js';
import type { SessionView } from '../resume/live-sessions.js';

/** What the HTTP layer needs from the daemon; the daemon module provides it. */
export interface DaemonControl {
  readonly state: () => DaemonState;
  readonly apply: (command: ControlCommand) => ControlResult;
  /** Every tracked session, for `GET /api/v1/sessions` and the status. */
  readonly sessions: () => readonly SessionView[];
  /** The same list as the API's JSON array text (`sessionJson` of each), cached per session. */
  readonly sessionsJson: () => string;
  /** A person's command on one session. */
  readonly command: (sessionId: string, command: SessionCommand) => Promise<SessionCommandResult>;
  /** Lifetime saves and estimated time saved. */
  readonly totals: () => { readonly saves: number; readonly timeSavedSeconds: number };
}

export interface DaemonInfo {
  readonly version: string;
  readonly commit: string;
  readonly pid: number;
  readonly startedAt: Date;
  /** Seconds since start, fractional, from the daemon's clock. */
  readonly uptimeSeconds: () => number;
}
