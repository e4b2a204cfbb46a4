/**
 * The daemon state machine, pure. The state is derived from facts rather than stored, so it can
 * never disagree with them: paused wins, then a running resume, then a pending one.
 */
export const DAEMON_STATES = ['monitoring', 'paused', 'waiting', 'resuming'] as const;
export type DaemonState = (typeof DAEMON_STATES)[number];

/** The numeric codes exported as `palingenesis_daemon_state` (story 7.1, AC5). */
export const DAEMON_STATE_CODES: Readonly<Record<DaemonState, number>> = {
  monitoring: 1,
  paused: 2,
  waiting: 3,
  resuming: 4,
};

export interface DaemonFacts {
  readonly paused: boolean;
  /** Resume jobs scheduled and waiting for their due time. */
  readonly pendingResumes: number;
  /** Resume jobs being carried out right now. */
  readonly activeResumes: number;
}

export const INITIAL_FACTS: DaemonFacts = { paused: false, pendingResumes: 0, activeResumes: 0 };

export function daemonState(facts: DaemonFacts): DaemonState {
  if (facts.paused) return 'paused';
  if (facts.activeResumes > 0) return 'resuming';
  if (facts.pendingResumes > 0) return 'waiting';
  return 'monitoring';
}

export function daemonStateCode(state: DaemonState): number {
  return DAEMON_STATE_CODES[state];
}

export type ControlCommand = 'pause' | 'resume';

export type ControlResult =
  | { readonly ok: true; readonly facts: DaemonFacts; readonly state: DaemonState }
  | {
      readonly ok: false;
      readonly reason: 'already_paused' | 'not_paused';
      readonly state: DaemonState;
    };

/** Applies a user's pause/resume. Pausing twice or resuming an unpaused daemon is a conflict. */
export function applyControl(facts: DaemonFacts, command: ControlCommand): ControlResult {
  const wantPaused = command === 'pause';
  if (facts.paused === wantPaused) {
    return {
      ok: false,
      reason: wantPaused ? 'already_paused' : 'not_paused',
      state: daemonState(facts),
    };
  }
  const next = { ...facts, paused: wantPaused };
  return { ok: true, facts: next, state: daemonState(next) };
}
