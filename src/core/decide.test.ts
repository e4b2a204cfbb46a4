import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffMs, decide, type Decision, type ResumePolicy } from './decide.js';
import { MAX_WAIT_MS } from './max-wait.js';
import type { StopReason, StopReasonKind } from './stop-reason.js';

const NOW = Date.parse('2026-11-27T22:00:00Z');
const POLICY: ResumePolicy = {
  marginMs: 30_000,
  backoffBaseMs: 60_000,
  backoffMaxMs: 1_800_000,
  maxRetries: 3,
};

function stop(reason: StopReasonKind, resetAt?: number): StopReason {
  return { reason, resetAt, detail: reason, evidence: { agent: 'opencode' } };
}

function summary(decision: Decision): [string, number | undefined, number | undefined] {
  return 'dueAt' in decision
    ? [decision.action, decision.dueAt - NOW, decision.attempt]
    : [decision.action, undefined, undefined];
}

describe('decide', () => {
  const table: [string, StopReason, number, boolean, ReturnType<typeof summary>][] = [
    [
      'rate limit with a reset: reset + margin',
      stop('rate_limit', NOW + 3_600_000),
      0,
      false,
      ['resume_same', 3_630_000, 1],
    ],
    [
      'rate limit whose reset is past: now + margin',
      stop('rate_limit', NOW - 5000),
      0,
      false,
      ['resume_same', 30_000, 1],
    ],
    [
      'rate limit, reset unknown: backoff + margin',
      stop('rate_limit'),
      0,
      false,
      ['resume_same', 60_000 + 30_000, 1],
    ],
    [
      'rate limit, third attempt backs off further',
      stop('rate_limit'),
      2,
      false,
      ['resume_same', 240_000 + 30_000, 3],
    ],
    [
      'rate limit after max_retries: give up',
      stop('rate_limit', NOW + 1000),
      3,
      false,
      ['give_up', undefined, undefined],
    ],
    ['overloaded: backoff', stop('overloaded'), 0, false, ['resume_same', 90_000, 1]],
    [
      'context exhausted: a new session now',
      stop('context_exhausted'),
      0,
      false,
      ['new_session', 0, 1],
    ],
    ['crash, agent back: resume now', stop('crash'), 0, false, ['resume_same', 0, 1]],
    [
      'crash, managed agent down: restart it first',
      stop('crash'),
      0,
      true,
      ['restart_agent_then_resume', 0, 1],
    ],
    ['user exit: never', stop('user_exit'), 0, false, ['none', undefined, undefined]],
    ['completed: never', stop('completed'), 0, false, ['none', undefined, undefined]],
    ['unknown: never', stop('unknown'), 0, false, ['none', undefined, undefined]],
  ];
  for (const [name, s, attempts, agentDownManaged, expected] of table) {
    it(name, () => {
      // jitter 0.5 is the midpoint: exactly base·2^(n−1).
      assert.deepEqual(
        summary(decide(s, { attempts, agentDownManaged }, POLICY, NOW, 0.5)),
        expected,
      );
    });
  }

  it('an agent that compacts on resume gets its own session back once, then a new one', () => {
    const ctx = stop('context_exhausted');
    const first = decide(ctx, { attempts: 0, compactsOnResume: true }, POLICY, NOW, 0.5);
    assert.deepEqual(summary(first), ['resume_same', 0, 1]);
    const again = decide(
      ctx,
      { attempts: 0, compactsOnResume: true, previousStop: 'context_exhausted' },
      POLICY,
      NOW,
      0.5,
    );
    assert.deepEqual(summary(again), ['new_session', 0, 1]);
    assert.match(again.why, /again after the agent compacted/);
    // After a completed turn in between, the compaction worked: the same session again.
    const later = decide(
      ctx,
      { attempts: 0, compactsOnResume: true, previousStop: 'completed' },
      POLICY,
      NOW,
      0.5,
    );
    assert.deepEqual(summary(later), ['resume_same', 0, 1]);
    // Agents that compact by themselves before they stop: a new session at once.
    const plain = decide(ctx, { attempts: 0, previousStop: 'rate_limit' }, POLICY, NOW, 0.5);
    assert.deepEqual(summary(plain), ['new_session', 0, 1]);
  });

  it('a reset time is honoured even on a late attempt (never earlier than the provider said)', () => {
    const decision = decide(stop('rate_limit', NOW + 10_000), { attempts: 2 }, POLICY, NOW, 0);
    assert.equal(decision.action, 'resume_same');
    assert.ok('dueAt' in decision && decision.dueAt === NOW + 40_000);
  });
});

describe('backoffMs', () => {
  it('doubles per attempt, jitters ±25 %, caps at the maximum', () => {
    assert.deepEqual(
      [1, 2, 3].map((n) => backoffMs(n, POLICY, 0.5)),
      [60_000, 120_000, 240_000],
    );
    assert.equal(backoffMs(1, POLICY, 0), 45_000);
    assert.equal(backoffMs(1, POLICY, 0.999999), 75_000);
    assert.equal(backoffMs(20, POLICY, 0.5), 1_800_000);
  });
});

describe('decide: any input gives a finite, bounded dueAt or none', () => {
  const bounded = (decision: Decision, now = NOW) => {
    if (!('dueAt' in decision)) return;
    assert.ok(Number.isFinite(decision.dueAt), String(decision.dueAt));
    assert.ok(decision.dueAt <= now + 2 * MAX_WAIT_MS, String(decision.dueAt - now));
    assert.ok(Number.isSafeInteger(decision.attempt) && decision.attempt >= 1);
    assert.doesNotThrow(() => new Date(decision.dueAt).toISOString());
  };

  it('a reset past the calendar is clamped, not thrown on', () => {
    for (const resetAt of [1e20, Infinity, NOW + 9_999_999_999_999 * 60_000]) {
      const decision = decide(stop('rate_limit', resetAt), { attempts: 0 }, POLICY, NOW, 0.5);
      assert.deepEqual(summary(decision), ['resume_same', MAX_WAIT_MS + 30_000, 1]);
    }
    const before = decide(stop('rate_limit', -Infinity), { attempts: 0 }, POLICY, NOW, 0.5);
    assert.deepEqual(summary(before), ['resume_same', 30_000, 1]);
    const nan = decide(stop('rate_limit', NaN), { attempts: 0 }, POLICY, NOW, 0.5);
    assert.deepEqual(summary(nan), ['resume_same', 90_000, 1], 'NaN reads as no reset: backoff');
  });

  it('attempt counts and policy extremes', () => {
    const huge: ResumePolicy = {
      marginMs: Infinity,
      backoffBaseMs: Infinity,
      backoffMaxMs: Infinity,
      maxRetries: Infinity,
    };
    const nan: ResumePolicy = {
      marginMs: NaN,
      backoffBaseMs: NaN,
      backoffMaxMs: NaN,
      maxRetries: 3,
    };
    for (const policy of [POLICY, huge, nan]) {
      for (const attempts of [0, 2, 1e6, 1e300, Infinity, NaN, -1]) {
        for (const s of [stop('rate_limit'), stop('overloaded', 1e20), stop('crash')]) {
          bounded(decide(s, { attempts }, policy, NOW, 0.5));
        }
      }
    }
    assert.equal(decide(stop('rate_limit'), { attempts: NaN }, POLICY, NOW, 0.5).action, 'give_up');
    assert.equal(
      decide(stop('rate_limit'), { attempts: 1e300 }, huge, NOW, 0.5).action,
      'give_up',
      'an attempt number that is no safe integer is not scheduled',
    );
  });

  it('a `now` that is no instant schedules nothing', () => {
    for (const now of [NaN, Infinity, 1e300]) {
      const decision = decide(stop('rate_limit', NOW + 1000), { attempts: 0 }, POLICY, now, 0.5);
      assert.equal(decision.action, 'none');
    }
  });
});
