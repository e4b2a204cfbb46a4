import assert from 'node:assert/strict';
import { chmod, chown, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isPalError } from '../errors.js';
import {
  clientToken,
  ensureApiToken,
  httpSecurityFor,
  readApiToken,
  readHttpToken,
  rotateApiToken,
} from './http-token.js';
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

describe('httpSecurityFor and the api token file', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palingenesis-apitoken-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('loopback without a configured token: a random token made once in a 0600 file', async () => {
    const file = join(dir, 'state', 'api-token');
    const first = await httpSecurityFor(http({}), file);
    assert.equal(first.host, '127.0.0.1');
    assert.match(first.token ?? '', /^[\w-]{43}$/);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(join(dir, 'state'))).mode & 0o777, 0o700);
    const again = await httpSecurityFor(http({ host: 'localhost' }), file);
    assert.equal(again.token, first.token, 'the same token on every start');
    assert.equal(await clientToken(http({}), file), first.token);
  });

  it('a configured token wins and is mirrored into the file for the hook forwarder', async () => {
    const file = join(dir, 'mirror', 'api-token');
    await ensureApiToken(file);
    const security = await httpSecurityFor(http({ token: 'configured-token' }), file);
    assert.equal(security.token, 'configured-token');
    assert.equal(await readApiToken(file), 'configured-token');
    assert.equal(await clientToken(http({ token: 'configured-token' }), file), 'configured-token');
  });

  it('rotation replaces the token; a missing file reads as none; a leaky one is refused', async () => {
    const file = join(dir, 'rotate', 'api-token');
    assert.equal(await readApiToken(file), undefined);
    assert.equal(await clientToken(http({}), file), undefined);
    const before = await ensureApiToken(file);
    const after = await rotateApiToken(file);
    assert.notEqual(after, before);
    assert.equal(await readApiToken(file), after);
    if (posix) {
      await chmod(file, 0o644);
      assert.match(await refusal(readApiToken(file)), /api token file .* has mode 0644/);
    }
  });

  it('beyond loopback a configured token is needed', async () => {
    const file = join(dir, 'exposed', 'api-token');
    for (const host of ['0.0.0.0', '::', '192.168.1.5', 'mybox.lan']) {
      const message = await refusal(httpSecurityFor(http({ host }), file));
      assert.match(message, /not a loopback address.*set \[http\] token or token_file/);
    }
    assert.deepEqual(await httpSecurityFor(http({ host: '0.0.0.0', token: 't' }), file), {
      host: '0.0.0.0',
      token: 't',
    });
  });
});
