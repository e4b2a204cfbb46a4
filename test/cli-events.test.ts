import assert from 'node:assert/strict';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './helpers/run-cli.js';
import { spawnCli } from './helpers/spawn-cli.js';
import { spawnDaemon, type SpawnedDaemon } from './helpers/spawn-daemon.js';
import { openSse } from './helpers/sse.js';

const CONFIG =
  '[http]\nport = 0\n\n[opencode]\nenabled = false\n\n[claude_code]\nenabled = false\n';
const TIME = String.raw`(?:\d{4}-\d\d-\d\d )?\d\d:\d\d:\d\d`;

/** The daemon's API token as a header. */
function auth(daemon: SpawnedDaemon): Record<string, string> {
  return { authorization: `Bearer ${daemon.token}` };
}

async function post(daemon: SpawnedDaemon, path: '/api/v1/pause' | '/api/v1/resume') {
  const res = await daemon.api(path, { method: 'POST' });
  assert.equal(res.status, 200, await res.text());
}

/** Pause then resume: two daemon.state_changed events. */
async function toggle(daemon: SpawnedDaemon): Promise<void> {
  await post(daemon, '/api/v1/pause');
  await post(daemon, '/api/v1/resume');
}

describe('events and logs (built CLI, real daemon)', () => {
  let daemon: SpawnedDaemon;
  let env: NodeJS.ProcessEnv;
  let configArgs: string[];

  before(async () => {
    daemon = await spawnDaemon(CONFIG);
    env = { ...daemon.home.env, TZ: 'Europe/Warsaw' };
    configArgs = ['--config', join(daemon.home.dir, 'config.toml')];
  });
  after(async () => {
    await daemon.stop('SIGKILL');
    await daemon.home.remove();
  });

  it('GET /api/v1/events: SSE frames with rising ids; Last-Event-ID replays exactly the missed', async () => {
    // Event 1 is daemon.started; a reader without Last-Event-ID gets live events only.
    const first = await openSse(`${daemon.url}/api/v1/events`, auth(daemon));
    try {
      assert.equal(first.status, 200);
      assert.equal(first.headers['content-type'], 'text/event-stream; charset=utf-8');
      await toggle(daemon);
      const got = await first.waitForMessages(2);
      assert.deepEqual(
        got.map((m) => [m.id, m.event]),
        [
          ['2', 'daemon.state_changed'],
          ['3', 'daemon.state_changed'],
        ],
        daemon.stderrTail(),
      );
      const data = got.map((m) => JSON.parse(m.data) as Record<string, unknown>);
      assert.deepEqual(
        data.map((d) => [d['type'], d['from'], d['to'], typeof d['at']]),
        [
          ['daemon.state_changed', 'monitoring', 'paused', 'number'],
          ['daemon.state_changed', 'paused', 'monitoring', 'number'],
        ],
      );
    } finally {
      first.close();
    }

    await toggle(daemon);
    const again = await openSse(`${daemon.url}/api/v1/events`, {
      ...auth(daemon),
      'last-event-id': '3',
    });
    try {
      const missed = await again.waitForMessages(2);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.deepEqual(
        again.messages.map((m) => m.id),
        ['4', '5'],
      );
      assert.deepEqual(
        missed.map((m) => (JSON.parse(m.data) as { to: string }).to),
        ['paused', 'monitoring'],
      );
      assert.ok(!again.comments.some((c) => c.startsWith('notice:')), String(again.comments));
    } finally {
      again.close();
    }
  });

  it('`events` prints the buffered events, one line each; --json prints their JSON; --since filters', async () => {
    const human = await runCli(['events', ...configArgs], env);
    assert.equal(human.code, 0, human.stderr);
    const lines = human.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 5, human.stdout);
    assert.match(
      lines[0] ?? '',
      new RegExp(`^${TIME} {2}daemon\\.started {8}version \\S+, pid \\d+ {2}#1$`),
    );
    assert.match(
      lines[1] ?? '',
      new RegExp(`^${TIME} {2}daemon\\.state_changed {2}monitoring → paused {2}#2$`),
    );
    assert.match(lines[4] ?? '', /paused → monitoring {2}#5$/);
    assert.ok(!human.stdout.includes('\u001b['), 'no colour when stdout is not a terminal');

    const json = await runCli(['events', '--json', ...configArgs], env);
    assert.equal(json.code, 0, json.stderr);
    const events = json.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; to: string });
    assert.deepEqual(
      events.map((e) => e.to),
      [undefined, 'paused', 'monitoring', 'paused', 'monitoring'],
    );

    const sinceId = await runCli(['events', '--since', '4', '--json', ...configArgs], env);
    assert.equal(sinceId.stdout.trimEnd().split('\n').length, 1, sinceId.stdout);
    const sinceTime = await runCli(['events', '--since', '10m', ...configArgs], env);
    assert.equal(sinceTime.stdout.trimEnd().split('\n').length, 5, sinceTime.stdout);
    const bad = await runCli(['events', '--since', 'yesterday', ...configArgs], env);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--since takes/);
  });

  it('`events --follow` prints a live event, and Ctrl-C ends it with exit 0', async () => {
    const follower = spawnCli(['events', '--follow', '--since', '4', ...configArgs], env);
    try {
      // Event 5 is replayed on connect: once it is printed, the follower is subscribed.
      await follower.waitForStdout(/#5\n/);
      await post(daemon, '/api/v1/pause');
      await follower.waitForStdout(/monitoring → paused {2}#6\n/);
      assert.equal(await follower.stop('SIGINT'), 0, follower.stderr());
      assert.equal(follower.stdout().trimEnd().split('\n').length, 2, follower.stdout());
    } finally {
      await follower.stop('SIGKILL');
      await post(daemon, '/api/v1/resume');
    }
  });

  it('`logs --tail N` and `--json` read the log file; `logs --follow` shows lines appended later', async () => {
    const fileLines = (await readFile(daemon.home.state.logFile, 'utf8')).trimEnd().split('\n');
    const tail = await runCli(['logs', '--tail', '5', ...configArgs], env);
    assert.equal(tail.code, 0, tail.stderr);
    const shown = tail.stdout.trimEnd().split('\n');
    assert.equal(shown.length, 5, tail.stdout);
    for (const line of shown)
      assert.match(line, new RegExp(`^${TIME}\\.\\d{3} (INFO|WARN|DEBUG) `));
    assert.match(tail.stdout, /INFO {2}daemon\.state_changed from=paused to=monitoring/);

    const json = await runCli(['logs', '--json', '--tail', '3', ...configArgs], env);
    assert.deepEqual(json.stdout.trimEnd().split('\n'), fileLines.slice(-3));

    const follower = spawnCli(['logs', '--follow', '--tail', '1', ...configArgs], env);
    try {
      await follower.waitForStdout(/\n/);
      await post(daemon, '/api/v1/pause');
      await follower.waitForStdout(/daemon\.state_changed from=monitoring to=paused/);
      await appendFile(daemon.home.state.logFile, 'not json at all\n');
      await follower.waitForStdout(/^not json at all$/m);
      assert.equal(await follower.stop('SIGINT'), 0, follower.stderr());
    } finally {
      await follower.stop('SIGKILL');
      await post(daemon, '/api/v1/resume');
    }
  });

  it('SIGTERM with a stream open: the stream ends with a notice, the daemon exits 0 promptly; a follower goes on with the next daemon', async () => {
    const reader = await openSse(`${daemon.url}/api/v1/events`, auth(daemon));
    const follower = spawnCli(['events', '--follow', ...configArgs], env);
    try {
      await follower.waitForStdout(/#1\n/);
      const started = Date.now();
      assert.equal(await daemon.stop('SIGTERM'), 0, daemon.stderrTail());
      assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
      await reader.ended();
      assert.ok(
        reader.comments.includes('notice: the daemon is stopping'),
        String(reader.comments),
      );
      await waitFor(
        () => /the daemon is stopping/.test(follower.stderr()),
        () => follower.stderr(),
      );

      // A new daemon on the same HOME (another port, found again through daemon.json): its
      // ids start at 1 again (daemon.started), and the follower, told so, prints its events too.
      daemon = await spawnDaemon(CONFIG, { home: daemon.home });
      const before = follower.stdout();
      await post(daemon, '/api/v1/pause');
      await follower.waitForStdout(/monitoring → paused {2}#2\n$/, 20_000);
      assert.ok(follower.stdout().startsWith(before));
      assert.match(follower.stderr(), /reconnected/);
      assert.equal(await follower.stop('SIGINT'), 0, follower.stderr());
    } finally {
      reader.close();
      await follower.stop('SIGKILL');
    }
  });

  it('with the daemon down, `events` exits 4 and `logs` still works', async () => {
    assert.equal(await daemon.stop('SIGTERM'), 0, daemon.stderrTail());
    const events = await runCli(['events', ...configArgs], env);
    assert.equal(events.code, 4, events.stderr);
    assert.match(events.stderr, /the daemon does not answer/);
    const logs = await runCli(['logs', '--tail', '2', ...configArgs], env);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /daemon\.stopped/);
  });
});

async function waitFor(
  check: () => boolean | Promise<boolean>,
  describe: () => string,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out; ${describe()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
