import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { EMPTY_STATE, addJob, upsertSession, type PersistedState } from '../core/jobs.js';
import { createStateRenderer, loadState, removeStaleTemps, saveState } from './state-file.js';

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

describe('removeStaleTemps', () => {
  it('removes exactly the temps a dead writer of the file leaves, and nothing else', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palingenesis-temps-'));
    try {
      const state = join(dir, 'state.json');
      const runtime = join(dir, 'daemon.json');
      const stale = [
        'state.json.0b7c2d7e-58a4-4a8e-9d44-1f0f6c2b9a31.tmp',
        'state.json.f47ac10b-58cc-4372-a567-0e02b2c3d479.tmp',
        'daemon.json.4242.tmp',
      ];
      const kept = [
        'state.json',
        'daemon.json',
        'state.json.corrupt-2026-11-27T22-00-00-000Z',
        'state.json.4242.tmp', // not how the state file is written
        'state.json.not-a-uuid.tmp',
        'state.json.F47AC10B-58CC-4372-A567-0E02B2C3D479.tmp', // randomUUID is lower case
        'state.json.f47ac10b-58cc-4372-a567-0e02b2c3d479.tmp.bak',
        'xstate.json.f47ac10b-58cc-4372-a567-0e02b2c3d479.tmp',
        'audit.jsonl.f47ac10b-58cc-4372-a567-0e02b2c3d479.tmp',
        'daemon.json.0.tmp',
        'daemon.json.12a.tmp',
        'api-token.4242.tmp', // a CLI may be writing it right now
      ];
      for (const name of [...stale, ...kept]) await writeFile(join(dir, name), 'x');
      // A directory of a matching name is not a temp file.
      await mkdir(join(dir, 'state.json.11111111-2222-4333-8444-555555555555.tmp'));

      const fromState = await removeStaleTemps(state);
      const fromRuntime = await removeStaleTemps(runtime, 'pid');

      assert.deepEqual(
        [...fromState.removed].sort(),
        [join(dir, stale[1] ?? ''), join(dir, stale[0] ?? '')].sort(),
      );
      assert.deepEqual(fromRuntime.removed, [join(dir, 'daemon.json.4242.tmp')]);
      assert.deepEqual([...fromState.failed, ...fromRuntime.failed], []);
      assert.deepEqual(
        (await readdir(dir)).sort(),
        [...kept, 'state.json.11111111-2222-4333-8444-555555555555.tmp'].sort(),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
