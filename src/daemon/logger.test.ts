import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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
});
