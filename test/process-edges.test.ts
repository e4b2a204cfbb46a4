import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { daemonMetrics, eventually, sample } from './helpers/daemon-api.js';
import { runCli } from './helpers/run-cli.js';
import { spawnDaemon } from './helpers/spawn-daemon.js';
import { createTempHome, type TempHome } from './helpers/temp-home.js';

const occurrences = (text: string, needle: string): number => text.split(needle).length - 1;

async function privateStateDir(home: TempHome): Promise<void> {
  await mkdir(home.state.dir, { recursive: true, mode: 0o700 });
}

/** A temp HOME for `run`, removed however it ends. */
async function withHome(run: (home: TempHome) => Promise<void>): Promise<void> {
  const home = await createTempHome();
  try {
    await run(home);
  } finally {
    await home.remove();
  }
}

describe('the process edges (built CLI, temp HOME)', () => {
  it(
    'a log file on a full disk (/dev/full) kills nothing: stderr gets every line, one report, counted',
    { skip: !existsSync('/dev/full') && 'no /dev/full here (Linux only)' },
    () =>
      withHome(async (home) => {
        await privateStateDir(home);
        // Every write to /dev/full fails with ENOSPC, from the first line on.
        await symlink('/dev/full', home.state.logFile);
        const daemon = await spawnDaemon(undefined, { home });
        try {
          const report = 'log enospc: caught, the daemon goes on';
          assert.equal(occurrences(daemon.stderr(), report), 1, daemon.stderrTail());
          const before = await daemonMetrics(daemon.url);
          assert.equal(
            sample(before, 'palingenesis_errors_total', { component: 'log', kind: 'enospc' }),
            1,
          );
          // More lines while the disk stays full: on stderr, and no second report of the streak.
          assert.equal((await daemon.api('/api/v1/pause', { method: 'POST' })).status, 200);
          assert.equal((await daemon.api('/api/v1/resume', { method: 'POST' })).status, 200);
          await eventually('both state changes on stderr', 10_000, () =>
            Promise.resolve(
              occurrences(daemon.stderr(), '"msg":"daemon.state_changed"') === 2 ? true : undefined,
            ),
          );
          assert.equal(occurrences(daemon.stderr(), report), 1, daemon.stderrTail());
          const after = await daemonMetrics(daemon.url);
          assert.equal(
            sample(after, 'palingenesis_errors_total', { component: 'log', kind: 'enospc' }),
            1,
          );
          assert.equal(await daemon.stop('SIGTERM'), 0, daemon.stderrTail());
          assert.match(daemon.stderr(), /"msg":"daemon\.stopped"/);
        } finally {
          await daemon.stop('SIGKILL');
        }
      }),
  );

  it('temp files a killed daemon left are removed at start, never while another daemon runs', () =>
    withHome(async (home) => {
      await privateStateDir(home);
      const stale = [
        `${home.state.stateFile}.0b7c2d7e-58a4-4a8e-9d44-1f0f6c2b9a31.tmp`,
        `${home.state.stateFile}.f47ac10b-58cc-4372-a567-0e02b2c3d479.tmp`,
        `${home.state.runtimeFile}.999999.tmp`,
      ];
      const unrelated = join(home.state.dir, 'state.json.keep-me.tmp');
      const first = await spawnDaemon(undefined, { home });
      try {
        // Written while the first daemon runs: to a second one, these are writes in flight.
        for (const file of [...stale, unrelated]) await writeFile(file, '{}');
        const second = await runCli(
          ['daemon', 'start', '--foreground', '--config', join(home.dir, 'config.toml')],
          home.env,
        );
        assert.equal(second.code, 3, second.stderr);
        assert.deepEqual(
          stale.filter((file) => !existsSync(file)),
          [],
          'a daemon that is refused must not touch the running one’s temp files',
        );
      } finally {
        assert.equal(await first.stop(), 0, first.stderrTail());
      }
      const next = await spawnDaemon(first.config, { home });
      try {
        assert.deepEqual(
          stale.filter((file) => existsSync(file)),
          [],
          'leftover temp files survived a start',
        );
        assert.equal(existsSync(unrelated), true, 'a file of another shape was removed');
        const lines = (await readFile(home.state.logFile, 'utf8'))
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as { msg: string; removed?: number; pid?: number });
        const removals = lines.filter((l) => l.msg === 'leftover temp files removed');
        assert.deepEqual(
          removals.map((l) => [l.pid, l.removed]),
          [[next.pid, 3]],
        );
      } finally {
        assert.equal(await next.stop(), 0, next.stderrTail());
      }
    }));

  it('a cleanup that throws (daemon.json cannot be removed) stops nothing else: exit 1, PID file gone', async () => {
    const daemon = await spawnDaemon();
    try {
      // rm() without `recursive` refuses a directory: the runtime-file cleanup throws.
      await rm(daemon.home.state.runtimeFile);
      await mkdir(join(daemon.home.state.runtimeFile, 'in-the-way'), { recursive: true });
      assert.equal(await daemon.stop('SIGTERM'), 1, daemon.stderrTail());
      assert.match(daemon.stderr(), /"msg":"a cleanup failed; the stop goes on"/);
      assert.match(daemon.stderr(), /"msg":"shutdown failed"/);
      assert.equal(existsSync(daemon.home.state.pidFile), false, 'PID file left behind');
      await assert.rejects(fetch(`${daemon.url}/health`), 'the server still answers');
    } finally {
      await daemon.stop('SIGKILL');
      await daemon.home.remove();
    }
  });

  it('a cleanup that hangs (a request that never ends) meets the deadline: exit 1, PID file kept for a takeover', async () => {
    const daemon = await spawnDaemon();
    const { port } = new URL(daemon.url);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString()));
    socket.on('error', () => undefined); // the daemon's end goes away with its process
    try {
      // A request whose body never completes: the HTTP server's close waits for it.
      socket.write(
        [
          'POST /api/v1/new-session HTTP/1.1',
          `Host: 127.0.0.1:${port}`,
          `Authorization: Bearer ${daemon.token}`,
          'Content-Type: application/json',
          'Content-Length: 1000',
          'Expect: 100-continue',
          '',
          '',
        ].join('\r\n'),
      );
      await eventually('the daemon to take the request (100 Continue)', 10_000, () =>
        Promise.resolve(received.includes('100 Continue') ? true : undefined),
      );
      socket.write('{"session":');
      const code = await daemon.stop('SIGTERM');
      assert.equal(code, 1, daemon.stderrTail());
      assert.match(daemon.stderr(), /shutdown overran its deadline; exiting now/);
      assert.doesNotMatch(
        received,
        /HTTP\/1\.1 [45]\d\d/,
        'the daemon lived on past its deadline, until the request timed out',
      );
      assert.equal(existsSync(daemon.home.state.pidFile), true, 'PID file released too early');
      // The PID file names a dead process: the next daemon takes it over.
      const next = await spawnDaemon(daemon.config, { home: daemon.home });
      try {
        assert.equal((await readFile(daemon.home.state.pidFile, 'utf8')).trim(), String(next.pid));
      } finally {
        assert.equal(await next.stop(), 0, next.stderrTail());
      }
    } finally {
      socket.destroy();
      await daemon.stop('SIGKILL');
      await daemon.home.remove();
    }
  });

  it('an inline [http] token in a config others can read draws one warning: the file, chmod 600', () =>
    withHome(async (home) => {
      const token = 'a-token-of-my-own-4f9c2e7a1b';
      const toml = `[http]\nport = 0\ntoken = "${token}"\n[opencode]\nenabled = false\n`;
      const config = join(home.dir, 'config.toml');
      // spawnDaemon rewrites the file; an existing file keeps its mode, whatever the umask.
      await writeFile(config, '');
      await chmod(config, 0o644);
      const exposed = await spawnDaemon(toml, { home });
      const warning = `chmod 600 ${config}`;
      try {
        assert.equal(occurrences(exposed.stderr(), warning), 1, exposed.stderrTail());
        assert.match(exposed.stderr(), /holds \[http\] token and others can read it \(mode 0644\)/);
        assert.equal(exposed.stderr().includes(token), false, 'the token itself was logged');
      } finally {
        assert.equal(await exposed.stop(), 0, exposed.stderrTail());
      }
      await chmod(config, 0o600);
      const privateRun = await spawnDaemon(toml, { home });
      try {
        assert.equal(occurrences(privateRun.stderr(), warning), 0, privateRun.stderrTail());
      } finally {
        assert.equal(await privateRun.stop(), 0, privateRun.stderrTail());
      }
    }));
});
