import assert from 'node:assert/strict';
import { appendFile, chmod, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createTranscriptTracker, type TranscriptTracker } from './transcript-tracker.js';

const line = (value: object) => `${JSON.stringify(value)}\n`;
const prompt = (sessionId: string, uuid: string, text = 'task') =>
  line({ type: 'user', uuid, sessionId, cwd: '/w', message: { role: 'user', content: text } });
const answer = (sessionId: string, uuid: string) =>
  line({
    type: 'assistant',
    uuid,
    sessionId,
    message: {
      role: 'assistant',
      content: [{ type: 'text', text: 'ok' }],
      stop_reason: 'end_turn',
    },
  });

describe('the transcripts followed, at most maxTrackedFiles', () => {
  let dir: string;
  let projects: string;
  const at = (id: string) => join(projects, '-w', `${id}.jsonl`);
  /** A transcript whose last turn is `done` or still `busy`, last written `agoS` seconds ago. */
  const write = async (id: string, turn: 'done' | 'busy', agoS: number) => {
    await writeFile(
      at(id),
      prompt(id, `${id}1`, `task ${id}`) + (turn === 'done' ? answer(id, `${id}2`) : ''),
    );
    const t = Date.now() / 1000 - agoS;
    await utimes(at(id), t, t);
  };
  const readAll = async (tracker: TranscriptTracker) => {
    for (const entry of tracker.entries()) await tracker.read(entry);
  };
  const followed = (tracker: TranscriptTracker) =>
    tracker
      .entries()
      .map((e) => e.state.sessionId)
      .sort();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palingenesis-tracker-'));
    projects = join(dir, 'projects');
    await mkdir(join(projects, '-w'), { recursive: true });
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('at the first scan, the newest files are followed and never more than the cap', async () => {
    for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) await write(id, 'done', 400 - i * 100);
    const tracker = createTranscriptTracker({
      projectsDir: projects,
      maxTrackedFiles: 2,
      now: Date.now,
    });
    const fresh = await tracker.scan(true);
    assert.equal(tracker.size, 2);
    assert.deepEqual(followed(tracker), ['c', 'd']);
    assert.deepEqual(fresh.map((e) => e.state.sessionId).sort(), ['c', 'd']);
  });

  it('a running turn is never dropped: with every entry busy, nothing more is followed', async () => {
    await write('a', 'busy', 300);
    await write('b', 'busy', 200);
    const tracker = createTranscriptTracker({
      projectsDir: projects,
      maxTrackedFiles: 2,
      now: Date.now,
    });
    await tracker.scan(true);
    await readAll(tracker);
    await write('c', 'done', 0);
    await tracker.scan(false);
    assert.deepEqual(followed(tracker), ['a', 'b']);
    assert.equal(tracker.track(at('c')), undefined);
    const probe = tracker.probe(at('c'));
    await tracker.read(probe);
    assert.equal(tracker.adopt(probe), undefined);
    assert.equal(tracker.size, 2);
  });

  it('the least recently active idle entry makes room, and is followed again once it changes', async () => {
    await write('a', 'done', 300);
    await write('b', 'done', 200);
    const tracker = createTranscriptTracker({
      projectsDir: projects,
      maxTrackedFiles: 2,
      now: Date.now,
    });
    await tracker.scan(true);
    await readAll(tracker);
    await write('c', 'done', 0);
    await tracker.scan(false);
    assert.deepEqual(followed(tracker), ['b', 'c'], 'a, the least recently active, was dropped');
    assert.equal(tracker.bySession('a'), undefined);
    await readAll(tracker);
    await tracker.scan(false);
    assert.deepEqual(followed(tracker), ['b', 'c'], 'an unchanged dropped file stays dropped');
    await appendFile(at('a'), prompt('a', 'a3', 'more'));
    const fresh = await tracker.scan(false);
    assert.deepEqual(followed(tracker), ['a', 'c'], 'b was now the least recently active');
    assert.deepEqual(
      fresh.map((e) => e.state.sessionId),
      ['a'],
    );
    const again = tracker.bySession('a');
    assert.ok(again !== undefined);
    await tracker.read(again);
    assert.equal(again.state.task, 'task a', 'read again from its start');
    assert.equal(again.state.phase, 'busy');
  });

  it('a probed file is not followed until adopted', async () => {
    await write('a', 'busy', 10);
    const tracker = createTranscriptTracker({
      projectsDir: projects,
      maxTrackedFiles: 5,
      now: Date.now,
    });
    const probe = tracker.probe(at('a'));
    await tracker.read(probe);
    assert.equal(probe.state.lineSessionId, 'a');
    assert.equal(tracker.size, 0);
    assert.equal(tracker.adopt(probe), probe);
    assert.equal(tracker.bySession('a'), probe);
  });

  it('a project directory that cannot be listed is reported once, until it lists again', async (t) => {
    if (process.getuid?.() === 0) {
      t.skip('root lists any directory: run as another user to see EACCES');
      return;
    }
    await write('a', 'busy', 10);
    await mkdir(join(projects, '-locked'));
    await chmod(join(projects, '-locked'), 0);
    const failures: string[] = [];
    const tracker = createTranscriptTracker({
      projectsDir: projects,
      maxTrackedFiles: 5,
      now: Date.now,
      onError: (kind) => failures.push(kind),
    });
    try {
      await tracker.scan(true);
      await tracker.scan(false);
      assert.deepEqual(failures, ['scan_dir'], 'once for the streak, not at every scan');
      assert.deepEqual(followed(tracker), ['a'], 'the other directories still count');
      await chmod(join(projects, '-locked'), 0o700);
      await tracker.scan(false);
      await chmod(join(projects, '-locked'), 0);
      await tracker.scan(false);
      assert.deepEqual(failures, ['scan_dir', 'scan_dir'], 'a new streak is news again');
    } finally {
      await chmod(join(projects, '-locked'), 0o700);
    }
  });
});
