import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runExec } from './headless.js';

/**
 * A stand-in `codex` that prints what `codex exec --json` 0.171 prints (lines recorded in
 * test/fixtures/codex), records its argv, reads stdin to its end (hangs unless closed), and
 * ends as told.
 */
const SCRIPT = `#!/usr/bin/env node
const fs = require('node:fs');
const mode = process.env.FAKE_CODEX_MODE;
// As codex exec does: read stdin to its end first. An open pipe would block here for ever.
fs.readFileSync(0);
fs.writeFileSync(process.env.FAKE_CODEX_ARGV, JSON.stringify(process.argv.slice(2)));
const out = (v) => process.stdout.write(JSON.stringify(v) + '\\n');
out({ type: 'thread.started', thread_id: process.env.FAKE_CODEX_THREAD });
out({ type: 'turn.started' });
if (mode === 'retry') {
  out({ type: 'error', message: 'Reconnecting... 1/5 (unexpected status 429 Too Many Requests)' });
  out({ type: 'error', message: 'Reconnecting... 2/5 (unexpected status 429 Too Many Requests)' });
}
process.stdout.write('not json\\n');
if (mode === 'die') process.kill(process.pid, 'SIGKILL');
out({ type: 'turn.failed', error: { message: 'You’ve hit your usage limit.' } });
process.exitCode = 1;
`;

describe('codex exec runs (a scripted stand-in binary)', () => {
  let dir: string;
  let binary: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palingenesis-codex-exec-'));
    binary = join(dir, 'codex');
    await writeFile(binary, SCRIPT);
    await chmod(binary, 0o755);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const start = (mode: string, resume?: string) => {
    const retries: string[] = [];
    const malformed: string[] = [];
    const argvFile = join(dir, `argv-${mode}.json`);
    const run = runExec({
      binary,
      cwd: dir,
      prompt: '--continue where you left off',
      resume,
      extraArgs: ['--sandbox', 'workspace-write'],
      env: {
        ...process.env,
        FAKE_CODEX_MODE: mode,
        FAKE_CODEX_ARGV: argvFile,
        FAKE_CODEX_THREAD: 'thread-1',
      },
      onRetrying: (attempt, of, message) => retries.push(`${attempt}/${of} ${message}`),
      onMalformed: (line) => malformed.push(line),
    });
    return {
      run,
      retries,
      malformed,
      argv: async () => JSON.parse(await readFile(argvFile, 'utf8')) as string[],
    };
  };

  it('resumes the thread by id with the prompt after --, reads its retries and its turn end', async () => {
    const { run, retries, malformed, argv } = start('retry', 'thread-1');
    assert.equal(await run.started, 'thread-1');
    const exit = await run.exited;
    assert.deepEqual({ code: exit.code, turnEnded: exit.turnEnded }, { code: 1, turnEnded: true });
    assert.deepEqual(await argv(), [
      'exec',
      '--json',
      '--skip-git-repo-check',
      '--sandbox',
      'workspace-write',
      'resume',
      'thread-1',
      '--',
      '--continue where you left off',
    ]);
    assert.equal(retries.length, 2);
    assert.match(retries[0] ?? '', /^1\/5 Reconnecting\.\.\. 1\/5/);
    assert.deepEqual(malformed, ['not json']);
  });

  it('a run killed before its turn ended says so', async () => {
    const { run } = start('die');
    assert.equal(await run.started, 'thread-1');
    const exit = await run.exited;
    assert.equal(exit.signal, 'SIGKILL');
    assert.equal(exit.turnEnded, false);
  });

  it('a binary that cannot start rejects `started` with why', async () => {
    const run = runExec({
      binary: join(dir, 'missing-codex'),
      cwd: dir,
      prompt: 'x',
      extraArgs: [],
      env: process.env,
      onRetrying: () => undefined,
      onMalformed: () => undefined,
    });
    await assert.rejects(run.started, /cannot run .*missing-codex/);
    assert.equal((await run.exited).turnEnded, false);
  });
});
