import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { freePort } from './prometheus-server.js';
import { createTempHome, type TempHome } from './temp-home.js';

/** The opencode binary that `npm ci` installs (devDependency `opencode-ai`, via its postinstall). */
export const OPENCODE_BIN = fileURLToPath(
  new URL('../../node_modules/.bin/opencode', import.meta.url),
);

export interface OpencodeServer {
  /** `http://127.0.0.1:PORT`; the same across restart(). */
  readonly url: string;
  /** PID of the current `opencode serve` child (changes on restart). */
  readonly pid: number;
  readonly home: TempHome;
  /** The project directory sessions are created in (`?directory=`). */
  readonly directory: string;
  /** The version `/global/health` reported at the last (re)start. */
  readonly version: string;
  /** Kills the server (SIGTERM, then SIGKILL) and removes HOME; idempotent, final. */
  stop(): Promise<void>;
  /** SIGKILL, as a crash would; HOME and port are kept for restart(). */
  kill9(): Promise<void>;
  /** Starts a new server on the same HOME, project and port, and waits for health. */
  restart(): Promise<void>;
  stderrTail(): string;
}

export interface StartOpencodeOptions {
  /** The fake's OpenAI base URL, `http://127.0.0.1:PORT/v1`. */
  readonly fakeLlmUrl: string;
  /** Bound on boot until `/global/health` answers (first boot takes ~5 s on 2 cores). */
  readonly bootTimeoutMs?: number;
  /** Model context limit; small so overflow tests need little text. */
  readonly contextLimit?: number;
  /** Sets OPENCODE_SERVER_PASSWORD: every request then needs basic auth (user `opencode`). */
  readonly password?: string;
}

/** The Authorization header for a server started with a password. */
export function basicAuth(password: string, username = 'opencode'): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
}

/** Provider config for the fake; `small_model` too, so nothing reaches for a real provider. */
export function opencodeConfig(fakeLlmUrl: string, contextLimit = 8192): Record<string, unknown> {
  return {
    $schema: 'https://opencode.ai/config.json',
    autoupdate: false,
    share: 'disabled',
    model: 'fake/fake-model',
    small_model: 'fake/fake-model',
    enabled_providers: ['fake'],
    provider: {
      fake: {
        npm: '@ai-sdk/openai-compatible',
        name: 'Fake',
        options: { baseURL: fakeLlmUrl, apiKey: 'dummy' },
        models: { 'fake-model': { name: 'Fake', limit: { context: contextLimit, output: 1024 } } },
      },
    },
  };
}

export function opencodeEnv(home: TempHome, config: Record<string, unknown>): NodeJS.ProcessEnv {
  // Inherited OPENCODE_* (a developer's own server password, config path…) would change behaviour.
  const env = Object.fromEntries(
    Object.entries(home.env).filter(([key]) => !key.startsWith('OPENCODE_')),
  );
  return {
    ...env,
    // opencode keeps its SQLite database under XDG_DATA_HOME and caches under XDG_CACHE_HOME.
    XDG_DATA_HOME: join(home.dir, '.local', 'share'),
    XDG_CACHE_HOME: join(home.dir, '.cache'),
    // opencode 1.18.33 also creates $TMPDIR/opencode; keep that inside the temp HOME too.
    TMPDIR: join(home.dir, 'tmp'),
    OPENCODE_CONFIG_CONTENT: JSON.stringify(config),
    OPENCODE_DISABLE_AUTOUPDATE: '1',
    OPENCODE_DISABLE_MODELS_FETCH: '1',
    OPENCODE_DISABLE_LSP_DOWNLOAD: '1',
    OPENCODE_DISABLE_DEFAULT_PLUGINS: '1',
    OPENCODE_DISABLE_SHARE: '1',
  };
}

/** Spawns `opencode serve` on loopback in a fresh HOME and waits until it is healthy. */
export async function startOpencode(options: StartOpencodeOptions): Promise<OpencodeServer> {
  const home = await createTempHome();
  const directory = join(home.dir, 'project');
  await mkdir(directory, { recursive: true });
  await mkdir(join(home.dir, 'tmp'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = opencodeEnv(home, opencodeConfig(options.fakeLlmUrl, options.contextLimit));
  if (options.password !== undefined) env['OPENCODE_SERVER_PASSWORD'] = options.password;
  const headers = options.password === undefined ? {} : basicAuth(options.password);
  const bootTimeoutMs = options.bootTimeoutMs ?? 30_000;
  let output = '';
  let child: ChildProcess | undefined;
  let version = '';
  let stopped: Promise<void> | undefined;

  const stderrTail = (): string => output.split('\n').slice(-20).join('\n');
  const spawnServer = async (): Promise<void> => {
    const next = spawn(OPENCODE_BIN, ['serve', '--hostname', '127.0.0.1', '--port', String(port)], {
      env,
      cwd: directory,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = next;
    // stdout only carries the "listening" line and a no-password warning; keep both in the tail.
    next.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    next.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    version = await waitHealthy(url, next, bootTimeoutMs, headers).catch(async (error: unknown) => {
      await killAndWait(next, 'SIGKILL');
      throw new Error(`opencode serve did not become healthy: ${String(error)}\n${stderrTail()}`);
    });
  };

  try {
    await spawnServer();
  } catch (error) {
    await home.remove();
    throw error;
  }

  return {
    url,
    get pid() {
      return child?.pid ?? -1;
    },
    get version() {
      return version;
    },
    home,
    directory,
    stderrTail,
    stop() {
      stopped ??= (async () => {
        if (child) await killAndWait(child, 'SIGTERM');
        await home.remove();
      })();
      return stopped;
    },
    async kill9() {
      if (child) await killAndWait(child, 'SIGKILL');
    },
    async restart() {
      if (stopped) throw new Error('restart() after stop()');
      if (child) await killAndWait(child, 'SIGKILL');
      await spawnServer();
    },
  };
}

/** Signals the child and waits for its exit, escalating to SIGKILL after 5 s. */
async function killAndWait(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

const healthSchema = z.object({ healthy: z.literal(true), version: z.string() });

/**
 * Polls `/global/health` until it answers `{healthy: true, version}`; each probe has its own
 * timeout because opencode 1.18.33 can accept a connection and not answer while it boots.
 */
async function waitHealthy(
  url: string,
  child: ChildProcess,
  timeoutMs: number,
  headers: Record<string, string>,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error('the process exited');
    const res = await fetch(`${url}/global/health`, {
      headers,
      signal: AbortSignal.timeout(1_000),
    }).catch(() => undefined);
    const body: unknown = res?.ok === true ? await res.json().catch(() => undefined) : undefined;
    const health = healthSchema.safeParse(body);
    if (health.success) return health.data.version;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await sleep(100);
  }
}
