import type { StopReason, StopReasonKind } from './stop-reason.js';
import { jitteredBackoffMs } from './backoff.js';
import { MAX_WAIT_MS, boundReset, isCalendarInstant } from './max-wait.js';

/** The knobs of `[resume]`, in milliseconds. */
export interface ResumePolicy {
  /** Added to every computed wake time, for clock skew between us and the provider. */
  readonly marginMs: number;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Automatic attempts for one stop before giving up. */
  readonly maxRetries: number;
}

export interface SessionHistory {
  /** Automatic resumes already tried for this stop without a verified success. */
  readonly attempts: number;
  /** The agent process is down and the daemon manages it (so it can restart it). */
  readonly agentDownManaged?: boolean | undefined;
  /**
   * The agent compacts its context by itself when the session is resumed (Codex): a context stop
   * is resumed in the same session first, and only a second one in a row gets a new session.
   */
  readonly compactsOnResume?: boolean | undefined;
  /** The reason of this session's stop before this one, if it had one. */
  readonly previousStop?: StopReasonKind | undefined;
  /** This stop is a failed attempt's: the action that failed. */
  readonly retryOf?: 'resume_same' | 'new_session' | 'restart_agent_then_resume' | undefined;
}

export type Decision =
  | {
      readonly action: 'resume_same' | 'new_session' | 'restart_agent_then_resume';
      /** Epoch ms when the action is due. */
      readonly dueAt: number;
      /** 1-based number of this attempt. */
      readonly attempt: number;
      readonly why: string;
    }
  | { readonly action: 'none' | 'give_up'; readonly why: string };

/**
 * What to do about a stop. Pure: `now` and `jitter` (uniform in [0, 1)) are given, so the same
 * inputs always give the same decision and tests need no fake timers. Total: whatever the numbers
 * (a reset past the calendar, a NaN attempt count, an infinite margin), a `dueAt` is a calendar
 * instant at most `MAX_WAIT_MS` plus the margin away, or there is no `dueAt`.
 */
export function decide(
  stop: StopReason,
  history: SessionHistory,
  policy: ResumePolicy,
  now: number,
  jitter: number,
): Decision {
  const decision = decideStop(stop, history, policy, now, jitter);
  // A failed new session (forced by a person, or after an exhausted context) is retried as a new
  // session, with backoff: the stop's own reason would otherwise say "resume the old one".
  if (history.retryOf === 'new_session' && 'dueAt' in decision) {
    return {
      ...decision,
      action: 'new_session',
      dueAt: now + backoffMs(decision.attempt, policy, jitter),
      why: `new session failed; backoff attempt ${String(decision.attempt)}`,
    };
  }
  return decision;
}

function decideStop(
  stop: StopReason,
  history: SessionHistory,
  policy: ResumePolicy,
  now: number,
  jitter: number,
): Decision {
  if (!isCalendarInstant(now)) {
    return { action: 'none', why: `${stop.reason}: the clock reading ${now} is no instant` };
  }
  const attempts = attemptsSoFar(history.attempts);
  const attempt = attempts + 1;
  const maxRetries = Number.isNaN(policy.maxRetries) ? 0 : policy.maxRetries;
  const marginMs = Number.isNaN(policy.marginMs)
    ? 0
    : Math.min(MAX_WAIT_MS, Math.max(0, policy.marginMs));
  const act = (
    action: 'resume_same' | 'new_session' | 'restart_agent_then_resume',
    dueAt: number,
    why: string,
  ): Decision =>
    !Number.isSafeInteger(attempt) || attempt > maxRetries
      ? {
          action: 'give_up',
          why: `${stop.reason}: ${attempts} attempts failed; giving up (max_retries ${maxRetries})`,
        }
      : { action, dueAt, attempt, why };
  const backoffAt = now + backoffMs(attempt, policy, jitter) + marginMs;
  const reset = stop.resetAt === undefined ? undefined : boundReset(stop.resetAt, now);

  switch (stop.reason) {
    case 'rate_limit':
    case 'overloaded': {
      if (reset !== undefined) {
        // Never earlier than the provider said, whatever the attempt number.
        const dueAt = Math.max(reset.resetAt, now) + marginMs;
        return act(
          'resume_same',
          dueAt,
          `${stop.reason}: resets at ${iso(reset.resetAt)} (${stop.resetSource ?? 'evidence'})`,
        );
      }
      return act(
        'resume_same',
        backoffAt,
        `${stop.reason}: no reset time known; backoff attempt ${attempt}`,
      );
    }
    case 'context_exhausted':
      if (history.compactsOnResume === true && history.previousStop !== 'context_exhausted') {
        return act('resume_same', now, 'context exhausted: the agent compacts when resumed');
      }
      return act(
        'new_session',
        now,
        history.compactsOnResume === true
          ? 'context exhausted again after the agent compacted on resume'
          : 'context exhausted after the agent’s own compaction failed',
      );
    case 'crash':
      return history.agentDownManaged === true
        ? act('restart_agent_then_resume', now, 'the managed agent died mid-turn')
        : act('resume_same', now, 'the agent died mid-turn and is back');
    case 'user_exit':
      return { action: 'none', why: 'the user stopped this session on purpose' };
    case 'completed':
      return { action: 'none', why: 'the turn completed' };
    case 'auth_error':
      return { action: 'none', why: `authentication or billing failed: ${stop.detail}` };
    case 'unknown':
      return { action: 'none', why: `not a resumable stop: ${stop.detail}` };
  }
}

/** Exponential backoff, base·2^(attempt−1), ±25 % jitter, capped at the maximum. */
export function backoffMs(attempt: number, policy: ResumePolicy, jitter: number): number {
  return jitteredBackoffMs(attempt, policy.backoffBaseMs, policy.backoffMaxMs, jitter);
}

function iso(epochMs: number): string {
  return isCalendarInstant(epochMs) ? new Date(epochMs).toISOString() : String(epochMs);
}

/** Attempts already made: a count, so negative is none; NaN or +Infinity means too many. */
function attemptsSoFar(attempts: number): number {
  if (Number.isNaN(attempts)) return Infinity;
  return Math.max(0, Math.floor(attempts));
}
