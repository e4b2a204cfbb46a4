import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { renderMessage } from './message.js';
import type { Notification } from './notification.js';

const AT = Date.parse('2026-11-27T22:00:00Z'); // 23:00 in Paris
const ctx = { zone: 'Europe/Paris', host: 'devbox' };
const stop = (extra: Partial<Notification>): Notification => ({
  event: 'session.stopped',
  at: AT,
  key: 'k',
  agent: 'claude-code',
  sessionId: 's1',
  reason: 'rate_limit',
  detail: "You've hit your limit · resets 4am",
  action: 'resume_same',
  attempt: 1,
  ...extra,
});

describe('renderMessage', () => {
  it('a stop: reason in the title, the wake time in the configured zone with the countdown', () => {
    const m = renderMessage(stop({ wakeAt: Date.parse('2026-11-28T03:00:30Z') }), ctx);
    assert.equal(m.title, 'claude-code stopped: rate limit');
    assert.equal(
      m.text,
      "Session s1: You've hit your limit · resets 4am\n" +
        'Resumes at 2026-11-28 04:00 Europe/Paris (in 5h).\n' +
        'devbox · 23:00 Europe/Paris',
    );
    assert.equal(m.severity, 'warning');
  });

  it('the date is shown only when the wake time is on another day in that zone', () => {
    // 22:00Z is already the 28th in Tokyo, so 23:30Z is the same day there.
    const m = renderMessage(stop({ wakeAt: Date.parse('2026-11-27T23:30:00Z') }), {
      ...ctx,
      zone: 'Asia/Tokyo',
    });
    assert.match(
      m.text,
      /Resumes at 08:30 Asia\/Tokyo \(in 1h30m\)\.\ndevbox · 07:00 Asia\/Tokyo$/,
    );
    const sameDay = renderMessage(stop({ wakeAt: Date.parse('2026-11-27T22:45:00Z') }), ctx);
    assert.match(sameDay.text, /Resumes at 23:45 Europe\/Paris \(in 45m\)\./);
  });

  it('a context exhaustion starts a fresh session now; a stop nobody resumes says why', () => {
    const fresh = renderMessage(
      stop({ reason: 'context_exhausted', action: 'new_session', wakeAt: AT }),
      ctx,
    );
    assert.match(fresh.text, /A fresh session with a handoff starts now\./);
    const auth = renderMessage(
      stop({ reason: 'auth_error', action: 'none', why: 'authentication or billing failed: 401' }),
      ctx,
    );
    assert.equal(auth.title, 'claude-code stopped: authentication or billing failed');
    assert.match(auth.text, /Not resumed: authentication or billing failed: 401\./);
    assert.equal(auth.severity, 'error');
  });

  it('every other event has its own title and severity', () => {
    const base = { at: AT, key: 'k', agent: 'opencode', sessionId: 's2' } as const;
    const table: [Notification, string, string, RegExp][] = [
      [
        { ...base, event: 'session.resumed', attempt: 2, waitedMs: 3_720_000, newSessionId: 'n1' },
        'opencode resumed',
        'success',
        /Session s2 replaced by a fresh session n1 after 1h2m \(attempt 2\)\./,
      ],
      [
        { ...base, event: 'resume.failed', attempt: 3, errorType: 'not_verified', detail: 'idle' },
        'opencode: resume attempt 3 failed',
        'warning',
        /Session s2: not_verified: idle/,
      ],
      [
        { ...base, event: 'resume.gave_up', reason: 'rate_limit', why: '5 attempts failed' },
        'opencode: gave up resuming',
        'error',
        /rate limit\): 5 attempts failed\nIt needs you now\./,
      ],
      [
        { ...base, event: 'resume.needs_user', reason: 'crash', why: 'the pane is busy' },
        'opencode needs you',
        'error',
        /agent crashed\) and was not resumed: the pane is busy/,
      ],
      [
        { at: AT, key: 'k', event: 'daemon.started', version: '1.2.3', pid: 7 },
        'palingenesis started',
        'info',
        /Version 1\.2\.3, pid 7/,
      ],
      [
        { at: AT, key: 'k', event: 'daemon.stopped', uptimeSeconds: 7200 },
        'palingenesis stopped',
        'warning',
        /After 2h\./,
      ],
      [
        { at: AT, key: 'k', event: 'config.rejected', problems: ['a:1: http.port: x'] },
        'configuration rejected',
        'error',
        /last good one stays in force\.\n• a:1: http\.port: x\n/,
      ],
      [
        { at: AT, key: 'k', event: 'test', channel: 'phone' },
        'palingenesis test notification',
        'info',
        /Channel "phone" works\./,
      ],
    ];
    for (const [n, title, severity, text] of table) {
      const m = renderMessage(n, ctx);
      assert.equal(m.title, title, n.event);
      assert.equal(m.severity, severity, n.event);
      assert.match(m.text, text, n.event);
      assert.match(m.text, /\ndevbox · 23:00 Europe\/Paris$/, n.event);
    }
  });

  it('a long list of problems is cut after ten', () => {
    const problems = Array.from({ length: 14 }, (_, i) => `p${i}`);
    const m = renderMessage({ at: AT, key: 'k', event: 'config.rejected', problems }, ctx);
    assert.match(m.text, /• p9\n• … 4 more\n/);
    assert.doesNotMatch(m.text, /p10/);
  });
});
