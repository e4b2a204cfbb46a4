import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { PalError } from '../errors.js';
import { acquirePidFile } from './pid-file.js';

describe('pid file', () => {
  let dir: string;
  let path: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palingenesis-pid-'));
    path = join(dir, 'palingenesis.pid');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes our pid and removes it on release (idempotent)', async () => {
    const lock = await acquirePidFile(path, 1234);
    assert.equal(await readFile(path, 'utf8'), '1234\n');
    await lock.release();
    await lock.release();
    assert.equal(existsSync(path), false);
  });

  it('refuses when a live process holds it', async () => {
    // The test runner's parent is alive for the duration of the test.
    await writeFile(path, `${process.ppid}\n`);
    await assert.rejects(acquirePidFile(path, 1234), (error: unknown) => {
      assert.ok(error instanceof PalError);
      assert.equal(error.code, 'already_running');
      assert.match(error.message, new RegExp(`pid ${process.ppid}`));
      return true;
    });
    assert.equal(await readFile(path, 'utf8'), `${process.ppid}\n`, 'live holder was disturbed');
  });

  it('takes over a stale file of a dead process, and a garbage file', async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    for (const content of [`${dead}\n`, 'not a pid\n', '']) {
      await writeFile(path, content);
      const lock = await acquirePidFile(path, 1234);
      assert.equal(await readFile(path, 'utf8'), '1234\n');
      await lock.release();
    }
  });

  it('release leaves a file that another process has since taken', async () => {
    const lock = await acquirePidFile(path, 1234);
    await writeFile(path, '5678\n');
    await lock.release();
    assert.equal(await readFile(path, 'utf8'), '5678\n');
  });

  it('only one of many simultaneous acquirers wins', async () => {
    const results = await Promise.allSettled(
      [process.ppid, process.pid].map((pid) => acquirePidFile(path, pid)),
    );
    assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
  });
});
