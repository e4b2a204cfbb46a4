import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { EMPTY_STATE, addJob, upsertSession, type PersistedState } from '../core/jobs.js';
import { createStateRenderer, loadState, saveState } from './state-file.js';

const NOW = new Date('2026-11-27T22:00:00.123Z');

describe('state file', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palingenesis-state-'));
    path = join(dir, 'state.json');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('absent file: empty state', async () => {
    assert.deepEqual(await loadState(path, NOW), { kind: 'absent', state: EMPTY_STATE });
  });

  it('round-trips through an atomic write, mode 0600, no temp files left', async () => {
    const state: PersistedState = addJob(
      { ...EMPTY_STATE, totals: { saves: 3, timeSavedSeconds: 1200 } },
      {
        agent: 'opencode',
        sessionId: 'ses_1',
        directory: '/work/p',
        reason: 'rate_limit',
        action: 'resume_same',
        dueAt: 1_795_900_000_000,
        attempt: 2,
        createdAt: 1_795_800_000_000,
        stoppedAt: 1_795_800_000_000,
        why: 'rate_limit: resets at …',
      },
    ).state;
    await saveState(path, state);
    assert.deepEqual(await loadState(path, NOW), { kind: 'loaded', state });
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(dir), ['state.json']);
  });

  for (const [name, content] of [
    ['truncated JSON', '{"version":1,"jobs":['],
    [
      'wrong shape',
      '{"version":1,"jobs":[{"agent":"nope"}],"totals":{"saves":0,"timeSavedSeconds":0}}',
    ],
    ['unknown version', '{"version":2,"jobs":[],"totals":{"saves":0,"timeSavedSeconds":0}}'],
  ] as const) {
    it(`corrupt (${name}): moved aside intact and reported, never deleted`, async () => {
      await writeFile(path, content);
      const result = await loadState(path, NOW);
      assert.equal(result.kind, 'corrupt');
      assert.deepEqual(result.state, EMPTY_STATE);
      assert.equal(result.movedTo, `${path}.corrupt-2026-11-27T22-00-00-123Z`);
      assert.equal(await readFile(result.movedTo, 'utf8'), content, 'evidence preserved');
      assert.equal(existsSync(path), false);
      assert.ok(result.problem.length > 0);
    });
  }
});

describe('createStateRenderer', () => {
  it('renders exactly what JSON.stringify does, reusing unchanged records across changes', () => {
    const render = createStateRenderer();
    const record = (sessionId: string, attempts: number) => ({
      agent: 'opencode' as const,
      sessionId,
      attempts,
      lastStop: { reason: 'rate_limit' as const, detail: 'd', at: 1, resetAt: undefined },
    });
    let state: PersistedState = {
      ...EMPTY_STATE,
      sessions: [record('a', 0), record('b', 1)],
      totals: { saves: 2, timeSavedSeconds: 3.5 },
    };
    assert.equal(render(state), JSON.stringify(state));
    state = upsertSession(state, record('a', 5));
    assert.equal(render(state), JSON.stringify(state), 'a changed record is rendered anew');
    assert.equal(render(EMPTY_STATE), JSON.stringify(EMPTY_STATE));
  });
});
