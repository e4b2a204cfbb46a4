import type { HandoffContext } from '../adapter.js';
import type { StopEvidence, StopReasonKind } from '../../core/stop-reason.js';
import { exhaustedResetAt } from './rate-limits.js';
import type { ThreadState, TurnFailure } from './thread.js';

/** The agent kind of Codex sessions (`AgentKind` is any registered kind's name). */
export const CODEX_AGENT: StopEvidence['agent'] = 'codex';

/**
 * A Codex thread's account of its last turn, in the shape the pure core judges. Codex names its
 * own failure (`codex_error_info`) and records the plan windows' resets (`token_count`): both are
 * passed on as structured facts, so `classify` reads the message text ("try again at 9:01 AM")
 * only when they are missing. `agentDied` matters only for a running turn: `codex exec` exits
 * after every failed turn, so a dead process says nothing about a turn that ended.
 */
export function codexEvidence(
  state: ThreadState,
  options: { agentDied?: boolean } = {},
): StopEvidence {
  switch (state.phase) {
    case 'empty':
      return { agent: CODEX_AGENT };
    case 'busy':
      return options.agentDied === true
        ? { agent: CODEX_AGENT, lastAssistant: { completed: false }, agentRestarted: true }
        : { agent: CODEX_AGENT, lastAssistant: { completed: false } };
    case 'completed':
      return { agent: CODEX_AGENT, lastAssistant: { completed: true, finish: 'stop' } };
    case 'interrupted':
      return failed({
        name: 'Codex:turn_aborted',
        message: `the user interrupted the turn (${state.abortReason ?? 'interrupted'})`,
        kind: 'user_exit',
      });
    case 'failed':
      return failed(failureError(state, state.failure ?? { message: 'the turn failed' }));
  }
}

type ErrorEvidence = NonNullable<NonNullable<StopEvidence['lastAssistant']>['error']>;

function failed(error: ErrorEvidence): StopEvidence {
  return { agent: CODEX_AGENT, lastAssistant: { completed: true, finish: 'error', error } };
}

function failureError(state: ThreadState, failure: TurnFailure): ErrorEvidence {
  const kind = codexErrorKind(failure);
  return {
    name: `Codex:${failure.code ?? 'error'}`,
    message: failure.message,
    statusCode: failure.httpStatus,
    kind,
    resetAt: kind === 'rate_limit' ? resetAt(state, failure) : undefined,
  };
}

/** Billing, not a window that resets: `usage_limit_exceeded` is also what these carry. */
const BILLING = /quota exceeded|billing details|upgrade to plus/i;

/**
 * Codex's `codex_error_info` → the stop it means; undefined when it names none, and the core
 * reads the text.
 */
export function codexErrorKind(failure: TurnFailure): StopReasonKind | undefined {
  switch (failure.code) {
    case 'usage_limit_exceeded':
      return BILLING.test(failure.message) ? 'auth_error' : 'rate_limit';
    case 'rate_limit_exceeded':
    case 'model_cap':
      return 'rate_limit';
    case 'context_window_exceeded':
      return 'context_exhausted';
    case 'internal_server_error':
    case 'server_overloaded':
      return 'overloaded';
    case 'unauthorized':
      return 'auth_error';
  }
  // `response_too_many_failed_attempts`, `http_connection_failed`, … carry the last status.
  const status = failure.httpStatus;
  if (status === 429) return 'rate_limit';
  if (status !== undefined && status >= 500 && status <= 599) return 'overloaded';
  return undefined;
}

/**
 * The structured reset: `model_cap`'s own delay, else the exhausted plan window recorded in this
 * turn. Undefined otherwise, so the core reads the message text, then backs off.
 */
function resetAt(state: ThreadState, failure: TurnFailure): number | undefined {
  if (failure.resetAfterSeconds !== undefined && state.phaseAt !== undefined) {
    return state.phaseAt + failure.resetAfterSeconds * 1000;
  }
  const limits = state.rateLimits;
  if (limits === undefined || limits.turnId !== state.turnId) return undefined;
  return exhaustedResetAt(limits);
}

/** What a fresh thread is told when this one's context is exhausted. */
export function codexHandoff(state: ThreadState): HandoffContext {
  return {
    task: state.task,
    todos: state.todos.map((t) => ({ content: t.content, status: t.status })),
    lastAssistantText: state.lastAssistantText,
  };
}
