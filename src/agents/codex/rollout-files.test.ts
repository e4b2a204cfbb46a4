import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRolloutFiles } from './rollout-files.js';

const T1 = 'aaaaaaaa-0000-4000-8000-000000000001';
const T2 = 'aaaaaaaa-0000-4000-8000-000000000002';
const OLD = 'aaaaaaaa-0000-4000-8000-000000000003';

const meta = (id: string): string =>
  JSON.stringify({
    timestamp: '2026-12-03T07:31:35.000Z',
    type: 'session_meta',
    payload: { id, cwd: '/work/project', originator: 'codex_exec', cli_version: '0.171.0' },
  });
const started = (turn: string): string =>
  JSON.stringify({
    timestamp: '2026-12-03T07:31:36.000Z',
    type: 'event_msg',
    payload: { type: 'task_started', turn_id: turn },
  });

describe('rollout files (real files)', () => {
  let sessions: string;
  const day = (d: string): string => join(sessions, '2026', '12', d);
  before(async () => {
    sessions = await mkdtemp(join(tmpdir(), 'palingenesis-codex-rollouts-'));
    for (const d of ['01', '02', '03']) await mkdir(day(d), { recursive: true });
    await writeFile(join(day('03'), `rollout-2026-12-03T07-31-35-${T1}.jsonl`), `${meta(T1)}\n`);
    const old = join(day('01'), `rollout-2026-12-01T07-31-35-${OLD}.jsonl`);
    await writeFile(old, `${meta(OLD)}\n`);
    const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000);
    await utimes(old, twoDaysAgo, twoDaysAgo);
  });
  after(() => rm(sessions, { recursive: true, force: true }));

  it('follows recent rollouts, not history; new lines, half lines and junk', async () => {
    const files = createRolloutFiles({ sessionsDir: sessions, maxTracked: 10, now: Date.now });
    const first = await files.scan(true);
    assert.deepEqual(
      first.map((f) => f.state.threadId),
      [T1],
    );
    const entry = first[0];
    assert.ok(entry !== undefined);
    assert.deepEqual(await files.read(entry), { changed: true, malformed: 0 });
    assert.equal(entry.state.cwd, '/work/project');
    assert.equal(files.byThread(T1), entry);
    // A half-written line waits for its end; a line that is not JSON is counted.
    await appendFile(entry.path, `not json\n${started('turn-1').slice(0, 20)}`);
    assert.deepEqual(await files.read(entry), { changed: false, malformed: 1 });
    assert.equal(entry.state.phase, 'empty');
    await appendFile(entry.path, `${started('turn-1').slice(20)}\n`);
    await files.read(entry);
    assert.equal(entry.state.phase, 'busy');
    // A new rollout in the newest day is picked up by the next scan.
    await writeFile(join(day('03'), `rollout-2026-12-03T08-00-00-${T2}.jsonl`), `${meta(T2)}\n`);
    const next = await files.scan(false);
    assert.deepEqual(
      next.map((f) => f.state.threadId),
      [T2],
    );
    // History is found on demand (a session the daemon remembers).
    const old = await files.find(OLD);
    assert.ok(old !== undefined);
    await files.read(old);
    assert.equal(old.state.threadId, OLD);
  });

  it('keeps at most maxTracked, never dropping a running turn', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palingenesis-codex-cap-'));
    try {
      await mkdir(join(dir, '2026', '12', '03'), { recursive: true });
      const path = (id: string): string =>
        join(dir, '2026', '12', '03', `rollout-2026-12-03T07-31-35-${id}.jsonl`);
      await writeFile(path(T1), `${meta(T1)}\n${started('turn-1')}\n`);
      const files = createRolloutFiles({ sessionsDir: dir, maxTracked: 1, now: Date.now });
      const [busy] = await files.scan(true);
      assert.ok(busy !== undefined);
      await files.read(busy);
      assert.equal(busy.state.phase, 'busy');
      // T1 runs a turn: T2 finds no room, and T1 stays followed.
      await writeFile(path(T2), `${meta(T2)}\n`);
      assert.deepEqual(await files.scan(false), []);
      assert.equal(await files.find(T2), undefined);
      assert.deepEqual(
        files.entries().map((e) => e.state.threadId),
        [T1],
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
