import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { codexKind, isNativeCodex, resumedThread } from './cli-args.js';
import { uuidV7Ms } from './live.js';

const ID = '01a23c20-7d4d-7d83-9f67-d6af732d920c';
const FLAGS = ['--no-daemon', '--disable', 'plugins', '--disable', 'remote_plugin'];

describe('reading a Codex command line', () => {
  it('tells the native binary from the launcher and from other programs', () => {
    const vendor =
      '/x/node_modules/@openai/codex-linux-x64/vendor/x86_64-unknown-linux-musl/bin/codex';
    assert.equal(isNativeCodex([vendor, 'exec']), true);
    assert.equal(isNativeCodex(['codex']), true);
    assert.equal(isNativeCodex(['/opt/codex-x86_64-unknown-linux-musl']), true);
    assert.equal(isNativeCodex(['node', '/x/node_modules/.bin/codex']), false);
    assert.equal(isNativeCodex(['/usr/bin/codexctl']), false);
    assert.equal(isNativeCodex([]), false);
  });

  const kinds: [readonly string[], ReturnType<typeof codexKind>][] = [
    [[], 'tui'],
    [FLAGS, 'tui'],
    [['fix the bug'], 'tui'],
    [['-m', 'exec', 'fix it'], 'tui'], // "exec" is the model's value here
    [['resume', ID], 'tui'],
    [['exec', '--json', 'prompt'], 'exec'],
    [['-c', 'model="o3"', 'e', 'prompt'], 'exec'],
    [[...FLAGS, 'exec', '--json', '--skip-git-repo-check', 'resume', ID, 'go on'], 'exec'],
    [['app-server', '--listen', 'unix://', '--managed-daemon'], 'app-server'],
    [['app-server', 'daemon', 'pid-update-loop'], undefined],
    [['login'], undefined],
    [['mcp', 'list'], undefined],
  ];
  for (const [args, want] of kinds)
    it(`codex ${args.join(' ') || '(no arguments)'} → ${want ?? 'not a session'}`, () => {
      assert.equal(codexKind(args), want);
    });

  it('names the thread of `resume <id>` and `exec resume <id>` only', () => {
    assert.equal(resumedThread(['resume', ID]), ID);
    assert.equal(resumedThread([...FLAGS, 'exec', '--json', 'resume', ID, 'go on']), ID);
    assert.equal(resumedThread(['resume', ID.toUpperCase()]), ID);
    assert.equal(resumedThread(['exec', 'resume', '--last', 'go on']), undefined);
    assert.equal(resumedThread(['exec', `please resume ${ID}`]), undefined);
    assert.equal(resumedThread(['exec', 'write', 'resume', ID]), undefined);
  });

  it('reads the creation time of a UUIDv7 thread id', () => {
    assert.equal(new Date(uuidV7Ms(ID)).toISOString(), '2026-12-03T13:38:11.917Z');
    assert.equal(uuidV7Ms('not-a-uuid'), 0);
  });
});
