import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { drainSpool, spoolDir, writeSpoolEntry } from './spool.js';

describe('hook spool', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'palingenesis-spool-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('lives under <state dir>/spool/<agent>', () => {
    assert.equal(spoolDir('/state', 'claude-code'), '/state/spool/claude-code');
  });

  it('writes each payload whole, mode 0600, named <epoch ms>-<pid>-<sequence>-<random>.json', async () => {
    const dir = join(root, 'write', 'spool', 'claude-code');
    const payload = '{"hook_event_name":"Stop","text":"ünï"}\n';
    const before = Date.now();
    const path = await writeSpoolEntry(dir, payload);
    const name = path.slice(dir.length + 1);
    const match = /^(\d{13})-(\d+)-\d{6}-[0-9a-f]{8}\.json$/.exec(name);
    assert.ok(match, name);
    assert.ok(Number(match[1]) >= before && Number(match[1]) <= Date.now());
    assert.equal(Number(match[2]), process.pid);
    assert.equal(await readFile(path, 'utf8'), payload);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.deepEqual(await readdir(dir), [name], 'a temp file was left behind');
    const second = await writeSpoolEntry(dir, Buffer.from([0x7b, 0x7d]));
    assert.notEqual(second, path);
    assert.equal(await readFile(second, 'utf8'), '{}');
  });

  it('replays in name order, deletes what was handled, keeps what is not JSON', async () => {
    const dir = join(root, 'drain');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, '1700000000002-1-b.json'), '{"n":2}');
    await writeFile(join(dir, '1700000000001-1-a.json'), '{"n":1}');
    await writeFile(join(dir, '1700000000003-1-c.json'), 'not json{');
    await writeFile(join(dir, '.1700000000004-1-d.tmp'), '{"n":4}'); // being written
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    const seen: [unknown, string][] = [];
    const result = await drainSpool(dir, async (value, file) => {
      seen.push([value, file]);
      await Promise.resolve();
    });
    assert.deepEqual(result, { replayed: 2, malformed: 1 });
    assert.deepEqual(seen, [
      [{ n: 1 }, join(dir, '1700000000001-1-a.json')],
      [{ n: 2 }, join(dir, '1700000000002-1-b.json')],
    ]);
    assert.deepEqual((await readdir(dir)).sort(), [
      '.1700000000004-1-d.tmp',
      'malformed',
      'notes.txt',
    ]);
    const kept = join(dir, 'malformed', '1700000000003-1-c.json');
    assert.equal(await readFile(kept, 'utf8'), 'not json{');
    assert.deepEqual(await drainSpool(dir, () => Promise.resolve()), { replayed: 0, malformed: 0 });
  });

  it('stops at a handler failure, leaving that entry and the rest for the next drain', async () => {
    const dir = join(root, 'fail');
    await writeSpoolEntry(dir, '{"n":1}');
    await writeSpoolEntry(dir, '{"n":2}');
    await writeSpoolEntry(dir, '{"n":3}');
    const handled: unknown[] = [];
    await assert.rejects(
      drainSpool(dir, async (value) => {
        await Promise.resolve();
        if ((value as { n: number }).n === 2) throw new Error('daemon busy');
        handled.push(value);
      }),
      /daemon busy/,
    );
    assert.deepEqual(handled, [{ n: 1 }]);
    assert.equal((await readdir(dir)).length, 2);
    const again: unknown[] = [];
    const result = await drainSpool(dir, async (value) => {
      again.push(value);
      await Promise.resolve();
    });
    assert.deepEqual(result, { replayed: 2, malformed: 0 });
    assert.deepEqual(again, [{ n: 2 }, { n: 3 }]);
  });

  it('an entry spooled during a drain is replayed by the same drain', async () => {
    const dir = join(root, 'race');
    await writeSpoolEntry(dir, '{"n":1}');
    const seen: unknown[] = [];
    const result = await drainSpool(dir, async (value) => {
      seen.push(value);
      if (seen.length === 1) await writeSpoolEntry(dir, '{"n":2}');
    });
    assert.deepEqual(result, { replayed: 2, malformed: 0 });
    assert.deepEqual(seen, [{ n: 1 }, { n: 2 }]);
  });

  it('a missing spool dir is an empty spool', async () => {
    assert.deepEqual(await drainSpool(join(root, 'none'), () => Promise.resolve()), {
      replayed: 0,
      malformed: 0,
    });
  });
});
