import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { isAlive, scanLiveCodex, type LiveCodex } from '../../src/agents/codex/live.js';
import {
  readPane,
  typePrompt,
  type CodexScreen,
  type TmuxTarget,
} from '../../src/agents/codex/tmux.js';
import { startFakeLlm, type FakeLlm, type RecordedRequest } from '../fake-llm/server.js';
import { poll } from './claude.js';
import { createCodexHome, type CodexHome } from './codex.js';

// The real Codex CLI 0.171.0 TUI in tmux (its own socket in the temp HOME), for
// test/codex-tmux.test.ts and test/e2e-codex.test.ts. Every wait is on a fact and bounded.

const run = promisify(execFile);
/** The npm entry users run: a Node launcher that spawns the native binary (Node 20: as a child). */
export const CODEX_LAUNCHER = new URL('../../node_modules/.bin/codex', import.meta.url).pathname;
export const TUI_ARGS = ['--no-daemon', '--disable', 'plugins', '--disable', 'remote_plugin'];
/** What Codex 0.171 asks, in a side thread, after a thread's first prompt. */
export const TITLE_PROMPT = 'Generate a concise, single-line task title';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;

/** tmux missing: a visible skip here, a failure under CI=true. */
export function needTmux(t: TestContext): boolean {
  if (hasTmux) return true;
  if (process.env['CI'] === 'true') throw new Error('tmux is not installed; CI must have it');
  t.diagnostic('SKIPPED: tmux is not installed (apt-get install tmux)');
  t.skip('tmux is not installed');
  return false;
}

function childWithName(parent: number, name: string): number | undefined {
  const read = (path: string): string | undefined => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined; // gone meanwhile: not a child any more
    }
  };
  return (read(`/proc/${parent}/task/${parent}/children`) ?? '')
    .split(' ')
    .filter((pid) => pid !== '')
    .map(Number)
    .find((pid) => read(`/proc/${pid}/comm`)?.trim() === name);
}

/** Signals a process that may have exited meanwhile (the launcher exits with its child). */
function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if (!(error instanceof Error && 'code' in error && error.code === 'ESRCH')) throw error;
  }
}

export interface Tui {
  readonly target: TmuxTarget;
  /** The native Codex process, the child of the Node launcher. */
  readonly pid: number;
  readonly launcherPid: number;
  readonly socket: string;
  capture(): Promise<string>;
  waitFor(predicate: (s: CodexScreen) => boolean, timeoutMs: number, what: string): Promise<void>;
  waitForText(text: string, timeoutMs: number): Promise<void>;
  /** SIGKILL to Codex and its launcher; the shell and tmux stay. */
  kill9(): Promise<void>;
  close(): Promise<void>;
}

/** A tmux server with a shell in a 200×50 pane; the codex command typed into it, as a user would. */
export async function startTui(
  h: CodexHome,
  options: {
    cwd?: string;
    ready?: (s: CodexScreen) => boolean;
    /** More arguments after TUI_ARGS, e.g. `-c key=value` overrides. */
    args?: readonly string[];
  } = {},
): Promise<Tui> {
  const socket = join(h.home.dir, 'tmux.sock');
  const tmux = async (...args: string[]): Promise<string> =>
    (await run('tmux', ['-S', socket, ...args], { env: h.env })).stdout;
  const cwd = options.cwd ?? h.project;
  await run(
    'tmux',
    ['-S', socket, '-f', '/dev/null', 'new-session', '-d', '-x', '200', '-y', '50'],
    {
      env: { ...h.env, PS1: '$ ' },
      cwd,
    },
  );
  const serverPid = Number((await tmux('display-message', '-p', '#{pid}')).trim());
  const pids: number[] = [];
  const shell: number[] = [];
  const kill9 = async (): Promise<void> => {
    for (const pid of pids) signal(pid, 'SIGKILL');
    await poll(() => (pids.some(isAlive) ? undefined : true), 5_000, 'codex to die');
  };
  const close = async (): Promise<void> => {
    await kill9();
    await tmux('kill-server').catch(() => '');
    // The shell writes its history into the HOME on SIGHUP: wait for it too, before rm -r.
    const all = [serverPid, ...shell];
    await poll(() => (all.some(isAlive) ? undefined : true), 5_000, 'tmux and its shell to exit');
  };
  try {
    const [pane = '', panePid = ''] = (
      await tmux('display-message', '-p', '#{pane_id} #{pane_pid}')
    )
      .trim()
      .split(' ');
    shell.push(Number(panePid));
    const target: TmuxTarget = { binary: 'tmux', socket, pane };
    const command = [CODEX_LAUNCHER, ...TUI_ARGS, ...(options.args ?? [])]
      .map((a) => `'${a}'`)
      .join(' ');
    await tmux('send-keys', '-t', pane, '-l', command);
    await tmux('send-keys', '-t', pane, 'Enter');
    const launcherPid = await poll(() => childWithName(Number(panePid), 'node'), 10_000, 'node');
    pids.push(launcherPid);
    const pid = await poll(() => childWithName(launcherPid, 'codex'), 10_000, 'native codex');
    pids.unshift(pid);
    const capture = (): Promise<string> => tmux('capture-pane', '-p', '-t', pane);
    const tui: Tui = {
      target,
      pid,
      launcherPid,
      socket,
      capture,
      waitFor: async (predicate, timeoutMs, what) => {
        await poll(
          async () => (predicate(await readPane(target)) ? true : undefined),
          timeoutMs,
          what,
        );
      },
      waitForText: async (text, timeoutMs) => {
        await poll(
          async () => ((await capture()).includes(text) ? true : undefined),
          timeoutMs,
          text,
        );
      },
      kill9,
      close,
    };
    await tui.waitFor(options.ready ?? ((s) => s.kind === 'idle'), 30_000, 'the Codex prompt');
    return tui;
  } catch (error) {
    await close();
    throw error;
  }
}

export interface Setup {
  readonly fake: FakeLlm;
  readonly h: CodexHome;
}

/** A fake and a CODEX_HOME of the test's own; the screen joins the error when `body` fails. */
export async function withCodex(
  body: (setup: Setup, keep: (tui: Tui) => Tui) => Promise<void>,
): Promise<void> {
  const fake = await startFakeLlm();
  const h = await createCodexHome(fake);
  const tuis: Tui[] = [];
  try {
    await body({ fake, h }, (tui) => {
      tuis.push(tui);
      return tui;
    });
  } catch (error) {
    const screens = await Promise.all(tuis.map((tui) => tui.capture().catch(() => '(gone)')));
    const text = screens.map((s) => s.replace(/\n{3,}/g, '\n\n')).join('\n----\n');
    throw new Error(`${String(error)}\nscreen:\n${text}`, { cause: error });
  } finally {
    for (const tui of tuis) await tui.close();
    await fake.close();
    await h.remove();
  }
}

export const turn =
  (prompt: string) =>
  (r: RecordedRequest): boolean =>
    r.responses?.kind === 'turn' && r.responses.lastUserText === prompt;

export async function scanFor(
  h: CodexHome,
  predicate: (live: LiveCodex) => boolean,
  what: string,
): Promise<LiveCodex> {
  return poll(
    async () => (await scanLiveCodex({ codexHome: h.codexHome })).find(predicate),
    10_000,
    what,
  );
}

/** A first turn answered with the echo; its title request (a side thread) is answered too. */
export async function warmUp(fake: FakeLlm, tui: Tui): Promise<string> {
  // Only this TUI's requests: a fake shared by several tests holds earlier "hello"s too.
  const since = fake.requests().length;
  const after = (match: (r: RecordedRequest) => boolean) => (r: RecordedRequest) =>
    r.seq > since && match(r);
  // Codex 0.171 may flash a spinner title while it starts the thread: typePrompt declines to type
  // then (it types nothing), so ask again until the pane is idle.
  const typed = await poll(
    async () => {
      const outcome = await typePrompt(tui.target, 'hello');
      return !outcome.ok && outcome.reason.includes('is not idle (working)') ? undefined : outcome;
    },
    10_000,
    'an idle pane to type into',
  );
  assert.deepEqual(typed, { ok: true });
  const first = await fake.waitForRequest(after(turn('hello')), 15_000);
  await fake.waitForRequest(
    after((r) => r.responses?.lastUserText.startsWith(TITLE_PROMPT) === true),
    15_000,
  );
  await tui.waitForText('(you said: hello)', 15_000);
  await tui.waitFor((s) => s.kind === 'idle', 15_000, 'idle after the first turn');
  const thread = first.responses?.threadId;
  assert.ok(thread !== undefined);
  return thread;
}
