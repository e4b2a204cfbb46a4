import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeEvent, parseEventData } from './event-lines.js';
import { createPaint } from './format.js';
import { describeLogLine } from './log-lines.js';

const NOW = Date.parse('2026-11-27T22:08:00Z'); // 23:08 in Warsaw
const o = { nowMs: NOW, zone: 'Europe/Warsaw', paint: createPaint(false) };

function line(event: object, id?: number): string {
  const shown = parseEventData(JSON.stringify(event));
  assert.ok(shown !== undefined);
  return describeEvent(shown, id, o);
}

describe('event lines', () => {
  it('resume.scheduled: agent/session, reason, and when it resumes in local time', () => {
    const text = line(
      {
        type: 'resume.scheduled',
        at: NOW,
        agent: 'claude-code',
        sessionId: 'abc',
        action: 'resume_same',
        reason: 'rate_limit',
        dueAt: Date.parse('2026-11-28T03:20:00Z'),
        attempt: 1,
        why: 'plan limit resets at 04:20',
      },
      7,
    );
    assert.equal(
      text,
      '23:08:00  resume.scheduled      claude-code/abc  rate_limit, resume_same attempt 1: ' +
        'resumes in 5h12m (04:20 Europe/Warsaw) — plan limit resets at 04:20  #7',
    );
  });

  it('session.resumed and resume.failed show the key facts', () => {
    const base = { at: NOW, agent: 'opencode', sessionId: 's1', attempt: 2 };
    assert.match(
      line({
        ...base,
        type: 'session.resumed',
        action: 'new_session',
        waitedMs: 3_600_000,
        durationMs: 900,
        savedSeconds: 120,
        newSessionId: 's2',
      }),
      /opencode\/s1 {2}new_session attempt 2, waited 1h, saved 2m — new session s2$/,
    );
    assert.match(
      line({
        ...base,
        type: 'resume.failed',
        errorType: 'not_verified',
        message: 'still\nidle',
      }),
      /attempt 2: not_verified: still idle$/,
    );
  });

  it('an event type this CLI does not know is shown with its fields, not dropped', () => {
    assert.match(
      line({ type: 'future.thing', at: NOW, count: 3, note: 'hi' }),
      /^23:08:00 {2}future\.thing {10}count=3 note=hi$/,
    );
    assert.equal(parseEventData('not json'), undefined);
    assert.equal(parseEventData('{"type":1}'), undefined);
  });
});

describe('log lines', () => {
  it('pino JSON: time, level, msg, then the other fields; anything else as it is', () => {
    const pino = JSON.stringify({
      level: 50,
      time: '2026-11-27T22:07:59.123Z',
      pid: 1,
      msg: 'request failed',
      url: '/x y',
      err: { type: 'Error', message: 'boom', stack: 'Error: boom\n at …' },
    });
    assert.equal(
      describeLogLine(pino, o),
      '23:07:59.123 ERROR request failed url="/x y" err="Error: boom"',
    );
    assert.equal(describeLogLine('{"half', o), '{"half');
  });
});
