import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { flockHolders, threadHolds } from './thread-locks.js';

const HELD = 'aaaaaaaa-0000-4000-8000-000000000001';
const FREE = 'aaaaaaaa-0000-4000-8000-000000000002';
const NO_FILE = 'aaaaaaaa-0000-4000-8000-000000000003';

describe('thread locks', () => {
  let home: string;
  let heldInode: number;
  before(async () => {
    home = await mkdtemp(join(tmpdir(), 'palingenesis-codex-locks-'));
    await mkdir(join(home, 'thread-writer-locks'));
    for (const id of [HELD, FREE])
      await writeFile(join(home, 'thread-writer-locks', `${id}.lock`), '');
    heldInode = (await stat(join(home, 'thread-writer-locks', `${HELD}.lock`))).ino;
  });
  after(() => rm(home, { recursive: true, force: true }));

  it('reads only held exclusive flocks from /proc/locks', () => {
    const text = [
      '1: FLOCK  ADVISORY  WRITE 15305 fe:00:2147119 0 EOF',
      '2: POSIX  ADVISORY  READ 15305 fe:00:2148388 128 128',
      '3: FLOCK  ADVISORY  WRITE 999 00:2a:77 0 EOF',
      '3: -> FLOCK  ADVISORY  WRITE 1000 00:2a:88 0 EOF',
      'garbage',
    ].join('\n');
    assert.deepEqual(
      [...flockHolders(text)],
      [
        [2147119, 15305],
        [77, 999],
      ],
    );
  });

  it('held, free, or unknown: a missing lock file or no /proc/locks is never called free', async () => {
    const locks = (): Promise<string> =>
      Promise.resolve(`1: FLOCK  ADVISORY  WRITE 4242 fe:00:${heldInode} 0 EOF\n`);
    const holds = await threadHolds(home, [HELD, FREE, NO_FILE], locks);
    assert.deepEqual(holds.get(HELD), { kind: 'held', pid: 4242 });
    assert.deepEqual(holds.get(FREE), { kind: 'free' });
    assert.deepEqual(holds.get(NO_FILE), { kind: 'unknown' });
    const blind = await threadHolds(home, [HELD, FREE], () => Promise.reject(new Error('ENOENT')));
    assert.deepEqual([...blind.values()], [{ kind: 'unknown' }, { kind: 'unknown' }]);
  });
});
