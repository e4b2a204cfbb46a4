import assert from 'node:assert/strict';
import { existsSync, writeSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openLogFileStream } from './log-file-stream.js';

async function withDir(run: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'palingenesis-log-stream-'));
  try {
    await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const enospc = (): Error =>
  Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });

describe('openLogFileStream', () => {
  it(
    'a real ENOSPC (/dev/full) never throws, and is reported once, when a reporter is there',
    { skip: !existsSync('/dev/full') && 'no /dev/full here (Linux only)' },
    () =>
      withDir(async (dir) => {
        const file = join(dir, 'daemon.log');
        await symlink('/dev/full', file);
        const stream = openLogFileStream(file);
        try {
          const reports: [string, string][] = [];
          stream.write('{"msg":"before anyone counts"}\n');
          stream.write('{"msg":"still starting"}\n');
          stream.reportTo((kind, error) => reports.push([kind, error.message]));
          stream.write('{"msg":"running"}\n');
          assert.deepEqual(reports, [
            ['enospc', `cannot write the log file ${file}: ENOSPC: no space left on device, write`],
          ]);
        } finally {
          stream.close();
        }
      }),
  );

  it('reports once per failure streak, and says how many lines the file missed', () =>
    withDir(async (dir) => {
      const file = join(dir, 'daemon.log');
      const failing = [false, true, true, false, true, false];
      const stream = openLogFileStream(file, {
        writeSync: (fd, buffer, offset, length) => {
          if (failing.shift() === true) throw enospc();
          return writeSync(fd, buffer, offset, length);
        },
        onRecovered: (linesLost) => reports.push(`recovered after ${linesLost}`),
      });
      const reports: string[] = [];
      stream.reportTo((kind) => reports.push(kind));
      try {
        for (const n of [1, 2, 3, 4, 5, 6]) stream.write(`line ${n}\n`);
        assert.deepEqual(reports, ['enospc', 'recovered after 2', 'enospc', 'recovered after 1']);
        assert.equal(await readFile(file, 'utf8'), 'line 1\nline 4\nline 6\n');
      } finally {
        stream.close();
      }
    }));

  it('a short write is carried on until the line is all there', () =>
    withDir(async (dir) => {
      const file = join(dir, 'daemon.log');
      const stream = openLogFileStream(file, {
        writeSync: (fd, buffer, offset, length) =>
          writeSync(fd, buffer, offset, Math.min(3, length)),
      });
      try {
        stream.write('{"msg":"a line longer than three bytes"}\n');
        assert.equal(await readFile(file, 'utf8'), '{"msg":"a line longer than three bytes"}\n');
      } finally {
        stream.close();
      }
    }));

  it('a line cut short by a failure leaves no half line for the next one to join', () =>
    withDir(async (dir) => {
      const file = join(dir, 'daemon.log');
      let calls = 0;
      const stream = openLogFileStream(file, {
        // The second line: 5 bytes fit, then the disk is full.
        writeSync: (fd, buffer, offset, length) => {
          calls++;
          if (calls === 2) return writeSync(fd, buffer, offset, 5);
          if (calls === 3) throw enospc();
          return writeSync(fd, buffer, offset, length);
        },
      });
      try {
        for (const line of ['{"n":1}\n', '{"n":2,"cut":true}\n', '{"n":3}\n']) stream.write(line);
        assert.equal(await readFile(file, 'utf8'), '{"n":1}\n{"n":\n{"n":3}\n');
      } finally {
        stream.close();
      }
    }));
});
