import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTempHome, type TempHome } from './temp-home.js';

export const CLI_PATH = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));

export interface SpawnedDaemon {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly home: TempHome;
  readonly readyLine: string;
  /** The API token the daemon made (or mirrored) in its state directory. */
  readonly token: string;
  /** fetch on the daemon's URL with its token: `api('/api/v1/status')`. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** The TOML the daemon was started with, to start another on the same HOME. */
  readonly config: string;
  /** Everything the daemon printed on stdout so far. */
  stdout(): string;
  /** Everything the daemon printed on stderr so far. */
  stderr(): string;
  /** The last lines of stderr, for failure messages. */
  stderrTail(): string;
  /** Sends a signal and resolves with the exit code (bounded; SIGKILL after the bound). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const READY = /^palingenesis listening on (http:\/\/\S+)$/m;

/** Spawns the built CLI as a foreground daemon in a temp HOME and waits for its ready line. */
export async function spawnDaemon(
  // opencode off by default: the developer may run their own on :4096 (Claude Code sees the temp HOME).
  configToml = '[http]\nport = 0\n[opencode]\nenabled = false\n',
  options: {
    home?: TempHome;
    timeoutMs?: number;
    env?: NodeJS.ProcessEnv;
    /** Another build's cli.js (a snapshot of dist/ that later builds cannot change). */
    cli?: string;
  } = {},
): Promise<SpawnedDaemon> {
  const home = options.home ?? (await createTempHome());
  const configPath = join(home.dir, 'config.toml');
  await writeFile(configPath, configToml);
  const child = spawn(
    process.execPath,
    [options.cli ?? CLI_PATH, 'daemon', 'start', '--foreground', '--config', configPath],
    {
      env: options.env ?? home.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const stderrTail = (): string => err.split('\n').slice(-20).join('\n');
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

  const hasExited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const readyLine = await waitFor(
    () => READY.exec(out)?.[0],
    options.timeoutMs ?? 15_000,
    hasExited,
  ).catch((error: unknown) => {
    child.kill('SIGKILL');
    throw new Error(`daemon did not become ready: ${String(error)}\nstderr:\n${stderrTail()}`);
  });
  const url = READY.exec(readyLine)?.[1] ?? '';
  const pid = child.pid ?? -1;
  const token = (await readFile(home.state.tokenFile, 'utf8').catch(() => '')).trim();
  return {
    child,
    pid,
    url,
    home,
    readyLine,
    token,
    api: (path, init) => authedFetch(url, token, path, init),
    config: configToml,
    stdout: () => out,
    stderr: () => err,
    stderrTail,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      try {
        const [code] = await exited;
        return code;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

async function waitFor<T>(
  probe: () => T | undefined,
  timeoutMs: number,
  hasExited: () => boolean,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (hasExited()) throw new Error('the process exited');
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** fetch with `Authorization: Bearer <token>` added to whatever headers `init` has. */
export function authedFetch(
  url: string,
  token: string,
  path: string,
  init: RequestInit = {},
): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return fetch(`${url}${path}`, { ...init, headers });
}
