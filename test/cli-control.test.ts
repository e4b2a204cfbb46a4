import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { daemonMetrics, eventually, sample } from './helpers/daemon-api.js';
import { runCli } from './helpers/run-cli.js';
import { createTempHome, type TempHome } from './helpers/temp-home.js';

const SESSION = '7d1c2b3a-0000-4000-8000-000000000001';

/** A Claude Code transcript that stopped on a plan limit resetting in an hour. */
function limitedTranscript(resetsAt: number): string {
  const at = new Date().toISOString();
  const lines = [
    {
      type: 'user',
      uuid: 'u1',
      sessionId: SESSION,
      cwd: '/work/p',
      timestamp: at,
      message: { role: 'user', content: 'Do the work.' },
    },
    {
      type: 'assistant',
      uuid: 'e1',
      sessionId: SESSION,
      timestamp: at,
      isApiErrorMessage: true,
      error: 'rate_limit',
      apiErrorStatus: 429,
      apiErrorParams: { rate_limit_info: { status: 'rejected', resetsAt } },
      message: { role: 'assistant', content: [{ type: 'text', text: "You've hit your limit" }] },
    },
  ];
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

/**
 * The everyday CLI against a background daemon in a temp HOME: every command goes through the
 * daemon's HTTP API (or its PID file for stop and reload), as a user would run them.
 */
describe('daemon lifecycle and control commands (built CLI, temp HOME)', () => {
  let home: TempHome;
  let configPath: string;
  const cli = (...args: string[]) => runCli(args, home.env, { timeoutMs: 30_000 });
  const config = (extra = '') =>
    [
      '[http]',
      'port = 0',
      '[opencode]',
      'enabled = false',
      '[claude_code]',
      'binary = "/nonexistent/claude"',
      'poll_interval_ms = 200',
      extra,
    ].join('\n');

  before(async () => {
    home = await createTempHome();
    configPath = join(home.dir, '.config', 'palingenesis', 'config.toml');
    await mkdir(join(home.dir, '.config', 'palingenesis'), { recursive: true });
    await writeFile(configPath, config());
    const project = join(home.dir, '.claude', 'projects', '-work-p');
    await mkdir(project, { recursive: true });
    const resetsAt = Math.floor(Date.now() / 1000) + 3600;
    await writeFile(join(project, `${SESSION}.jsonl`), limitedTranscript(resetsAt));
  });
  after(async () => {
    await cli('daemon', 'stop');
    await home.remove();
  });

  it('not running: daemon status and status exit 4 with a hint', async () => {
    const status = await cli('daemon', 'status');
    assert.equal(status.code, 4);
    assert.match(status.stderr, /not running; start it with `palingenesis daemon start`/);
    const top = await cli('status');
    assert.equal(top.code, 4, top.stderr);
    assert.match(top.stderr, /does not answer/);
  });

  it('daemon start detaches and returns once it answers; a second start is refused (exit 3)', async () => {
    const start = await cli('daemon', 'start');
    assert.equal(start.code, 0, start.stderr);
    assert.match(
      start.stdout,
      /^palingenesis started \(pid \d+\), listening on http:\/\/127\.0\.0\.1:\d+\n$/,
    );
    const again = await cli('daemon', 'start');
    assert.equal(again.code, 3, again.stderr);
    assert.match(again.stderr, /already running/);
    const status = await cli('daemon', 'status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(
      status.stdout,
      /^palingenesis is running \(pid \d+\) at http:\/\/127\.0\.0\.1:\d+, up /,
    );
  });

  it('status and sessions show the stopped session with its countdown', async () => {
    const listed = await eventually('the session to be waiting', 15_000, async () => {
      const run = await cli('sessions');
      return run.stdout.includes('waiting') ? run : undefined;
    });
    assert.match(listed.stdout, /^AGENT +SESSION +STATE +LAST STOP +NEXT +DIRECTORY/);
    assert.match(
      listed.stdout,
      new RegExp(`claude-code +${SESSION} +waiting +rate_limit +resumes in (59m|1h)`),
    );
    const status = await cli('status');
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /: monitoring|: waiting/);
    assert.match(status.stdout, /saves: 0, time saved: 0s/);
    const json = JSON.parse((await cli('status', '--json')).stdout) as { sessions: unknown[] };
    assert.equal(json.sessions.length, 1);
  });

  it('pause and resume, for the daemon and for one session; conflicts exit 1', async () => {
    const pause = await cli('pause');
    assert.equal(pause.code, 0, pause.stderr);
    assert.equal(pause.stdout, 'daemon paused\n');
    const twice = await cli('pause');
    assert.equal(twice.code, 1);
    assert.match(twice.stderr, /already paused/);
    // A resume is pending for the session, so the daemon is waiting rather than monitoring.
    assert.match((await cli('resume')).stdout, /^daemon (monitoring|waiting)\n$/);

    const one = await cli('pause', '--session', SESSION);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout, `session ${SESSION} paused\n`);
    assert.match((await cli('sessions')).stdout, /waiting \(paused\)/);
    assert.equal((await cli('resume', '--session', SESSION)).code, 0);
  });

  it('wake, cancel and new-session: unknown ids exit 1 naming them; cancel drops the job; a forced new session is attempted', async () => {
    const unknown = await cli('wake', 'nope');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no session nope is known/);
    const cancel = await cli('cancel', SESSION);
    assert.equal(cancel.code, 0, cancel.stderr);
    assert.equal(cancel.stdout, `session ${SESSION}: pending resume cancelled\n`);
    const none = await cli('wake', SESSION);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /has no pending resume/);
    const json = JSON.parse((await cli('sessions', '--json')).stdout) as {
      sessions: { id: string; state: string; nextWakeAt: string | null }[];
    };
    assert.deepEqual(
      json.sessions.map((s) => [s.id, s.state, s.nextWakeAt]),
      [[SESSION, 'idle', null]],
    );
    const unknownNew = await cli('new-session', 'nope');
    assert.equal(unknownNew.code, 1);
    assert.match(unknownNew.stderr, /no session nope is known/);
    // The configured binary does not exist: the forced new session is attempted, fails clearly,
    // and is retried later.
    const fresh = await cli('new-session', SESSION);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.equal(fresh.stdout, `session ${SESSION}: a new session with a handoff is starting\n`);
    await eventually('the attempt to fail', 10_000, async () => {
      const audit = await readFile(home.state.auditFile, 'utf8');
      return /"type":"resume\.failed".*cannot run \/nonexistent\/claude/.test(audit)
        ? true
        : undefined;
    });
  });

  it('reload: an invalid file is rejected (exit 1, each problem named) and the daemon keeps running; a valid edit applies live', async () => {
    await writeFile(configPath, config('[resume]\nmargin_seconds = "soon"\n'));
    const reload = await cli('daemon', 'reload');
    assert.equal(reload.code, 1, reload.stdout);
    assert.match(reload.stderr, /the config was rejected; the last good one stays/);
    assert.match(reload.stderr, /config\.toml:\d+: resume\.margin_seconds: /);
    const json = await cli('daemon', 'reload', '--json');
    assert.equal(json.code, 1);
    const verdict = JSON.parse(json.stdout) as { ok: boolean; problems: string[] };
    assert.equal(verdict.ok, false);
    assert.equal(verdict.problems.length, 1);
    const url = JSON.parse(await readFile(home.state.runtimeFile, 'utf8')) as { url: string };
    const m = await daemonMetrics(url.url);
    assert.ok(sample(m, 'palingenesis_config_reloads_total', { result: 'failure' }) >= 2);
    assert.equal((await cli('daemon', 'status')).code, 0, 'the daemon died on a bad reload');
    // A valid edit: applied by `daemon reload`, or already by the file watcher just before it.
    await writeFile(configPath, config('[resume]\nmargin_seconds = 5\n'));
    const applied = await cli('daemon', 'reload');
    assert.equal(applied.code, 0, applied.stderr);
    assert.match(
      applied.stdout,
      /^reloaded: (?:applied resume\.margin_seconds; needs a restart: none|nothing changed)\n$/,
    );
    await eventually('the reload', 10_000, async () => {
      const log = await readFile(home.state.logFile, 'utf8');
      return /"applied":\["resume\.margin_seconds"\].*config\.reloaded/.test(log)
        ? true
        : undefined;
    });
  });

  it('daemon restart stops the running daemon and starts a new one', async () => {
    const before = await cli('daemon', 'status', '--json');
    const { pid } = JSON.parse(before.stdout) as { pid: number };
    const restart = await cli('daemon', 'restart');
    assert.equal(restart.code, 0, restart.stderr);
    assert.match(
      restart.stdout,
      new RegExp(
        `^palingenesis stopped \\(pid ${String(pid)}\\)\npalingenesis started \\(pid (\\d+)\\), listening on `,
      ),
    );
    const after = JSON.parse((await cli('daemon', 'status', '--json')).stdout) as { pid: number };
    assert.notEqual(after.pid, pid);
  });

  it('daemon stop waits for a graceful exit and keeps the state; stop again is a no-op', async () => {
    const stop = await cli('daemon', 'stop');
    assert.equal(stop.code, 0, stop.stderr);
    assert.match(stop.stdout, /^palingenesis stopped \(pid \d+\)\n$/);
    const state = JSON.parse(await readFile(home.state.stateFile, 'utf8')) as {
      jobs: unknown[];
      sessions: { sessionId: string; paused?: boolean; lastStop?: { reason: string } }[];
    };
    assert.deepEqual(
      state.sessions.map((s) => [s.sessionId, s.paused === true, s.lastStop?.reason]),
      [[SESSION, false, 'rate_limit']],
    );
    // The retry of the forced new session survived the stop.
    assert.deepEqual(
      (state.jobs as { action: string }[]).map((j) => j.action),
      ['new_session'],
    );
    await assert.rejects(readFile(home.state.runtimeFile, 'utf8'), { code: 'ENOENT' });
    const again = await cli('daemon', 'stop');
    assert.equal(again.code, 0);
    assert.equal(again.stdout, 'palingenesis is not running\n');
  });
});
