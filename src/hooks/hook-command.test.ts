import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { buildHookCommand, isOurCommand, parseHookCommand, shellQuote } from './hook-command.js';

describe('hook command', () => {
  const parts = {
    node: '/opt/node 20/bin/node',
    script: "/home/o'brien/pal/dist/palingenesis-hook.js",
    agent: 'claude-code',
    stateDir: "/home/o'brien/.local/state/palingenesis $HOME `x`",
  };

  it('quotes every path for sh, single quotes included', () => {
    const command = buildHookCommand(parts);
    assert.equal(
      command,
      `'/opt/node 20/bin/node' '/home/o'\\''brien/pal/dist/palingenesis-hook.js' claude-code ` +
        `--state-dir '/home/o'\\''brien/.local/state/palingenesis $HOME \`x\`'`,
    );
    // What sh makes of it: printf prints each word on its own line.
    const words = execFileSync('/bin/sh', ['-c', `printf '%s\\n' ${command}`], {
      encoding: 'utf8',
    });
    assert.deepEqual(words.split('\n').slice(0, -1), [
      parts.node,
      parts.script,
      'claude-code',
      '--state-dir',
      parts.stateDir,
    ]);
  });

  it('reads back what it wrote, and nothing else', () => {
    assert.deepEqual(parseHookCommand(buildHookCommand(parts)), parts);
    assert.equal(parseHookCommand('node palingenesis-hook.js claude-code'), undefined);
    assert.equal(parseHookCommand(`'unclosed palingenesis-hook.js`), undefined);
    assert.equal(shellQuote(''), "''");
  });

  it('recognises ours by the marker', () => {
    assert.equal(isOurCommand(buildHookCommand(parts)), true);
    assert.equal(isOurCommand('notify-send done'), false);
    assert.equal(isOurCommand(undefined), false);
  });
});
