import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { connectDaemon } from '../src/cli/daemon-client.js';
import type { CliContext } from '../src/cli/context.js';
import { runCli } from './helpers/run-cli.js';
import { spawnDaemon, type SpawnedDaemon } from './helpers/spawn-daemon.js';
import { createTempHome, type TempHome } from './helpers/temp-home.js';

const QUIET = '[opencode]\nenabled = false\n\n[claude_code]\nenabled = false\n';
const TOKEN = 'tok-3f9a1c7e5b2d4a6089e1f0c2d3b4a5e6';
const PASSWORD = 'pw-opencode-77c1e2d9aa0b';

interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** node:http, because fetch will not send a Host header other than the URL's. */
function raw(
  daemon: SpawnedDaemon,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<RawResponse> {
  const target = new URL(daemon.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: target.hostname, port: target.port, method, path, headers, agent: false },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text });
        });
        res.on('error', reject);
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error(`${method} ${path}: no answer in 5 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

function errorCode(res: RawResponse): string {
  return (JSON.parse(res.body) as { error: { code: string } }).error.code;
}

/** The daemon's own token (made in its state directory at start) as a header. */
function auth(daemon: SpawnedDaemon): Record<string, string> {
  return { authorization: `Bearer ${daemon.token}` };
}

function own(daemon: SpawnedDaemon): string {
  return new URL(daemon.url).host;
}

async function withDaemon(
  toml: string,
  run: (daemon: SpawnedDaemon) => Promise<void>,
  home?: TempHome,
): Promise<void> {
  const daemon = await spawnDaemon(toml, home === undefined ? {} : { home });
  try {
    await run(daemon);
    assert.equal(await daemon.stop(), 0, daemon.stderrTail());
  } catch (error) {
    throw new Error(`${String(error)}\nstderr:\n${daemon.stderrTail()}`, { cause: error });
  } finally {
    await daemon.stop('SIGKILL');
    await daemon.home.remove();
  }
}

/** Starts the daemon expecting a refusal; returns its stderr. Bounded by runCli's timeout. */
async function refusedStart(toml: string, home: TempHome): Promise<string> {
  const configPath = join(home.dir, 'config.toml');
  await writeFile(configPath, toml);
  const run = await runCli(['daemon', 'start', '--foreground', '--config', configPath], home.env, {
    timeoutMs: 15_000,
  });
  assert.equal(run.code, 1, `expected exit 1\nstdout: ${run.stdout}\nstderr: ${run.stderr}`);
  assert.equal(run.stdout, '', 'a refused start prints no ready line');
  return run.stderr;
}

describe('HTTP API security (built daemon, loopback, the token it makes)', () => {
  it('refuses foreign Host and Origin with 403; same-origin and no Origin pass', async () => {
    await withDaemon(`[http]\nport = 0\n\n${QUIET}`, async (daemon) => {
      for (const host of [`evil.example:${new URL(daemon.url).port}`, 'attacker.com']) {
        for (const path of ['/health', '/api/v1/status', '/api/v1/metrics']) {
          const res = await raw(daemon, 'GET', path, { host });
          assert.equal(res.status, 403, `${host} ${path}`);
          assert.equal(errorCode(res), 'forbidden');
        }
      }
      const cross = await raw(daemon, 'POST', '/api/v1/pause', {
        origin: 'http://evil.example',
        ...auth(daemon),
      });
      assert.equal(cross.status, 403);
      assert.equal(errorCode(cross), 'forbidden');
      const status = await raw(daemon, 'GET', '/api/v1/status', auth(daemon));
      assert.equal((JSON.parse(status.body) as { state: string }).state, 'monitoring');

      const same = await raw(daemon, 'POST', '/api/v1/pause', {
        origin: `http://${own(daemon)}`,
        ...auth(daemon),
      });
      assert.equal(same.status, 200, same.body);
      const port = new URL(daemon.url).port;
      const byName = await raw(daemon, 'POST', '/api/v1/resume', {
        host: `localhost:${port}`,
        ...auth(daemon),
      });
      assert.equal(byName.status, 200, byName.body);
    });
  });

  it('bodies: 256 KiB limit (413), JSON only (415), broken JSON (400)', async () => {
    await withDaemon(`[http]\nport = 0\n\n${QUIET}`, async (daemon) => {
      const json = { 'content-type': 'application/json', ...auth(daemon) };
      const big = JSON.stringify({ pad: 'x'.repeat(300 * 1024) });
      const tooBig = await raw(daemon, 'POST', '/api/v1/new-session', json, big);
      assert.equal(tooBig.status, 413);
      assert.equal(errorCode(tooBig), 'payload_too_large');
      const form = { 'content-type': 'text/plain', ...auth(daemon) };
      const text = await raw(daemon, 'POST', '/api/v1/new-session', form, '{}');
      assert.equal(text.status, 415);
      assert.equal(errorCode(text), 'unsupported_media_type');
      const broken = await raw(daemon, 'POST', '/api/v1/new-session', json, '{"x":');
      assert.equal(broken.status, 400);
      assert.equal(errorCode(broken), 'bad_request');
    });
  });

  it('every route but /health and the metrics needs the token it made, from loopback too', async () => {
    await withDaemon(`[http]\nport = 0\n\n${QUIET}`, async (daemon) => {
      const info = await stat(daemon.home.state.tokenFile);
      assert.equal(info.mode & 0o777, 0o600);
      assert.equal((await stat(daemon.home.state.dir)).mode & 0o777, 0o700);
      assert.match(daemon.token, /^[\w-]{43}$/);
      const json = { 'content-type': 'application/json' };
      const hookBody = '{"hook_event_name":"Stop","session_id":"s"}';
      const refused: [string, string, Record<string, string>, string?][] = [
        ['GET', '/api/v1/status', {}],
        ['GET', '/api/v1/sessions', {}],
        ['GET', '/api/v1/events', {}],
        ['POST', '/api/v1/pause', {}],
        ['POST', '/api/v1/sessions/x/wake', {}],
        ['POST', '/api/v1/hooks/claude-code', json, hookBody],
        ['POST', '/api/v1/token/rotate', {}],
      ];
      for (const [method, path, headers, body] of refused) {
        const res = await raw(daemon, method, path, headers, body);
        assert.equal(res.status, 401, `${method} ${path}: ${res.body}`);
        assert.match(res.body, /palingenesis token/);
        const wrong = { ...headers, authorization: 'Bearer not-the-token' };
        assert.equal((await raw(daemon, method, path, wrong, body)).status, 401);
      }
      assert.equal((await raw(daemon, 'GET', '/health')).status, 200);
      assert.equal((await raw(daemon, 'GET', '/api/v1/metrics')).status, 200);
      const hook = await raw(
        daemon,
        'POST',
        '/api/v1/hooks/claude-code',
        { ...json, ...auth(daemon) },
        hookBody,
      );
      assert.equal(hook.status, 202, hook.body);

      // The CLI needs no setup: it reads the same file.
      const status = await runCli(['status', '--json'], daemon.home.env);
      assert.equal(status.code, 0, status.stderr);
      const printed = await runCli(['token'], daemon.home.env);
      assert.equal(printed.stdout, `${daemon.token}\n`);
    });
  });

  it('token --rotate: the old token is refused at once, the CLI goes on with the new one', async () => {
    await withDaemon(`[http]\nport = 0\n\n${QUIET}`, async (daemon) => {
      const rotated = await runCli(['token', '--rotate'], daemon.home.env);
      assert.equal(rotated.code, 0, rotated.stderr);
      const fresh = rotated.stdout.trim();
      assert.notEqual(fresh, daemon.token);
      assert.equal((await readFile(daemon.home.state.tokenFile, 'utf8')).trim(), fresh);
      assert.equal((await raw(daemon, 'GET', '/api/v1/status', auth(daemon))).status, 401);
      const ok = await raw(daemon, 'GET', '/api/v1/status', { authorization: `Bearer ${fresh}` });
      assert.equal(ok.status, 200, ok.body);
      const status = await runCli(['status'], daemon.home.env);
      assert.equal(status.code, 0, status.stderr);
      const log = await readFile(daemon.home.state.logFile, 'utf8');
      assert.doesNotMatch(log, new RegExp(`${fresh}|${daemon.token}`), 'no token in the log');
    });
  });
});

describe('HTTP API security (built daemon, with a token)', () => {
  it('every route but /health and the metrics needs the configured token', async () => {
    const toml = `[http]\nport = 0\ntoken = "${TOKEN}"\n\n${QUIET}`;
    await withDaemon(toml, async (daemon) => {
      const none = await raw(daemon, 'POST', '/api/v1/pause');
      assert.equal(none.status, 401);
      assert.equal(none.headers['www-authenticate'], 'Bearer');
      assert.equal(errorCode(none), 'unauthorized');
      const wrong = await raw(daemon, 'POST', '/api/v1/pause', {
        authorization: `Bearer ${TOKEN.slice(0, -1)}0`,
      });
      assert.equal(wrong.status, 401);
      const right = await raw(daemon, 'POST', '/api/v1/pause', {
        authorization: `Bearer ${TOKEN}`,
      });
      assert.equal(right.status, 200, right.body);
      assert.equal((await raw(daemon, 'GET', '/api/v1/status')).status, 401);
      assert.equal((await raw(daemon, 'GET', '/api/v1/metrics')).status, 200);
      const hookBody = '{"hook_event_name":"Stop","session_id":"s"}';
      const json = { 'content-type': 'application/json' };
      const hook = await raw(daemon, 'POST', '/api/v1/hooks/claude-code', json, hookBody);
      assert.equal(hook.status, 401, hook.body);
      // Mirrored into the state directory, where the hook forwarder finds it.
      assert.equal(daemon.token, TOKEN);
      const authed = { ...json, authorization: `Bearer ${TOKEN}` };
      const delivered = await raw(daemon, 'POST', '/api/v1/hooks/claude-code', authed, hookBody);
      assert.equal(delivered.status, 202, delivered.body);
      const rotate = await runCli(['token', '--rotate'], daemon.home.env);
      assert.equal(rotate.code, 1);
      assert.match(rotate.stderr, /comes from \[http\] token or token_file/);
      const foreign = await raw(daemon, 'POST', '/api/v1/resume', {
        host: 'attacker.com',
        authorization: `Bearer ${TOKEN}`,
      });
      assert.equal(foreign.status, 403, 'the token does not excuse a foreign Host');
    });
  });

  it('the CLI client reads token_file and sends the token', async () => {
    const home = await createTempHome();
    const tokenFile = join(home.dir, 'api-token');
    await writeFile(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const toml = `[http]\nport = 0\ntoken_file = "${tokenFile}"\n\n${QUIET}`;
    await withDaemon(
      toml,
      async (daemon) => {
        assert.equal((await raw(daemon, 'POST', '/api/v1/pause')).status, 401);
        const ctx: CliContext = {
          pathEnv: home.pathEnv,
          stdout: () => undefined,
          stderr: () => undefined,
          readStdin: () => Promise.resolve(''),
        };
        const { client } = await connectDaemon(ctx, join(home.dir, 'config.toml'));
        assert.equal(client.url, daemon.url);
        assert.deepEqual(await client.call('POST', '/api/v1/pause'), {
          state: 'paused',
          stateCode: 2,
        });
      },
      home,
    );
  });

  it('never shows the token or the opencode password', async () => {
    const toml =
      `[daemon]\nlog_level = "debug"\n\n[http]\nport = 0\ntoken = "${TOKEN}"\n\n` +
      `[opencode]\nenabled = false\npassword = "${PASSWORD}"\n\n[claude_code]\nenabled = false\n`;
    const secrets = new RegExp(`${TOKEN}|${PASSWORD}`);
    await withDaemon(toml, async (daemon) => {
      const auth = { authorization: `Bearer ${TOKEN}` };
      await raw(daemon, 'POST', '/api/v1/pause', { authorization: `Bearer ${PASSWORD}` });
      await raw(daemon, 'POST', '/api/v1/pause', auth);
      for (const path of ['/api/v1/status', '/api/v1/sessions', '/api/v1/metrics', '/health']) {
        const res = await raw(daemon, 'GET', path, auth);
        assert.equal(res.status, 200, `${path}: ${res.body}`);
        assert.doesNotMatch(res.body, secrets, path);
      }
      const configPath = join(daemon.home.dir, 'config.toml');
      for (const args of [
        ['config', 'show'],
        ['config', 'show', '--json'],
      ]) {
        const run = await runCli([...args, '--config', configPath], daemon.home.env);
        assert.equal(run.code, 0, run.stderr);
        assert.match(run.stdout, /<redacted>/);
        assert.doesNotMatch(run.stdout + run.stderr, secrets, args.join(' '));
      }
      assert.equal(await daemon.stop(), 0, daemon.stderrTail());
      const log = await readFile(daemon.home.state.logFile, 'utf8');
      assert.match(log, /daemon\.stopped/);
      assert.doesNotMatch(log, secrets, 'log file');
      assert.doesNotMatch(daemon.stdout() + daemon.stderrTail(), secrets, 'daemon output');
    });
  });
});

describe('HTTP API security (refusals at startup)', () => {
  it('a token_file readable by others: exit 1 naming the file and its mode', async () => {
    const home = await createTempHome();
    try {
      const tokenFile = join(home.dir, 'api-token');
      await writeFile(tokenFile, TOKEN, { mode: 0o644 });
      const stderr = await refusedStart(`[http]\nport = 0\ntoken_file = "${tokenFile}"\n`, home);
      assert.match(stderr, new RegExp(`${tokenFile} has mode 0644; it must be 0600 or stricter`));
      assert.doesNotMatch(stderr, new RegExp(TOKEN));
    } finally {
      await home.remove();
    }
  });

  it('bound to 0.0.0.0 without a token: exit 1 telling to set one', async () => {
    const home = await createTempHome();
    try {
      const stderr = await refusedStart(`[http]\nhost = "0.0.0.0"\nport = 0\n\n${QUIET}`, home);
      assert.match(stderr, /http\.host = "0\.0\.0\.0" is not a loopback address/);
      assert.match(stderr, /set \[http\] token or token_file/);
    } finally {
      await home.remove();
    }
  });

  it('bound to 0.0.0.0 with a token: only /health and the metrics are open', async () => {
    const toml = `[http]\nhost = "0.0.0.0"\nport = 0\ntoken = "${TOKEN}"\n\n${QUIET}`;
    await withDaemon(toml, async (daemon) => {
      assert.equal((await raw(daemon, 'GET', '/health')).status, 200);
      assert.equal((await raw(daemon, 'GET', '/api/v1/metrics')).status, 200);
      assert.equal((await raw(daemon, 'GET', '/api/v1/status')).status, 401);
      const auth = { authorization: `Bearer ${TOKEN}` };
      assert.equal((await raw(daemon, 'GET', '/api/v1/status', auth)).status, 200);
      // Hooks too: loopback is no boundary.
      const hook = await raw(
        daemon,
        'POST',
        '/api/v1/hooks/claude-code',
        { 'content-type': 'application/json' },
        '{"hook_event_name":"Stop","session_id":"s"}',
      );
      assert.equal(hook.status, 401, hook.body);
    });
  });
});
