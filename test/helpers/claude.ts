import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { format, resolveConfig } from 'prettier';
import { createTempHome, type TempHome } from './temp-home.js';
import { createWaiters } from './waiters.js';

// Runs the real Claude Code (devDependency @anthropic-ai/claude-code, 2.1.332) offline against
// the fake LLM: headless (`claude -p … --output-format stream-json --verbose`) as a child, or
// interactive inside tmux on a dedicated socket in the temp HOME. Observed layout: everything
// lives under `$CLAUDE_CONFIG_DIR` (default `~/.claude`; `.claude.json` moves into it too):
// `projects/<cwd, every non-alphanumeric → "-">/<sessionId>.jsonl` transcripts, and
// `sessions/<pid>.json` while a process runs, headless ones too (removed on a clean exit, left
// behind by kill -9).

export const CLAUDE_BIN = fileURLToPath(new URL('../../node_modules/.bin/claude', import.meta.url));
const FIXTURE_DIR = new URL('../fixtures/claude-code/', import.meta.url);
const run = promisify(execFile);

/** `api-key`: ANTHROPIC_API_KEY=dummy. `oauth`: a dummy subscription token (plan limits). */
export type ClaudeAuth = 'api-key' | 'oauth';

/** Hook events the temp HOME's settings.json forwards to `hooks.jsonl`. */
export const HOOK_EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'Stop',
  'StopFailure',
  'PreCompact',
  'PostCompact',
  'Notification',
  'SessionEnd',
] as const;

export interface ClaudeEnvOptions {
  /** The fake's `anthropicUrl` (no /v1). */
  readonly baseUrl: string;
  readonly auth?: ClaudeAuth;
  /** CLAUDE_CODE_MAX_RETRIES; 1 keeps failing turns at two requests. */
  readonly maxRetries?: number;
}

/** The environment for an offline Claude Code in `home`; inherited Claude settings are dropped. */
export function claudeEnv(home: TempHome, options: ClaudeEnvOptions): NodeJS.ProcessEnv {
  const inherited = Object.entries(home.env).filter(
    ([key]) => !/^(ANTHROPIC_|CLAUDE_|CLAUDECODE|TMUX)/.test(key) && !key.startsWith('DISABLE_'),
  );
  const auth: Record<string, string> =
    options.auth === 'oauth'
      ? { CLAUDE_CODE_OAUTH_TOKEN: 'sk-ant-oat01-dummy' }
      : { ANTHROPIC_API_KEY: 'dummy' };
  return {
    ...Object.fromEntries(inherited),
    ...auth,
    ANTHROPIC_BASE_URL: options.baseUrl,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_AUTOUPDATER: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_MAX_RETRIES: String(options.maxRetries ?? 1),
    // Claude Code puts its messaging socket (cc-socks/<pid>.sock, left behind by kill -9) and
    // fswatch probes under TMPDIR: keep them in the temp HOME.
    TMPDIR: join(home.dir, 'tmp'),
  };
}

/**
 * Writes `~/.claude.json` (onboarding done, the dummy key approved, `cwd` trusted) and, with
 * `hooksFile`, `~/.claude/settings.json` whose hooks append each payload as one line.
 */
export async function prepareClaudeHome(
  homeDir: string,
  cwd: string,
  options: { hooksFile?: string } = {},
): Promise<void> {
  const claudeJson = {
    hasCompletedOnboarding: true,
    customApiKeyResponses: { approved: ['dummy'], rejected: [] },
    projects: { [cwd]: { hasTrustDialogAccepted: true } },
  };
  await writeFile(join(homeDir, '.claude.json'), JSON.stringify(claudeJson, null, 2));
  await mkdir(join(homeDir, '.claude'), { recursive: true });
  if (options.hooksFile === undefined) return;
  const command = `cat >> '${options.hooksFile}'; echo >> '${options.hooksFile}'`;
  const hook = [{ hooks: [{ type: 'command', command }] }];
  const hooks = Object.fromEntries(HOOK_EVENTS.map((event) => [event, hook]));
  await writeFile(join(homeDir, '.claude', 'settings.json'), JSON.stringify({ hooks }, null, 2));
}

/** Claude Code's project folder name for a cwd: every non-alphanumeric character becomes "-". */
export function projectDirName(cwd: string): string {
  return cwd.replace(/[^a-zA-Z0-9]/g, '-');
}

export interface ClaudeHome {
  readonly home: TempHome;
  /** The cwd Claude Code runs in (trusted in ~/.claude.json). */
  readonly project: string;
  /** `~/.claude`. */
  readonly configDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Where the hooks append their payloads (one JSON object a line). */
  readonly hooksFile: string;
  transcriptPath(sessionId: string): string;
  readTranscript(sessionId: string): Promise<unknown[]>;
  sessionFilePath(pid: number): string;
  /** `~/.claude/sessions/<pid>.json`, or undefined when there is none. */
  readSessionFile(pid: number): Promise<unknown>;
  hookPayloads(): Promise<unknown[]>;
  remove(): Promise<void>;
}

export async function createClaudeHome(
  options: ClaudeEnvOptions & { hooks?: boolean },
): Promise<ClaudeHome> {
  const home = await createTempHome();
  const project = join(home.dir, 'project');
  const configDir = join(home.dir, '.claude');
  const hooksFile = join(home.dir, 'hooks.jsonl');
  await mkdir(project);
  await mkdir(join(home.dir, 'tmp'));
  await prepareClaudeHome(home.dir, project, options.hooks === false ? {} : { hooksFile });
  const transcriptPath = (sessionId: string): string =>
    join(configDir, 'projects', projectDirName(project), `${sessionId}.jsonl`);
  const sessionFilePath = (pid: number): string => join(configDir, 'sessions', `${pid}.json`);
  return {
    home,
    project,
    configDir,
    env: claudeEnv(home, options),
    hooksFile,
    transcriptPath,
    readTranscript: (sessionId) => readJsonl(transcriptPath(sessionId)),
    sessionFilePath,
    readSessionFile: async (pid) => {
      const text = await readFile(sessionFilePath(pid), 'utf8').catch(() => undefined);
      return text === undefined ? undefined : (JSON.parse(text) as unknown);
    },
    hookPayloads: () => readJsonl(hooksFile).catch(() => []),
    remove: () => home.remove(),
  };
}

/** The JSON values of a JSONL file's non-empty lines. */
export async function readJsonl(path: string): Promise<unknown[]> {
  return parseJsonl(await readFile(path, 'utf8'));
}

function parseJsonl(text: string): unknown[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}

// ---- headless ----

export interface HeadlessResult {
  readonly pid: number;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Parsed stream-json lines, in order. */
  readonly lines: readonly unknown[];
  readonly stderr: string;
  readonly durationMs: number;
  /** `session_id` of the first line that has one (system/init). */
  readonly sessionId: string | undefined;
}

export interface HeadlessRun {
  readonly pid: number;
  lines(): readonly unknown[];
  waitForLine(predicate: (line: unknown) => boolean, timeoutMs: number): Promise<unknown>;
  /** Resolves when the process has exited; rejects when it outlived timeoutMs (then killed). */
  readonly done: Promise<HeadlessResult>;
  /** SIGKILL, as a crash would; resolves with the result. */
  kill9(): Promise<HeadlessResult>;
}

export interface HeadlessOptions {
  /** `--resume <sessionId>`. */
  readonly resume?: string;
  readonly args?: readonly string[];
  /** Added to (and overriding) the home's environment, e.g. CLAUDE_CONFIG_DIR. */
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs?: number;
}

/** Spawns `claude -p <prompt> --output-format stream-json --verbose` in the project dir. */
export function startHeadless(
  h: ClaudeHome,
  prompt: string,
  options: HeadlessOptions = {},
): HeadlessRun {
  const args = ['-p', prompt, '--output-format', 'stream-json', '--verbose'];
  if (options.resume !== undefined) args.push('--resume', options.resume);
  args.push(...(options.args ?? []));
  const started = Date.now();
  const child = spawn(CLAUDE_BIN, args, {
    cwd: h.project,
    env: { ...h.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: unknown[] = [];
  const waiters = createWaiters<unknown>();
  let pending = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    const parts = (pending + chunk.toString()).split('\n');
    pending = parts.pop() ?? '';
    lines.push(...parseJsonl(parts.join('\n')));
    waiters.notify(lines);
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const done = new Promise<HeadlessResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode, signal) => {
      clearTimeout(timer);
      lines.push(...parseJsonl(pending));
      waiters.rejectAll(new Error(`claude exited (${exitCode ?? signal ?? '?'})`));
      const pid = child.pid ?? -1;
      const result = { pid, exitCode, signal, lines, stderr, durationMs: Date.now() - started };
      if (timedOut) reject(new Error(`claude -p outlived ${timeoutMs} ms; stderr:\n${stderr}`));
      else resolve({ ...result, sessionId: firstSessionId(lines) });
    });
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${CLAUDE_BIN}`);
  return {
    pid: child.pid,
    lines: () => [...lines],
    waitForLine: (predicate, ms) =>
      waiters.wait(lines, (all) => all.find(predicate), ms, 'a stream-json line'),
    done,
    kill9: () => {
      child.kill('SIGKILL');
      return done;
    },
  };
}

export function runHeadless(
  h: ClaudeHome,
  prompt: string,
  options: HeadlessOptions = {},
): Promise<HeadlessResult> {
  return startHeadless(h, prompt, options).done;
}

function firstSessionId(lines: readonly unknown[]): string | undefined {
  for (const line of lines) {
    if (typeof line === 'object' && line !== null && 'session_id' in line) {
      const id = line.session_id;
      if (typeof id === 'string') return id;
    }
  }
  return undefined;
}

// ---- interactive, in tmux ----

export interface InteractiveClaude {
  /** The tmux socket (`tmux -S <socketPath>`), inside the temp HOME. */
  readonly socketPath: string;
  /** The pane id, e.g. `%0`: the target for send-keys / capture-pane / display-message. */
  readonly pane: string;
  /** `#{pane_pid}`: the shell Claude Code was typed into (tmux's default-shell, i.e. $SHELL). */
  readonly shellPid: number;
  /** The shell's process name, what `#{pane_current_command}` shows once Claude Code is gone. */
  readonly shellName: string;
  readonly claudePid: number;
  tmux(...args: string[]): Promise<string>;
  /** `display-message -p -t <pane> <format>`, trimmed. */
  display(format: string): Promise<string>;
  capture(): Promise<string>;
  /** `send-keys -l <text>`, then a separate `send-keys Enter`. */
  submit(text: string): Promise<void>;
  waitForScreen(predicate: (screen: string) => boolean, timeoutMs: number): Promise<string>;
  /** SIGKILL to the Claude Code process; the shell and tmux stay. */
  kill9(): Promise<void>;
  /** Kills Claude Code if alive and the tmux server this made; idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a tmux server on its own socket with a shell in one 200×50 pane, types the `claude`
 * command line into it (as a user would, so pane_pid is the shell) and waits until Claude Code
 * has written its sessions file and shows its prompt.
 */
export async function startInteractive(
  h: ClaudeHome,
  options: { args?: readonly string[]; readyTimeoutMs?: number } = {},
): Promise<InteractiveClaude> {
  const socketPath = join(h.home.dir, 'tmux.sock');
  const tmux = async (...args: string[]): Promise<string> =>
    (await run('tmux', ['-S', socketPath, ...args], { env: h.env })).stdout;
  const env = { ...h.env, PS1: '$ ' };
  await run(
    'tmux',
    ['-S', socketPath, '-f', '/dev/null', 'new-session', '-d', '-x', '200', '-y', '50'],
    { env, cwd: h.project },
  );
  const serverPid = Number((await tmux('display-message', '-p', '#{pid}')).trim());
  let claudePid = -1;
  let closed: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closed ??= (async () => {
      if (claudePid > 0 && isAlive(claudePid)) process.kill(claudePid, 'SIGKILL');
      await tmux('kill-server').catch(() => '');
      if (!(await waitDead(serverPid, 5_000))) process.kill(serverPid, 'SIGKILL');
    })());
  try {
    const [pane = '', panePid = ''] = (
      await tmux('display-message', '-p', '#{pane_id} #{pane_pid}')
    )
      .trim()
      .split(' ');
    const quoted = [CLAUDE_BIN, ...(options.args ?? [])].map((a) => `'${a}'`).join(' ');
    await tmux('send-keys', '-t', pane, '-l', quoted);
    await tmux('send-keys', '-t', pane, 'Enter');
    const shellPid = Number(panePid);
    claudePid = await poll(() => childNamed(shellPid, 'claude'), 10_000, 'the claude process');
    const readyMs = options.readyTimeoutMs ?? 20_000;
    await poll(() => h.readSessionFile(claudePid), readyMs, 'sessions/<pid>.json');
    const self: InteractiveClaude = {
      socketPath,
      pane,
      shellPid,
      shellName: readProcFile(`/proc/${shellPid}/comm`)?.trim() ?? '',
      claudePid,
      tmux,
      display: async (format) => (await tmux('display-message', '-p', '-t', pane, format)).trim(),
      capture: () => tmux('capture-pane', '-p', '-t', pane),
      submit: async (text) => {
        await tmux('send-keys', '-t', pane, '-l', text);
        await tmux('send-keys', '-t', pane, 'Enter');
      },
      waitForScreen: (predicate, timeoutMs) =>
        poll(
          async () => {
            const screen = await self.capture();
            return predicate(screen) ? screen : undefined;
          },
          timeoutMs,
          'the screen',
        ),
      kill9: async () => {
        if (isAlive(claudePid)) process.kill(claudePid, 'SIGKILL');
        if (!(await waitDead(claudePid, 5_000))) throw new Error(`pid ${claudePid} survived`);
      },
      close,
    };
    await self.waitForScreen((screen) => screen.includes('❯'), readyMs);
    return self;
  } catch (error) {
    await close();
    throw error;
  }
}

/** Whether a pid is a live process (zombies count as dead: PID 1 may never reap them). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !/\) Z /.test(readProcFile(`/proc/${pid}/stat`) ?? '');
}

async function waitDead(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

function readProcFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** The pid of a direct child of `parent` whose comm is `name`. */
function childNamed(parent: number, name: string): number | undefined {
  const children = readProcFile(`/proc/${parent}/task/${parent}/children`) ?? '';
  return children
    .split(' ')
    .filter((pid) => pid !== '')
    .map(Number)
    .find((pid) => readProcFile(`/proc/${pid}/comm`)?.trim() === name);
}

/** Polls `probe` every 100 ms until it yields a value; rejects after timeoutMs. */
export async function poll<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

// ---- fixtures ----

/** Writes test/fixtures/claude-code/<name>.json when PALINGENESIS_RECORD_FIXTURES=1. */
export async function recordFixture(
  name: string,
  value: unknown,
  h: ClaudeHome,
  baseUrl: string,
): Promise<void> {
  if (process.env['PALINGENESIS_RECORD_FIXTURES'] !== '1') return;
  const text = normalizeFixture(JSON.stringify(value, cutLongStrings), h.home.dir, baseUrl);
  const file = new URL(`${name}.json`, FIXTURE_DIR);
  const config = await resolveConfig(fileURLToPath(file));
  await writeFile(file, await format(text, { ...config, parser: 'json' }));
}

/**
 * A transcript line for a fixture: the bulky copies of the system prompt and tool schemas that
 * 2.1.332 writes (`api-request-shape.shape`, `attachment` of type `prompt_snapshot`) are reduced
 * to their keys; every other line is kept whole.
 */
export function compactTranscriptLine(line: unknown): unknown {
  if (typeof line !== 'object' || line === null) return line;
  const record = line as Record<string, unknown>;
  const keysOf = (value: unknown): string =>
    typeof value === 'object' && value !== null ? Object.keys(value).join(', ') : typeof value;
  if (record['type'] === 'api-request-shape')
    return { ...record, shape: `[cut by the recorder; keys: ${keysOf(record['shape'])}]` };
  const attachment = record['attachment'];
  if (
    typeof attachment === 'object' &&
    attachment !== null &&
    (attachment as Record<string, unknown>)['type'] === 'prompt_snapshot'
  )
    return {
      ...record,
      attachment: {
        type: 'prompt_snapshot',
        cut: `[cut by the recorder; keys: ${keysOf(attachment)}]`,
      },
    };
  return line;
}

/** Temp paths → /tmp/HOME, the port → FAKE_LLM_PORT, the machine id → MACHINE_ID. */
export function normalizeFixture(text: string, homeDir: string, baseUrl: string): string {
  const pairs: [string, string][] = [
    [homeDir, '/tmp/HOME'],
    [projectDirName(homeDir), '-tmp-HOME'],
    [new URL(baseUrl).host, '127.0.0.1:FAKE_LLM_PORT'],
  ];
  const replaced = pairs.reduce((out, [from, to]) => out.split(from).join(to), text);
  return replaced.replace(/linux:[0-9a-f]{32}:/g, 'linux:MACHINE_ID:');
}

/** Bulky prompt text (system prompt, tool lists, reminders) is cut to its first 300 characters. */
function cutLongStrings(_key: string, value: unknown): unknown {
  if (typeof value !== 'string' || value.length <= 600) return value;
  return `${value.slice(0, 300)}…[${value.length - 300} characters cut]`;
}
