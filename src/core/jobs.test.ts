import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  EMPTY_STATE,
  addJob,
  jobKey,
  nextDue,
  pruneSessions,
  recordSave,
  removeJob,
  type ResumeJob,
} from './jobs.js';

function job(sessionId: string, dueAt: number, createdAt = 0): ResumeJob {
  return {
    agent: 'opencode',
    sessionId,
    reason: 'rate_limit',
    action: 'resume_same',
    dueAt,
    attempt: 1,
    createdAt,
    stoppedAt: createdAt,
    why: 'test',
  };
}

describe('jobs', () => {
  it('a second signal for a session with a pending job adds nothing', () => {
    const first = addJob(EMPTY_STATE, job('s1', 100));
    const second = addJob(first.state, job('s1', 50));
    assert.deepEqual([first.added, second.added], [true, false]);
    assert.equal(second.state.jobs.length, 1);
    assert.equal(second.state.jobs[0]?.dueAt, 100, 'the first job stands');
  });

  it('jobs of different sessions or agents coexist', () => {
    let state = addJob(EMPTY_STATE, job('s1', 100)).state;
    state = addJob(state, job('s2', 100)).state;
    state = addJob(state, { ...job('s1', 100), agent: 'claude-code' }).state;
    assert.equal(state.jobs.length, 3);
  });

  it('nextDue is the earliest, ties by creation; removeJob removes by key', () => {
    let state = addJob(EMPTY_STATE, job('late', 300, 1)).state;
    state = addJob(state, job('tie-b', 200, 5)).state;
    state = addJob(state, job('tie-a', 200, 2)).state;
    assert.equal(nextDue(state.jobs)?.sessionId, 'tie-a');
    state = removeJob(state, jobKey({ agent: 'opencode', sessionId: 'tie-a' }));
    assert.equal(nextDue(state.jobs)?.sessionId, 'tie-b');
    assert.equal(nextDue(EMPTY_STATE.jobs), undefined);
  });

  it('recordSave counts saves and seconds, never negative', () => {
    const state = recordSave(recordSave(EMPTY_STATE, 400.5), -3);
    assert.deepEqual(state.totals, { saves: 2, timeSavedSeconds: 400.5 });
  });
});

describe('pruneSessions', () => {
  const DAY = 86_400_000;
  const record = (sessionId: string, stoppedAt: number | undefined, paused?: boolean) => ({
    agent: 'opencode' as const,
    sessionId,
    attempts: 0,
    ...(paused === undefined ? {} : { paused }),
    ...(stoppedAt === undefined
      ? {}
      : { lastStop: { reason: 'completed' as const, detail: '', at: stoppedAt } }),
  });
  it('drops old records with nothing pending; keeps recent, pending and paused ones', () => {
    const now = 100 * DAY;
    const state = {
      ...EMPTY_STATE,
      sessions: [
        record('old', now - 40 * DAY),
        record('never-stopped', undefined),
        record('recent', now - DAY),
        record('old-paused', now - 40 * DAY, true),
        record('old-pending', now - 40 * DAY),
      ],
      jobs: [
        {
          agent: 'opencode' as const,
          sessionId: 'old-pending',
          reason: 'rate_limit' as const,
          action: 'resume_same' as const,
          dueAt: now,
          attempt: 1,
          createdAt: now - 40 * DAY,
          stoppedAt: now - 40 * DAY,
          why: 'x',
        },
      ],
    };
    const { state: pruned, removed } = pruneSessions(state, now - 30 * DAY);
    assert.equal(removed, 2);
    assert.deepEqual(
      pruned.sessions.map((s) => s.sessionId),
      ['recent', 'old-paused', 'old-pending'],
    );
    assert.equal(pruneSessions(pruned, now - 30 * DAY).state, pruned, 'unchanged: same object');
  });
});
