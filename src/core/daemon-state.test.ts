import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DAEMON_STATES,
  INITIAL_FACTS,
  applyControl,
  daemonState,
  daemonStateCode,
  type DaemonFacts,
  type DaemonState,
} from './daemon-state.js';

describe('daemonState', () => {
  const table: [DaemonFacts, DaemonState][] = [
    [INITIAL_FACTS, 'monitoring'],
    [{ paused: true, pendingResumes: 0, activeResumes: 0 }, 'paused'],
    [{ paused: false, pendingResumes: 2, activeResumes: 0 }, 'waiting'],
    [{ paused: false, pendingResumes: 1, activeResumes: 1 }, 'resuming'],
    [{ paused: true, pendingResumes: 3, activeResumes: 1 }, 'paused'],
  ];
  for (const [facts, expected] of table) {
    it(`${JSON.stringify(facts)} -> ${expected}`, () => {
      assert.equal(daemonState(facts), expected);
    });
  }
});

describe('daemonStateCode', () => {
  it('maps each state to the code the story gives', () => {
    assert.deepEqual(
      DAEMON_STATES.map((s) => [s, daemonStateCode(s)]),
      [
        ['monitoring', 1],
        ['paused', 2],
        ['waiting', 3],
        ['resuming', 4],
      ],
    );
  });
});

describe('applyControl', () => {
  it('pauses a monitoring daemon', () => {
    const result = applyControl(INITIAL_FACTS, 'pause');
    assert.equal(result.ok, true);
    assert.equal(result.state, 'paused');
  });

  it('refuses to pause twice', () => {
    const paused = { ...INITIAL_FACTS, paused: true };
    assert.deepEqual(applyControl(paused, 'pause'), {
      ok: false,
      reason: 'already_paused',
      state: 'paused',
    });
  });

  it('refuses to resume a daemon that is not paused', () => {
    assert.deepEqual(applyControl(INITIAL_FACTS, 'resume'), {
      ok: false,
      reason: 'not_paused',
      state: 'monitoring',
    });
  });

  it('resuming returns to the state the other facts imply', () => {
    const facts = { paused: true, pendingResumes: 1, activeResumes: 0 };
    const result = applyControl(facts, 'resume');
    assert.equal(result.ok && result.state, 'waiting');
  });
});
