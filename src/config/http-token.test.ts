import assert from 'node:assert/strict';
import { chmod, chown, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPalError } from '../errors.js';
import { httpSecurityFor, readHttpToken } from './http-token.js';
import { defaultConfig, type Config } from './schema.js';

const posix = process.getuid !== undefined;

function http(patch: Partial<Config['http']>): Config['http'] {
  return { ...defaultConfig().http, ...patch };
}

async function refusal(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isPalError(error), String(error));
    assert.equal(error.code, 'config_invalid');
    return error.message;
  }
  return assert.fail('expected a config_invalid error');
}

describe('readHttpToken', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palingenesis-token-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('none, the inline token, or the trimmed content of a 0600 file', async () => {
    assert.equal(await readHttpToken(http({})), undefined);
    assert.equal(await readHttpToken(http({ token: 'inline' })), 'inline');
    const file = join(dir, 'ok');
    await writeFile(file, '  from-file\n', { mode: 0o600 });
    assert.equal(await readHttpToken(http({ token_file: file })), 'from-file');
    await chmod(file, 0o400);
    assert.equal(await readHttpToken(http({ token_file: file })), 'from-file');
  });

  it(
    'a group- or world-readable file is refused, naming the file but not the token',
    {
      skip: !posix && 'no POSIX modes here',
    },
    async () => {
      const file = join(dir, 'open');
      await writeFile(file, 'leaky-token\n');
      await chmod(file, 0o644);
      const message = await refusal(readHttpToken(http({ token_file: file })));
      assert.match(message, new RegExp(`${file} has mode 0644; it must be 0600 or stricter`));
      assert.doesNotMatch(message, /leaky-token/);
    },
  );

  it(
    "another user's file is refused",
    { skip: process.getuid?.() !== 0 && 'needs root to give a file away' },
    async () => {
      const file = join(dir, 'theirs');
      await writeFile(file, 'their-token', { mode: 0o600 });
      await chown(file, 4242, 4242);
      const message = await refusal(readHttpToken(http({ token_file: file })));
      assert.match(message, /theirs is owned by uid 4242, not by you \(uid 0\)/);
    },
  );

  it('a missing, empty or multi-word file, or both keys set, is refused', async () => {
    const missing = await refusal(readHttpToken(http({ token_file: join(dir, 'absent') })));
    assert.match(missing, /absent cannot be read \(ENOENT\)/);
    const empty = join(dir, 'empty');
    await writeFile(empty, '\n', { mode: 0o600 });
    assert.match(await refusal(readHttpToken(http({ token_file: empty }))), /is empty/);
    const words = join(dir, 'words');
    await writeFile(words, 'two words', { mode: 0o600 });
    const wordsMessage = await refusal(readHttpToken(http({ token_file: words })));
    assert.match(wordsMessage, /one token/);
    assert.doesNotMatch(wordsMessage, /two words/);
    assert.match(
      await refusal(readHttpToken(http({ token: 'a', token_file: empty }))),
      /both set; keep one/,
    );
  });
});

describe('httpSecurityFor', () => {
  it('loopback needs no token; anything else does', async () => {
    for (const host of ['127.0.0.1', 'localhost', '::1']) {
      assert.deepEqual(await httpSecurityFor(http({ host })), { host, token: undefined });
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'mybox.lan']) {
      const message = await refusal(httpSecurityFor(http({ host })));
      assert.match(message, /not a loopback address.*set \[http\] token or token_file/);
    }
    assert.deepEqual(await httpSecurityFor(http({ host: '0.0.0.0', token: 't' })), {
      host: '0.0.0.0',
      token: 't',
    });
  });
});
