import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { createHookInbox, hookInboxDir, type HookInbox, type InboxEntry } from './inbox.js';

const T0 = Date.parse('2026-11-27T10:00:00Z');
const AGENT = 'claude-code';

describe('the hook inbox', () => {
  let stateDir = '';
  let dir = '';
  let nowMs = T0;
  const open = (maxBytes = 1024 * 1024, maxFiles?: number): HookInbox =>
    createHookInbox({ dir, maxBytes, maxFiles, now: () => nowMs });
  const written = async (inbox: HookInbox, payload: string): Promise<InboxEntry> => {
    const outcome = await inbox.write(AGENT, payload);
    assert.equal(outcome.kind, 'written', JSON.stringify(outcome));
    return outcome.entry;
  };
  const names = async (): Promise<string[]> => (await readdir(join(dir, AGENT))).sort();

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'palingenesis-inbox-'));
    dir = hookInboxDir(stateDir);
    nowMs = T0;
  });
  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('a write is on disk when it resolves: private dirs and file, the bytes as given', async () => {
    const inbox = open();
    const entry = await written(inbox, '{"hook_event_name":"Stop"}');
    assert.equal(dir, join(stateDir, 'hooks-inbox'));
    assert.match(entry.name, /^\d{13}-\d{8}-[0-9a-f]{8}\.json$/);
    assert.deepEqual(await names(), [entry.name], 'no temp file left behind');
    const path = join(dir, AGENT, entry.name);
    assert.equal(await readFile(path, 'utf8'), '{"hook_event_name":"Stop"}');
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(join(dir, AGENT))).mode & 0o777, 0o700);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(inbox.usage(), { files: 1, bytes: 26 });
  });

  it('what a dead daemon left is listed oldest first (write order, even within one ms)', async () => {
    const before = open();
    const concurrent = await Promise.all(
      ['{"n":1}', '{"n":2}', '{"n":3}'].map((p) => written(before, p)),
    );
    nowMs += 1;
    const later = await written(before, '{"n":4}');
    // A write that never finished (the daemon died in it) was never acknowledged.
    await writeFile(join(dir, AGENT, '.1700000000000-00000009-abcdef01.tmp'), '{"n"');
    const after = open();
    const left = await after.left(AGENT);
    assert.deepEqual(
      left.map((e) => e.name),
      [...concurrent, later].map((e) => e.name),
    );
    const payloads = [];
    for (const entry of left) payloads.push(await after.read(entry));
    assert.deepEqual(
      payloads,
      [1, 2, 3, 4].map((n) => ({ kind: 'payload', payload: { n } })),
    );
    assert.deepEqual(after.usage(), { files: 4, bytes: 28 }, 'counted towards the bound');
    assert.ok(!(await names()).some((n) => n.endsWith('.tmp')), 'the temp file is gone');
    assert.deepEqual(await after.left(AGENT), [], 'listed once');
  });

  it('remove deletes the file, frees its room and wakes a waiter; twice is harmless', async () => {
    const inbox = open();
    const entry = await written(inbox, '{}');
    const freed = inbox.freed(new AbortController().signal);
    await inbox.remove(entry);
    await freed;
    await inbox.remove(entry);
    assert.deepEqual(await names(), []);
    assert.deepEqual(inbox.usage(), { files: 0, bytes: 0 });
  });

  it('a malformed file is moved aside as .corrupt, never deleted, and no longer counted', async () => {
    await mkdir(join(dir, AGENT), { recursive: true });
    const name = '1764237600000-00000001-0badc0de.json';
    await writeFile(join(dir, AGENT, name), '{"hook_event_name": "Sto');
    const inbox = open();
    const [entry] = await inbox.left(AGENT);
    assert.ok(entry !== undefined);
    assert.equal(entry.name, name);
    const read = await inbox.read(entry);
    assert.equal(read.kind, 'corrupt');
    assert.equal(read.movedTo, join(dir, AGENT, name.replace('.json', '.corrupt')));
    assert.deepEqual(await names(), [name.replace('.json', '.corrupt')]);
    assert.equal(
      await readFile(join(dir, AGENT, name.replace('.json', '.corrupt')), 'utf8'),
      '{"hook_event_name": "Sto',
    );
    assert.deepEqual(inbox.usage(), { files: 0, bytes: 0 });
    assert.deepEqual(await open().left(AGENT), [], 'a .corrupt file is not replayed');
  });

  it('JSON that is no hook payload (not an object) is corrupt too', async () => {
    await mkdir(join(dir, AGENT), { recursive: true });
    await writeFile(join(dir, AGENT, '1764237600000-00000001-00000000.json'), 'null');
    const inbox = open();
    const [entry] = await inbox.left(AGENT);
    const read = await inbox.read(entry ?? assert.fail());
    assert.deepEqual(read.kind === 'corrupt' ? read.problem : read, 'not a JSON object');
  });

  it('bounded in files and bytes: full until an entry goes; larger than the bound: too_large', async () => {
    const byFiles = open(1024, 2);
    const first = await written(byFiles, '{"a":1}');
    await written(byFiles, '{"a":2}');
    assert.deepEqual(await byFiles.write(AGENT, '{"a":3}'), { kind: 'full', files: 2, bytes: 14 });
    await byFiles.remove(first);
    await written(byFiles, '{"a":3}');

    const byBytes = open(100);
    const big = await written(byBytes, JSON.stringify({ pad: 'x'.repeat(80) }));
    assert.deepEqual(await byBytes.write(AGENT, JSON.stringify({ pad: 'y'.repeat(10) })), {
      kind: 'full',
      files: 1,
      bytes: big.bytes,
    });
    assert.deepEqual(await byBytes.write(AGENT, JSON.stringify({ pad: 'z'.repeat(200) })), {
      kind: 'too_large',
      maxBytes: 100,
    });
    // What was refused left nothing on disk.
    assert.equal((await readdir(join(dir, AGENT))).length, 3);
  });

  it('a write that fails rejects, keeps nothing and frees its room', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, AGENT), 'a file where the directory should be');
    const inbox = open(1024, 1);
    await assert.rejects(inbox.write(AGENT, '{}'));
    assert.deepEqual(inbox.usage(), { files: 0, bytes: 0 });
    await rm(join(dir, AGENT));
    await written(inbox, '{}');
  });

  it('an agent name cannot walk out of the inbox', async () => {
    await assert.rejects(open().write('../x', '{}'), /not an agent name/);
  });
});
