import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { defaultConfig } from '../config/schema.js';
import { warnOfExposedToken } from './run-foreground.js';

describe('the inline-token check before the start', () => {
  const config = defaultConfig();
  config.http.token = 'a-token-written-inline';
  const capture = () => {
    const messages: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        messages.push(String((JSON.parse(chunk.toString()) as { msg: unknown }).msg));
        done();
      },
    });
    return { log: pino({ level: 'warn' }, sink), messages };
  };

  it('a mode that cannot be read is handed back (to be logged and counted), not swallowed', async () => {
    const { log, messages } = capture();
    const path = '/dev/null/config.toml'; // ENOTDIR: a part of the path is a file
    const failure = await warnOfExposedToken(
      { config, configLocation: { path, source: 'flag' } },
      log,
    );
    assert.ok(failure instanceof Error);
    assert.match(failure.message, /cannot tell who may read the config file \/dev\/null/);
    assert.equal((failure.cause as NodeJS.ErrnoException).code, 'ENOTDIR');
    assert.deepEqual(messages, [], 'the caller logs it, once');
  });

  it('a file others can read is a warning; a private one is nothing to say', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palingenesis-exposure-'));
    try {
      const path = join(dir, 'config.toml');
      await writeFile(path, '[http]\n');
      await chmod(path, 0o644);
      const exposed = capture();
      const location = { path, source: 'flag' } as const;
      assert.equal(
        await warnOfExposedToken({ config, configLocation: location }, exposed.log),
        undefined,
      );
      assert.equal(exposed.messages.length, 1);
      assert.match(exposed.messages[0] ?? '', /chmod 600/);
      await chmod(path, 0o600);
      const quiet = capture();
      assert.equal(
        await warnOfExposedToken({ config, configLocation: location }, quiet.log),
        undefined,
      );
      assert.deepEqual(quiet.messages, []);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
