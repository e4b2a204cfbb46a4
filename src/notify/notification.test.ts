import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { notificationsSection, type Channel } from '../config/notifications-schema.js';
import type { DaemonEvent, EventOf } from '../core/events.js';
import { accepts, deliveryId, toNotification, type Notification } from './notification.js';

const AT = Date.parse('2026-11-27T22:00:00Z');
const ref = { agent: 'claude-code', sessionId: 's1' } as const;
const stop: EventOf<'session.stopped'> = {
  type: 'session.stopped',
  at: AT,
  ...ref,
  reason: 'rate_limit',
  detail: "You've hit your limit · resets 4am",
};
const decision: EventOf<'decision.made'> = {
  type: 'decision.made',
  at: AT + 5,
  ...ref,
  reason: 'rate_limit',
  action: 'resume_same',
  why: 'rate_limit: resets at 2026-11-28T03:00:00.000Z',
  dueAt: Date.parse('2026-11-28T03:00:30Z'),
  attempt: 1,
};

const noStop = (): undefined => undefined;

describe('toNotification', () => {
  it('a stop is reported with its decision: reason, detail, action and wake time', () => {
    const n = toNotification(decision, () => stop);
    assert.deepEqual(n, {
      event: 'session.stopped',
      at: AT,
      key: `session.stopped|claude-code|s1|1|${AT}`,
      ...ref,
      reason: 'rate_limit',
      detail: stop.detail,
      action: 'resume_same',
      wakeAt: decision.dueAt,
      attempt: 1,
      why: decision.why,
    });
  });

  it('a decision without a stop before it (a retry) and a give-up are not a stop notification', () => {
    assert.equal(toNotification(decision, noStop), undefined);
    const giveUp = {
      ...decision,
      action: 'give_up' as const,
      dueAt: undefined,
      attempt: undefined,
    };
    assert.equal(
      toNotification(giveUp, () => stop),
      undefined,
    );
  });

  const cases: [DaemonEvent, Partial<Notification> | undefined][] = [
    [stop, undefined],
    [
      {
        type: 'resume.started',
        at: AT,
        ...ref,
        action: 'resume_same',
        reason: 'crash',
        attempt: 1,
      },
      undefined,
    ],
    [{ type: 'daemon.state_changed', at: AT, from: 'monitoring', to: 'paused' }, undefined],
    [
      {
        type: 'session.resumed',
        at: AT,
        ...ref,
        action: 'resume_same',
        attempt: 2,
        waitedMs: 60_000,
        durationMs: 5,
        savedSeconds: 360,
      },
      { event: 'session.resumed', attempt: 2, waitedMs: 60_000 },
    ],
    [
      {
        type: 'resume.failed',
        at: AT,
        ...ref,
        attempt: 1,
        errorType: 'not_verified',
        message: 'not busy within 60s',
      },
      { event: 'resume.failed', errorType: 'not_verified', detail: 'not busy within 60s' },
    ],
    [
      { type: 'resume.gave_up', at: AT, ...ref, reason: 'rate_limit', why: '5 attempts failed' },
      { event: 'resume.gave_up', reason: 'rate_limit', why: '5 attempts failed' },
    ],
    [
      { type: 'resume.needs_user', at: AT, ...ref, reason: 'crash', why: 'pane busy' },
      { event: 'resume.needs_user', why: 'pane busy' },
    ],
    [
      { type: 'agent.gave_up', at: AT, agent: 'opencode', reason: '6 restarts in 10 min' },
      { event: 'agent.gave_up', agent: 'opencode', why: '6 restarts in 10 min' },
    ],
    [
      { type: 'daemon.started', at: AT, version: '1.2.3', pid: 42 },
      { event: 'daemon.started', version: '1.2.3', pid: 42, key: `daemon.started||||${AT}` },
    ],
    [
      { type: 'daemon.stopped', at: AT, uptimeSeconds: 12 },
      { event: 'daemon.stopped', uptimeSeconds: 12 },
    ],
    [
      { type: 'config.rejected', at: AT, trigger: 'file', problems: ['x:1: http.port: bad'] },
      { event: 'config.rejected', problems: ['x:1: http.port: bad'] },
    ],
  ];
  for (const [event, expected] of cases) {
    it(`${event.type} → ${expected?.event ?? 'nothing'}`, () => {
      const n = toNotification(event, noStop);
      if (expected === undefined) {
        assert.equal(n, undefined);
        return;
      }
      assert.ok(n !== undefined);
      for (const [key, value] of Object.entries(expected)) {
        assert.deepEqual(n[key as keyof Notification], value, key);
      }
    });
  }

  it('the same event gives the same key and delivery id; another attempt or instant does not', () => {
    const failed: DaemonEvent = {
      type: 'resume.failed',
      at: AT,
      ...ref,
      attempt: 1,
      errorType: 'internal',
      message: 'x',
    };
    const a = toNotification(failed, noStop);
    const b = toNotification({ ...failed }, noStop);
    const c = toNotification({ ...failed, attempt: 2 }, noStop);
    assert.ok(a !== undefined && b !== undefined && c !== undefined);
    assert.equal(a.key, b.key);
    assert.equal(deliveryId(a.key), deliveryId(b.key));
    assert.match(deliveryId(a.key), /^[0-9a-f]{32}$/);
    assert.notEqual(a.key, c.key);
  });
});

describe('accepts: per-channel filters', () => {
  const channel = (extra: Record<string, unknown>): Channel => {
    const section = notificationsSection.parse({
      channels: [{ name: 'c', type: 'slack', url: 'https://hooks.example/x', ...extra }],
    });
    const [parsed] = section.channels;
    assert.ok(parsed !== undefined);
    return parsed;
  };
  const stopped = (reason: EventOf<'session.stopped'>['reason']): Notification => ({
    event: 'session.stopped',
    at: AT,
    key: 'k',
    reason,
  });

  it('by default every event, and every stop but user exits and completed turns', () => {
    const all = channel({});
    assert.ok(accepts(all, { event: 'daemon.started', at: AT, key: 'k' }));
    for (const reason of ['rate_limit', 'context_exhausted', 'crash', 'auth_error'] as const) {
      assert.ok(accepts(all, stopped(reason)), reason);
    }
    assert.ok(!accepts(all, stopped('user_exit')));
    assert.ok(!accepts(all, stopped('completed')));
  });

  it('`events` and `stop_reasons` narrow it; the test message always passes', () => {
    const some = channel({ events: ['session.stopped'], stop_reasons: ['user_exit'] });
    assert.ok(accepts(some, stopped('user_exit')));
    assert.ok(!accepts(some, stopped('rate_limit')));
    assert.ok(!accepts(some, { event: 'daemon.started', at: AT, key: 'k' }));
    assert.ok(accepts(some, { event: 'test', at: AT, key: 'k', channel: 'c' }));
  });
});
