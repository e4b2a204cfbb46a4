import type { TranscriptPhase, TranscriptState } from './transcript.js';

/**
 * Why a Claude Code hook was not acted on: a bounded set, so a metric can declare its labels.
 * - `malformed`: the payload is not a hook (no event name, no usable session id).
 * - `queue_full`: more hooks were waiting than the intake keeps (a flood); dropped unread.
 * - `unknown_session`: no transcript of that session exists (yet), or none of its lines names one.
 * - `foreign_transcript`: the transcript named is not that session's own: outside
 *   `projects/<dir>/`, a link out of it, or its lines name another session.
 * - `tracking_full`: the transcript is real, but as many files as allowed are followed already and
 *   none can make room (each has a turn running).
 * - `turn_not_open`: a StopFailure for a session whose transcript shows no unanswered turn (it
 *   completed, was interrupted, or never began): a claim the transcript contradicts.
 */
export const HOOK_REJECTIONS = [
  'malformed',
  'queue_full',
  'unknown_session',
  'foreign_transcript',
  'tracking_full',
  'turn_not_open',
] as const;

export type HookRejection = (typeof HOOK_REJECTIONS)[number];

/**
 * Whether a transcript speaks for the session a hook names: Claude Code names the file after its
 * session and puts the `sessionId` on its lines; both must agree with the hook.
 */
export function sessionMismatch(
  state: TranscriptState,
  sessionId: string,
): 'unknown_session' | 'foreign_transcript' | undefined {
  if (state.sessionId !== sessionId) return 'foreign_transcript';
  if (state.lineSessionId === undefined) return 'unknown_session';
  return state.lineSessionId === sessionId ? undefined : 'foreign_transcript';
}

/**
 * What a (corroborated) StopFailure may do, given the phase its transcript shows now.
 * - `settle`: a turn is unanswered: wait briefly for its error line, else the hook's words decide.
 * - `told`: the transcript already holds the turn's error line, and was reported from it.
 * - `turn_not_open`: nothing is waiting for an answer: the hook is no stop.
 */
export function stopFailureVerdict(phase: TranscriptPhase): 'settle' | 'told' | 'turn_not_open' {
  switch (phase) {
    case 'busy':
      return 'settle';
    case 'stopped':
      return 'told';
    case 'completed':
    case 'interrupted':
    case 'empty':
      return 'turn_not_open';
  }
}
