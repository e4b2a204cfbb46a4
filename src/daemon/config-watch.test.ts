import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createWaiters } from '../../test/helpers/waiters.js';
import { watchConfigFile } from './config-watch.js';

const WAIT_MS = 10_000;

/** A watcher on `path` whose changes a test can wait for: the nth call of onChange. */
function watched(path: string): {
  nth(count: number, what: string): Promise<number>;
  close(): void;
} {
  const calls: number[] = [];
  const waiters = createWaiters<number>();
  // The watcher is unref'd (the daemon keeps itself alive): this holds the test's loop open.
  const keepAlive = setInterval(() => undefined, 1000);
  const watcher = watchConfigFile(
    path,
    () => {
      calls.push(calls.length + 1);
      waiters.notify(calls);
    },
    {
      debounceMs: 20,
      onError: (error) => {
        waiters.rejectAll(error instanceof Error ? error : new Error(String(error)));
      },
    },
  );
  return {
    nth: (count, what) =>
      waiters.wait(calls, (all) => (all.length >= count ? all.length : undefined), WAIT_MS, what),
    close: () => {
      clearInterval(keepAlive);
      watcher.close();
    },
  };
}

describe('watchConfigFile (real files)', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'palingenesis-watch-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('a config directory missing at start: the file is seen once the directories appear', async () => {
    const dir = join(root, 'missing', '.config', 'palingenesis');
    const path = join(dir, 'config.toml');
    const watch = watched(path);
    try {
      await mkdir(join(root, 'missing'));
      await mkdir(dir, { recursive: true });
      await writeFile(path, '[resume]\nmargin_seconds = 5\n');
      assert.equal(await watch.nth(1, 'the new file'), 1);
      await writeFile(path, '[resume]\nmargin_seconds = 6\n');
      assert.equal(await watch.nth(2, 'the edit'), 2);
    } finally {
      watch.close();
    }
  });

  it('the directory removed and re-created: a gone file is a change, and so is the new one', async () => {
    const dir = join(root, 'recreated');
    const path = join(dir, 'config.toml');
    await mkdir(dir);
    await writeFile(path, '[resume]\nmargin_seconds = 5\n');
    const watch = watched(path);
    try {
      await rm(dir, { recursive: true });
      assert.equal(await watch.nth(1, 'the file gone'), 1);
      await mkdir(dir);
      await writeFile(path, '[resume]\nmargin_seconds = 7\n');
      assert.equal(await watch.nth(2, 'the file back'), 2);
      await writeFile(path, '[resume]\nmargin_seconds = 8\n');
      assert.equal(await watch.nth(3, 'an edit in the new directory'), 3);
    } finally {
      watch.close();
    }
  });
});
