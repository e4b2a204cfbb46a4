import type { ControlCommand, ControlResult, DaemonState } from '../core/daemon-state.js';

/** What the HTTP layer needs from the daemon; the daemon module provides it. */
export interface DaemonControl {
  readonly state: () => DaemonState;
  readonly apply: (command: ControlCommand) => ControlResult;
}

export interface DaemonInfo {
  readonly version: string;
  readonly commit: string;
  readonly pid: number;
  readonly startedAt: Date;
  /** Seconds since start, fractional, from the daemon's clock. */
  readonly uptimeSeconds: () => number;
}
