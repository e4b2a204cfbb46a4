import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify } from '../../core/classify.js';
import type { StopReasonKind } from '../../core/stop-reason.js';
import { codexErrorKind, codexEvidence, codexHandoff } from './evidence.js';
import type { RateLimits } from './rate-limits.js';
import { newThreadState, type ThreadState, type TurnFailure } from './thread.js';

const NOW = Date.parse('2026-12-03T07:31:37Z');
const RESET_1 = Date.parse('2026-12-03T09:01:35Z');
const RESET_2 = Date.parse('2026-12-08T00:00:00Z');

function failed(failure: TurnFailure, rateLimits?: RateLimits): ThreadState {
  return {
    ...newThreadState('t1'),
    phase: 'failed',
    turnId: 'u1',
    phaseAt: NOW,
    failure,
    rateLimits,
  };
}

describe('codex_error_info → the stop it means', () => {
  const usage = 'You’ve hit your usage limit. Upgrade to Pro … or try again at 9:01 AM.';
  const table: readonly [TurnFailure, StopReasonKind | undefined][] = [
    [{ message: usage, code: 'usage_limit_exceeded' }, 'rate_limit'],
    [
      {
        message: 'Quota exceeded. Check your plan and billing details.',
        code: 'usage_limit_exceeded',
      },
      'auth_error',
    ],
    [
      {
        message: 'To use Codex with your ChatGPT plan, upgrade to Plus: …',
        code: 'usage_limit_exceeded',
      },
      'auth_error',
    ],
    [
      { message: 'rate limit exceeded: … try again in 2.5s.', code: 'rate_limit_exceeded' },
      'rate_limit',
    ],
    [{ message: 'm', code: 'response_too_many_failed_attempts', httpStatus: 429 }, 'rate_limit'],
    [{ message: 'm', code: 'response_too_many_failed_attempts', httpStatus: 503 }, 'overloaded'],
    [{ message: 'm', code: 'response_too_many_failed_attempts', httpStatus: 400 }, undefined],
    [{ message: 'm', code: 'response_too_many_failed_attempts' }, undefined],
    [{ message: 'm', code: 'response_stream_disconnected', httpStatus: 502 }, 'overloaded'],
    [{ message: 'Codex ran out of room…', code: 'context_window_exceeded' }, 'context_exhausted'],
    [
      { message: 'We’re currently experiencing high demand', code: 'internal_server_error' },
      'overloaded',
    ],
    [{ message: 'm', code: 'server_overloaded' }, 'overloaded'],
    [{ message: 'm', code: 'unauthorized' }, 'auth_error'],
    [{ message: 'm', code: 'model_cap', resetAfterSeconds: 60 }, 'rate_limit'],
    [{ message: 'sandbox denied', code: 'sandbox_error' }, undefined],
    [{ message: 'no code at all' }, undefined],
  ];
  for (const [failure, kind] of table) {
    it(`${failure.code ?? 'none'} ${failure.httpStatus ?? ''} "${failure.message.slice(0, 24)}" → ${kind ?? 'the text decides'}`, () => {
      assert.equal(codexErrorKind(failure), kind);
    });
  }
});

describe('the reset Codex recorded', () => {
  const failure: TurnFailure = {
    message: 'You’ve hit your usage limit.',
    code: 'usage_limit_exceeded',
  };
  const resetOf = (state: ThreadState) => codexEvidence(state).lastAssistant?.error?.resetAt;

  it('the exhausted window of this turn; the later one when both are', () => {
    const primary = { usedPercent: 100, resetAt: RESET_1 };
    const secondary = { usedPercent: 100, resetAt: RESET_2 };
    assert.equal(resetOf(failed(failure, { primary, turnId: 'u1' })), RESET_1);
    assert.equal(resetOf(failed(failure, { primary, secondary, turnId: 'u1' })), RESET_2);
    const notFull = { usedPercent: 63, resetAt: RESET_2 };
    assert.equal(resetOf(failed(failure, { primary, secondary: notFull, turnId: 'u1' })), RESET_1);
  });

  it('none from a window that is not exhausted, or from an earlier turn: the text decides', () => {
    assert.equal(
      resetOf(failed(failure, { primary: { usedPercent: 99, resetAt: RESET_1 }, turnId: 'u1' })),
      undefined,
    );
    assert.equal(
      resetOf(failed(failure, { primary: { usedPercent: 100, resetAt: RESET_1 }, turnId: 'u0' })),
      undefined,
    );
  });

  it('model_cap: its own delay from when the turn failed', () => {
    const cap = { message: 'm', code: 'model_cap', resetAfterSeconds: 90 };
    assert.equal(resetOf(failed(cap)), NOW + 90_000);
  });

  it('never for a stop that is not a rate limit', () => {
    const quota = {
      message: 'Quota exceeded. Check your plan and billing details.',
      code: 'usage_limit_exceeded',
    };
    const limits = { primary: { usedPercent: 100, resetAt: RESET_1 }, turnId: 'u1' };
    const verdict = classify(codexEvidence(failed(quota, limits)), NOW, 'UTC');
    assert.equal(verdict.reason, 'auth_error');
    assert.equal(verdict.resetAt, undefined);
  });
});

describe('each phase, classified', () => {
  const state = (extra: Partial<ThreadState>): ThreadState => ({
    ...newThreadState('t1'),
    ...extra,
  });
  const reason = (s: ThreadState, agentDied?: boolean) =>
    classify(codexEvidence(s, { agentDied }), NOW, 'UTC').reason;

  it('empty: nothing to resume', () => {
    assert.equal(reason(state({})), 'unknown');
    assert.equal(reason(state({}), true), 'unknown');
  });
  it('busy: still running while alive; a crash once its process died', () => {
    assert.equal(reason(state({ phase: 'busy' })), 'unknown');
    assert.equal(reason(state({ phase: 'busy' }), true), 'crash');
  });
  it('completed, whether or not the process is still there', () => {
    assert.equal(reason(state({ phase: 'completed' })), 'completed');
    assert.equal(reason(state({ phase: 'completed' }), true), 'completed');
  });
  it('interrupted: the user’s choice, never resumed', () => {
    const s = state({ phase: 'interrupted', abortReason: 'interrupted' });
    assert.equal(reason(s), 'user_exit');
    assert.equal(codexEvidence(s).lastAssistant?.error?.kind, 'user_exit');
  });
  it('failed: the error name and message go to the core', () => {
    const s = failed({
      message: 'exceeded retry limit, last status: 429 Too Many Requests',
      code: 'response_too_many_failed_attempts',
      httpStatus: 429,
    });
    const error = codexEvidence(s).lastAssistant?.error;
    assert.equal(error?.name, 'Codex:response_too_many_failed_attempts');
    assert.equal(error.statusCode, 429);
    assert.equal(classify(codexEvidence(s), NOW, 'UTC').reason, 'rate_limit');
  });
});

describe('codexHandoff', () => {
  it('the task, Codex’s plan and its last words', () => {
    const s: ThreadState = {
      ...newThreadState('t1'),
      task: 'Build the parser.',
      lastAssistantText: 'Parsed.',
      todos: [{ content: 'parse', status: 'completed' }],
    };
    assert.deepEqual(codexHandoff(s), {
      task: 'Build the parser.',
      todos: [{ content: 'parse', status: 'completed' }],
      lastAssistantText: 'Parsed.',
    });
    assert.deepEqual(codexHandoff(newThreadState()), {
      task: undefined,
      todos: [],
      lastAssistantText: undefined,
    });
  });
});
