import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { parseExposition, sampleOf } from './helpers/exposition.js';
import { runCli } from './helpers/run-cli.js';
import { spawnDaemon } from './helpers/spawn-daemon.js';
import { createTempHome } from './helpers/temp-home.js';

describe('daemon start --foreground (built CLI, temp HOME)', () => {
  it('prints one ready line, serves metrics, and on SIGTERM exits 0 and removes the PID file', async () => {
    const daemon = await spawnDaemon();
    try {
      assert.match(daemon.readyLine, /^palingenesis listening on http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await readFile(daemon.home.state.pidFile, 'utf8')).trim(), String(daemon.pid));
      const res = await fetch(`${daemon.url}/api/v1/metrics`);
      assert.equal(res.status, 200);
      const families = parseExposition(await res.text());
      assert.equal(sampleOf(families, 'palingenesis_daemon_state').value, 1);
      const commit = sampleOf(families, 'palingenesis_build_info').labels['commit'];
      const built = JSON.parse(
        await readFile(new URL('../dist/build-info.json', import.meta.url), 'utf8'),
      ) as {
        commit: string;
      };
      assert.equal(commit, built.commit);

      const code = await daemon.stop('SIGTERM');
      assert.equal(code, 0, daemon.stderrTail());
      assert.equal(existsSync(daemon.home.state.pidFile), false, 'PID file left behind');
      assert.equal(
        daemon.stdout(),
        `${daemon.readyLine}\n`,
        'stdout must hold exactly the ready line',
      );
      const log = (await readFile(daemon.home.state.logFile, 'utf8')).trim().split('\n');
      const messages = log.map((line) => (JSON.parse(line) as { msg: string }).msg);
      assert.deepEqual(
        messages.filter((m) => m.startsWith('daemon.')),
        ['daemon.started', 'daemon.signal', 'daemon.stopping', 'daemon.stopped'],
      );
    } finally {
      await daemon.stop('SIGKILL');
      await daemon.home.remove();
    }
  });

  it('SIGINT (Ctrl-C) is a clean stop too', async () => {
    const daemon = await spawnDaemon();
    try {
      assert.equal(await daemon.stop('SIGINT'), 0, daemon.stderrTail());
      assert.equal(existsSync(daemon.home.state.pidFile), false);
    } finally {
      await daemon.home.remove();
    }
  });

  it('a second instance is refused with exit 3 and the first keeps running', async () => {
    const first = await spawnDaemon();
    try {
      const second = await runCli(
        ['daemon', 'start', '--foreground', '--config', `${first.home.dir}/config.toml`],
        first.home.env,
      );
      assert.equal(second.code, 3, second.stderr);
      assert.match(second.stderr, new RegExp(`already running \\(pid ${first.pid}`));
      assert.equal((await fetch(`${first.url}/health`)).status, 200);
      assert.equal((await readFile(first.home.state.pidFile, 'utf8')).trim(), String(first.pid));
    } finally {
      assert.equal(await first.stop(), 0);
      await first.home.remove();
    }
  });

  it('a stale PID file from a dead process is taken over', async () => {
    const home = await createTempHome();
    const dead = spawnSync(process.execPath, ['-e', 'process.exit(0)']);
    await mkdir(home.state.dir, { recursive: true });
    await writeFile(home.state.pidFile, `${dead.pid}\n`);
    const daemon = await spawnDaemon(undefined, { home });
    try {
      assert.equal((await readFile(home.state.pidFile, 'utf8')).trim(), String(daemon.pid));
    } finally {
      assert.equal(await daemon.stop(), 0);
      await home.remove();
    }
  });

  it('a corrupt state file is moved aside and reported, never silently reset', async () => {
    const home = await createTempHome();
    await mkdir(home.state.dir, { recursive: true });
    await writeFile(home.state.stateFile, '{"version":1,"jobs":[{"agent":');
    const daemon = await spawnDaemon(undefined, { home });
    try {
      const moved = (await readdir(home.state.dir)).filter((f) =>
        f.startsWith('state.json.corrupt-'),
      );
      assert.equal(moved.length, 1, 'corrupt file not preserved');
      assert.equal(
        await readFile(join(home.state.dir, moved[0] ?? ''), 'utf8'),
        '{"version":1,"jobs":[{"agent":',
      );
      assert.match(
        await readFile(home.state.logFile, 'utf8'),
        /state file unreadable: moved aside/,
      );
      assert.equal((await fetch(`${daemon.url}/health`)).status, 200);
    } finally {
      assert.equal(await daemon.stop(), 0);
      await home.remove();
    }
  });

  it('an invalid config is refused with exit 1, naming each key and line; no PID file', async () => {
    const home = await createTempHome();
    try {
      const path = `${home.dir}/bad.toml`;
      await writeFile(path, '[http]\nport = "7654"\n\n[otel]\nmetrics = true\n');
      const run = await runCli(['daemon', 'start', '--foreground', '--config', path], home.env);
      assert.equal(run.code, 1);
      assert.match(run.stderr, /bad\.toml:2: http\.port: expected number/);
      assert.match(run.stderr, /bad\.toml:5: otel\.metrics: unknown key/);
      assert.equal(run.stdout, '');
      assert.equal(existsSync(home.state.pidFile), false);
    } finally {
      await home.remove();
    }
  });

  it('a port in use is a clear error, exit 1, and the PID file is released', async () => {
    const home = await createTempHome();
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    try {
      const address = blocker.address();
      assert.ok(address !== null && typeof address !== 'string');
      const path = `${home.dir}/config.toml`;
      await writeFile(path, `[http]\nport = ${address.port}\n`);
      const run = await runCli(['daemon', 'start', '--foreground', '--config', path], home.env);
      assert.equal(run.code, 1);
      assert.match(
        run.stderr,
        new RegExp(`cannot listen on 127\\.0\\.0\\.1:${address.port}: the address is in use`),
      );
      assert.equal(existsSync(home.state.pidFile), false);
    } finally {
      blocker.close();
      await home.remove();
    }
  });

  it('with [http] enabled = false it still runs and says so', async () => {
    const home = await createTempHome();
    try {
      const path = `${home.dir}/config.toml`;
      await writeFile(path, '[http]\nenabled = false\n');
      const { spawn } = await import('node:child_process');
      const { CLI_PATH } = await import('./helpers/spawn-daemon.js');
      const child = spawn(
        process.execPath,
        [CLI_PATH, 'daemon', 'start', '--foreground', '-c', path],
        {
          env: home.env,
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      const [line] = (await once(child.stdout, 'data')) as [Buffer];
      assert.match(line.toString(), /^palingenesis running \(pid \d+, HTTP API disabled\)\n$/);
      child.kill('SIGTERM');
      const [code] = (await once(child, 'exit')) as [number | null];
      assert.equal(code, 0);
    } finally {
      await home.remove();
    }
  });
});
