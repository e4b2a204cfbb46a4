import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { stringify } from 'smol-toml';
import type { FakeLlm } from '../fake-llm/server.js';
import { createTempHome, type TempHome } from './temp-home.js';
import { createWaiters } from './waiters.js';

// Runs the real Codex CLI (devDependency @openai/codex, 0.171.0) offline against the fake LLM's
// Responses API. Observed layout: everything under `$CODEX_HOME` — `config.toml`, rollouts in
// `sessions/YYYY/MM/DD/rollout-<local time>-<thread id>.jsonl`, SQLite indexes (`state_5.sqlite`,
// …), and `thread-writer-locks/<thread id>.lock`, which the process writing the thread holds with
// an exclusive flock (the empty file stays after exit or kill -9). Headless `codex exec` keeps the
// rollout and that lock open until it exits; its cmdline names the thread only for `exec resume`.
//
// The TUI (not driven here yet) opens without dialogs with the `tui` and `projects` settings of
// codexConfig. By default it runs threads in a shared background `codex app-server
// --managed-daemon` that it copies into `$CODEX_HOME/packages/` (424 MB) and that outlives it;
// that daemon holds the rollout and the lock, and it refuses `--disable plugins`, so drive the
// TUI with `--no-daemon` (then the TUI process holds both, idle or not).

const PLATFORM_PACKAGES: Readonly<Record<string, readonly [string, string]>> = {
  'linux-x64': ['@openai/codex-linux-x64', 'x86_64-unknown-linux-musl'],
  'linux-arm64': ['@openai/codex-linux-arm64', 'aarch64-unknown-linux-musl'],
  'darwin-x64': ['@openai/codex-darwin-x64', 'x86_64-apple-darwin'],
  'darwin-arm64': ['@openai/codex-darwin-arm64', 'aarch64-apple-darwin'],
};

/**
 * The native binary inside the platform package, which `node_modules/.bin/codex` (a Node script)
 * runs. Tests spawn it directly so the pid is Codex's: on Node 20 the wrapper has no
 * `process.execve` and stays as a Node parent (cmdline `node …/.bin/codex exec …`, no rollout
 * fd, no lock) with the native `codex` as its child (which died with it on kill -9 here). On
 * Node ≥ 22.15 the wrapper execs, and its pid is Codex's.
 */
export function findCodexBinary(): string {
  const found = PLATFORM_PACKAGES[`${process.platform}-${process.arch}`];
  if (found === undefined)
    throw new Error(`no Codex binary for ${process.platform}-${process.arch}`);
  const [pkg, triple] = found;
  const require = createRequire(import.meta.url);
  const root = dirname(require.resolve(`${pkg}/package.json`));
  const bin = join(root, 'vendor', triple, 'bin', 'codex');
  if (!existsSync(bin)) throw new Error(`${bin} is missing; run npm ci`);
  return bin;
}

export interface CodexHomeOptions {
  /** `stream_max_retries` of the fake provider: turn-level retries ("Reconnecting... n/5"). */
  readonly streamMaxRetries?: number;
  /** `request_max_retries`: quiet HTTP-level retries of 5xx (default 4, backoff 0.2 s → 1.6 s). */
  readonly requestMaxRetries?: number;
  /** Added to config.toml at the top level, e.g. `{ notify: [...] }`. */
  readonly extraConfig?: Readonly<Record<string, unknown>>;
}

export interface CodexHome {
  readonly home: TempHome;
  /** `$CODEX_HOME` (`<home>/.codex`). */
  readonly codexHome: string;
  /** The cwd Codex runs in, trusted in config.toml. */
  readonly project: string;
  readonly configPath: string;
  readonly env: NodeJS.ProcessEnv;
  remove(): Promise<void>;
}

/** The env var config.toml names as the provider's key; Codex sends it as a bearer token. */
const KEY_ENV = 'PALINGENESIS_FAKE_OPENAI_KEY';

/** config.toml for an offline Codex talking to `baseUrl` (the fake's `/v1`). */
export function codexConfig(
  baseUrl: string,
  project: string,
  options: CodexHomeOptions = {},
): Record<string, unknown> {
  return {
    model: 'fake-model',
    model_provider: 'fake',
    check_for_update_on_startup: false,
    ...options.extraConfig,
    model_providers: {
      fake: {
        name: 'Fake',
        base_url: baseUrl,
        env_key: KEY_ENV,
        // "chat" is rejected by 0.171; websockets would be tried first otherwise.
        wire_api: 'responses',
        supports_websockets: false,
        ...(options.streamMaxRetries === undefined
          ? {}
          : { stream_max_retries: options.streamMaxRetries }),
        ...(options.requestMaxRetries === undefined
          ? {}
          : { request_max_retries: options.requestMaxRetries }),
      },
    },
    analytics: { enabled: false },
    // Without these the TUI opens with the screen-reader and model-availability notices.
    tui: { screen_reader_detection_done: true, model_availability_nux: { 'gpt-6.1-sol': 1 } },
    // Trusted: no "Trust this folder?" dialog in the TUI; exec then runs workspace-write.
    projects: { [project]: { trust_level: 'trusted' } },
  };
}

/** A fresh HOME with `$CODEX_HOME/config.toml` pointing at the fake, and a project dir. */
export async function createCodexHome(
  fake: Pick<FakeLlm, 'url'>,
  options: CodexHomeOptions = {},
): Promise<CodexHome> {
  const home = await createTempHome();
  const codexHome = join(home.dir, '.codex');
  const project = join(home.dir, 'project');
  const configPath = join(codexHome, 'config.toml');
  await mkdir(codexHome);
  await mkdir(project);
  await writeFile(configPath, stringify(codexConfig(fake.url, project, options)));
  // A developer's own Codex or OpenAI settings must not leak in.
  const inherited = Object.entries(home.env).filter(
    ([key]) => !key.startsWith('CODEX_') && !key.startsWith('OPENAI_'),
  );
  const env = {
    ...Object.fromEntries(inherited),
    CODEX_HOME: codexHome,
    [KEY_ENV]: 'sk-fake',
    // Codex writes reset times in the local zone ("try again at 2:18 PM."): pin it.
    TZ: 'UTC',
  };
  return { home, codexHome, project, configPath, env, remove: () => home.remove() };
}

/** One line of `codex exec --json` stdout: `thread.started`, `turn.failed`, `error`, … */
export interface ExecEvent {
  readonly type: string;
  readonly [key: string]: unknown;
}

export interface CodexExecResult {
  readonly pid: number;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly events: readonly ExecEvent[];
  readonly stderr: string;
  readonly durationMs: number;
  /** From `thread.started`; undefined when Codex exited before it. */
  readonly threadId: string | undefined;
}

export interface CodexExecOptions {
  readonly home: CodexHome;
  readonly prompt: string;
  /** `exec resume <threadId> <prompt>`. */
  readonly resume?: string;
  /** Defaults to the home's project dir. */
  readonly cwd?: string;
  readonly extraArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Aborting kills the process (SIGKILL). */
  readonly signal?: AbortSignal;
  /** The process is killed and `done` rejects after this long; 30 s by default. */
  readonly timeoutMs?: number;
}

export interface CodexExecRun {
  readonly pid: number;
  readonly child: ChildProcess;
  events(): readonly ExecEvent[];
  waitForEvent(predicate: (event: ExecEvent) => boolean, timeoutMs: number): Promise<ExecEvent>;
  readonly done: Promise<CodexExecResult>;
  /** SIGKILL, as a crash would; resolves with the result. */
  kill9(): Promise<CodexExecResult>;
  stderrTail(): string;
}

/** The argv after the binary: `exec --json … [resume <id>] <prompt>`. */
export function execArgs(options: Pick<CodexExecOptions, 'prompt' | 'resume' | 'extraArgs'>) {
  // `plugins` / `remote_plugin` would `git ls-remote` a plugins repository at start.
  const args = ['exec', '--json', '--skip-git-repo-check', '--disable', 'plugins'];
  args.push('--disable', 'remote_plugin', ...(options.extraArgs ?? []));
  if (options.resume !== undefined) args.push('resume', options.resume);
  args.push(options.prompt);
  return args;
}

/** Spawns `codex exec --json` in the project dir and collects its JSON events as they come. */
export function startCodexExec(options: CodexExecOptions): CodexExecRun {
  const h = options.home;
  const started = Date.now();
  // stdin must be closed: with an open pipe, exec waits for EOF to append it to the prompt.
  const child = spawn(findCodexBinary(), execArgs(options), {
    cwd: options.cwd ?? h.project,
    env: { ...h.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.signal === undefined ? {} : { signal: options.signal, killSignal: 'SIGKILL' }),
  });
  const events: ExecEvent[] = [];
  const waiters = createWaiters<ExecEvent>();
  let pending = '';
  let stderr = '';
  const take = (text: string): void => {
    for (const line of text.split('\n')) if (line.trim() !== '') events.push(parseEvent(line));
  };
  child.stdout.on('data', (chunk: Buffer) => {
    const parts = (pending + chunk.toString()).split('\n');
    pending = parts.pop() ?? '';
    take(parts.join('\n'));
    waiters.notify(events);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const stderrTail = (): string => stderr.split('\n').slice(-20).join('\n');
  const done = new Promise<CodexExecResult>((resolve, reject) => {
    child.once('error', (error) => {
      if (error.name !== 'AbortError') reject(error);
    });
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      take(pending);
      waiters.rejectAll(new Error(`codex exited (${exitCode ?? signal ?? '?'})`));
      if (timedOut) {
        reject(new Error(`codex exec outlived ${timeoutMs} ms; stderr:\n${stderrTail()}`));
        return;
      }
      const threadId = events.find((e) => e.type === 'thread.started')?.['thread_id'];
      resolve({
        pid: child.pid ?? -1,
        exitCode,
        signal,
        events,
        stderr,
        durationMs: Date.now() - started,
        threadId: typeof threadId === 'string' ? threadId : undefined,
      });
    });
  });
  if (child.pid === undefined) throw new Error('could not spawn codex');
  return {
    pid: child.pid,
    child,
    events: () => [...events],
    waitForEvent: (predicate, ms) =>
      waiters.wait(events, (all) => all.find(predicate), ms, 'a codex exec event'),
    done,
    kill9: () => {
      child.kill('SIGKILL');
      return done;
    },
    stderrTail,
  };
}

export function runCodexExec(options: CodexExecOptions): Promise<CodexExecResult> {
  return startCodexExec(options).done;
}

function parseEvent(line: string): ExecEvent {
  try {
    const value: unknown = JSON.parse(line);
    if (typeof value === 'object' && value !== null && 'type' in value) {
      const { type } = value;
      if (typeof type === 'string') return { ...value, type };
    }
  } catch {
    // Not JSON: keep the raw line so a failure message shows it.
  }
  return { type: 'unparsed', line };
}

/** `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*-<threadId>.jsonl`, or undefined when absent. */
export async function rolloutFileFor(
  home: Pick<CodexHome, 'codexHome'>,
  threadId: string,
): Promise<string | undefined> {
  const root = join(home.codexHome, 'sessions');
  const entries = await readdir(root, { recursive: true }).catch(() => []);
  const found = entries.find(
    (path) => path.endsWith(`-${threadId}.jsonl`) && path.includes('rollout-'),
  );
  return found === undefined ? undefined : join(root, found);
}
