import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createDaemonLogger } from './logger.js';

describe('daemon logger', () => {
  it('follows a level changed at run time (a reload of log_level), both ways', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palingenesis-logger-'));
    try {
      const file = join(dir, 'daemon.log');
      const { log, flush } = createDaemonLogger(file, 'warn');
      const stderrWrite = process.stderr.write.bind(process.stderr);
      process.stderr.write = () => true; // keep the test output clean
      try {
        log.info('hidden at warn');
        log.level = 'debug';
        log.debug('shown at debug');
        log.level = 'error';
        log.warn('hidden again at error');
      } finally {
        process.stderr.write = stderrWrite;
      }
      flush();
      const messages = (await readFile(file, 'utf8'))
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { msg: string }).msg);
      assert.deepEqual(messages, ['shown at debug']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it(
    'a log file on a full disk (/dev/full) throws nowhere: stderr gets every line, one report',
    { skip: !existsSync('/dev/full') && 'no /dev/full here (Linux only)' },
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'palingenesis-logger-'));
      try {
        const file = join(dir, 'daemon.log');
        await symlink('/dev/full', file);
        const { log, flush, reportFileErrorsTo } = createDaemonLogger(file, 'info');
        const stderr: string[] = [];
        const stderrWrite = process.stderr.write.bind(process.stderr);
        process.stderr.write = (chunk: string | Uint8Array) => {
          stderr.push(String(chunk));
          return true;
        };
        const reports: string[] = [];
        try {
          log.info('first');
          reportFileErrorsTo((kind, error) => {
            reports.push(kind);
            log.error({ err: error }, `log ${kind}`); // what the daemon's reportError does
          });
          log.info('second');
          log.info('third');
          flush(); // SonicBoom's flushSync spun for ever on ENOSPC
        } finally {
          process.stderr.write = stderrWrite;
        }
        assert.deepEqual(reports, ['enospc']);
        const messages = stderr.map((line) => (JSON.parse(line) as { msg: string }).msg);
        assert.deepEqual(messages, ['first', 'log enospc', 'second', 'third']);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
