import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { followLines, readLastLines, readLinesFrom } from './log-file.js';

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'palingenesis-log-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('readLastLines', () => {
  it('the last N complete lines; a half-written last line is left for later', () =>
    withDir(async (dir) => {
      const path = join(dir, 'log');
      await writeFile(path, 'one\ntwo\nthree\nfour\nhalf');
      const read = await readLastLines(path, 2);
      assert.deepEqual(read.lines, ['three', 'four']);
      assert.equal(read.end.offset, 'one\ntwo\nthree\nfour\n'.length);
      assert.deepEqual((await readLastLines(path, 10)).lines, ['one', 'two', 'three', 'four']);
      assert.deepEqual((await readLastLines(path, 0)).lines, []);
    }));

  it('reads across chunk boundaries of a large file', () =>
    withDir(async (dir) => {
      const path = join(dir, 'log');
      const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(50)}`);
      await writeFile(path, `${lines.join('\n')}\n`);
      assert.deepEqual((await readLastLines(path, 1500)).lines, lines.slice(-1500));
    }));

  it('a missing file is no lines, not an error', async () => {
    const read = await readLastLines(join(tmpdir(), 'palingenesis-no-such-log'), 5);
    assert.deepEqual(read, { lines: [], end: { offset: 0, ino: undefined } });
  });
});

describe('readLinesFrom', () => {
  it('every complete line from the first one kept on', () =>
    withDir(async (dir) => {
      const path = join(dir, 'log');
      await writeFile(path, '1\n2\nnoise\n3\n4\nhalf');
      const read = await readLinesFrom(path, (line) => Number(line) >= 2);
      assert.deepEqual(read.lines, ['2', 'noise', '3', '4']);
      assert.equal(read.end.offset, '1\n2\nnoise\n3\n4\n'.length);
    }));
});

describe('followLines', () => {
  it('appended lines, then a truncated file and a replaced one from their start', () =>
    withDir(async (dir) => {
      const path = join(dir, 'log');
      await writeFile(path, 'old\n');
      const start = await readLastLines(path, 0);
      const seen: string[] = [];
      const controller = new AbortController();
      const following = followLines(path, start.end, controller.signal, (lines, restarted) => {
        seen.push(...(restarted ? ['<restart>'] : []), ...lines);
      });
      const until = async (expected: string[]): Promise<void> => {
        for (let i = 0; i < 200 && seen.length < expected.length; i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.deepEqual(seen, expected);
      };
      try {
        await appendFile(path, 'a\nb');
        await until(['a']);
        await appendFile(path, '\n');
        await until(['a', 'b']);
        await writeFile(path, 'c\n');
        await until(['a', 'b', '<restart>', 'c']);
        await rename(path, `${path}.1`);
        await writeFile(path, 'dd\n');
        await until(['a', 'b', '<restart>', 'c', '<restart>', 'dd']);
      } finally {
        controller.abort();
        await following;
      }
    }));
});
