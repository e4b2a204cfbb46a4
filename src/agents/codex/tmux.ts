import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { delay } from '../../node-util.js';
import { isAlive, procStat } from './live.js';
import { readCodexScreen, type CodexScreen } from './tui-screen.js';

export { CODEX_TUI, readCodexScreen, retryOnScreen, type CodexScreen } from './tui-screen.js';

const run = promisify(execFile);
const TMUX_TIMEOUT_MS = 5000;
const POLL_MS = 50;

export interface TmuxTarget {
  readonly binary: string;
  /** The server's socket path; absent: tmux's default server. */
  readonly socket?: string | undefined;
  readonly pane: string;
}

/**
 * Why typing into the pane would be wrong, or undefined when the pane's foreground is that Codex
 * (native pid or its launcher) at an empty prompt — or in the rate-limit modal, which
 * dismissRateLimitModal answers before typePrompt.
 */
export async function codexPaneRefusal(
  target: TmuxTarget,
  codexPid: number,
): Promise<string | undefined> {
  const pane = `tmux pane ${target.pane}`;
  // A zombie still has its process group in front until its parent reaps it, and the pane keeps
  // the dead Codex's last title: both would look like a live Codex.
  if (!isAlive(codexPid)) return `Codex (pid ${codexPid}) is not running`;
  let info: string;
  try {
    info = await display(
      target,
      '#{pane_pid}\t#{pane_dead}\t#{pane_in_mode}\t#{pane_current_command}',
    );
  } catch (error) {
    return `${pane} is not reachable: ${message(error)}`;
  }
  const [panePid, dead, inMode, command] = info.split('\t');
  if (dead === '1') return `${pane} is dead`;
  // Copy mode would swallow the keys.
  if (inMode === '1') return `${pane} is in copy mode`;
  const foreground = await foregroundIsProcess(Number(panePid), codexPid);
  if (foreground === false)
    return `the foreground process of ${pane} is ${command ?? '?'}, not Codex (pid ${codexPid})`;
  if (foreground === undefined) return `Codex (pid ${codexPid}) is gone, or /proc cannot tell`;
  let screen: CodexScreen;
  try {
    screen = await readPane(target);
  } catch (error) {
    return `${pane} went away: ${message(error)}`;
  }
  switch (screen.kind) {
    case 'idle':
    case 'rate-limit-modal':
      return undefined;
    case 'working':
      return `Codex in ${pane} is running a turn`;
    case 'dialog':
      return `Codex in ${pane} shows ${screen.name}`;
    case 'draft':
      return `the Codex composer in ${pane} holds unsent text`;
    case 'unknown':
      return `${pane} shows no Codex prompt`;
  }
}

/** The pane's screen as text (with SGR escapes), for what readPane does not classify. */
export function capturePane(target: TmuxTarget): Promise<string> {
  return tmux(target, ['capture-pane', '-p', '-e', '-t', target.pane]);
}

/** What the pane shows now. */
export async function readPane(target: TmuxTarget): Promise<CodexScreen> {
  const [screen, title] = await Promise.all([
    tmux(target, ['capture-pane', '-p', '-e', '-t', target.pane]),
    display(target, '#{pane_title}'),
  ]);
  return readCodexScreen(screen, title);
}

export type PaneOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface PaneOptions {
  /** How long to wait for Codex to show what a key did; 5 s by default. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Picks "Keep current model" in the rate-limit modal — never "Switch" — by its digit, then checks
 * the modal is gone and the key did not land in the composer. No modal: nothing to do.
 */
export async function dismissRateLimitModal(
  target: TmuxTarget,
  options: PaneOptions = {},
): Promise<PaneOutcome> {
  const before = await readPane(target);
  if (before.kind === 'idle') return { ok: true };
  if (before.kind !== 'rate-limit-modal')
    return {
      ok: false,
      reason: `no rate-limit modal in tmux pane ${target.pane} (${before.kind})`,
    };
  await tmux(target, ['send-keys', '-t', target.pane, before.option]);
  const after = await waitForPane(target, (s) => s.kind !== 'rate-limit-modal', options);
  if (after.kind === 'idle') return { ok: true };
  return {
    ok: false,
    reason: `after "Keep current model" tmux pane ${target.pane} shows ${describe(after)}`,
  };
}

/**
 * Codex's paste-burst guard (codex-rs tui `paste_burst.rs`, PASTE_ENTER_SUPPRESS_WINDOW = 120 ms):
 * an Enter that follows fast typed characters within 120 ms inserts a newline instead of
 * submitting. send-keys types at machine speed, so Enter waits past that window.
 */
const ENTER_SETTLE_MS = 150;

/**
 * Types the text literally into an idle composer (newlines become spaces: one would submit early),
 * waits until Codex shows it, then Enter, and checks that the composer let go of it.
 */
export async function typePrompt(
  target: TmuxTarget,
  text: string,
  options: PaneOptions = {},
): Promise<PaneOutcome> {
  const line = text.replace(/\s*\n\s*/g, ' ').trim();
  if (line === '') return { ok: false, reason: 'nothing to type' };
  const before = await readPane(target);
  if (before.kind !== 'idle')
    return { ok: false, reason: `tmux pane ${target.pane} is not idle (${describe(before)})` };
  const head = line.slice(0, 20);
  await tmux(target, ['send-keys', '-t', target.pane, '-l', line]);
  const typed = await waitForPane(
    target,
    (s) => s.kind === 'draft' && s.text.startsWith(head),
    options,
  );
  if (typed.kind !== 'draft' || !typed.text.startsWith(head))
    return {
      ok: false,
      reason: `the text did not appear in tmux pane ${target.pane} (${describe(typed)})`,
    };
  await delay(ENTER_SETTLE_MS, options.signal ?? new AbortController().signal);
  await tmux(target, ['send-keys', '-t', target.pane, 'Enter']);
  const sent = await waitForPane(target, (s) => s.kind !== 'draft', options);
  if (sent.kind === 'draft')
    return { ok: false, reason: `Enter did not submit the prompt in tmux pane ${target.pane}` };
  return { ok: true };
}

/** Polls the pane until `done` holds or the timeout: the last screen read either way. */
async function waitForPane(
  target: TmuxTarget,
  done: (screen: CodexScreen) => boolean,
  options: PaneOptions,
): Promise<CodexScreen> {
  const signal = options.signal ?? new AbortController().signal;
  const deadline = Date.now() + (options.timeoutMs ?? 5000);
  for (;;) {
    const screen = await readPane(target);
    if (done(screen) || Date.now() >= deadline || signal.aborted) return screen;
    await delay(POLL_MS, signal);
  }
}

function describe(screen: CodexScreen): string {
  if (screen.kind === 'dialog') return screen.name;
  if (screen.kind === 'draft') return `unsent text "${screen.text.slice(0, 40)}"`;
  return screen.kind;
}

async function display(target: TmuxTarget, format: string): Promise<string> {
  return (await tmux(target, ['display-message', '-p', '-t', target.pane, format])).replace(
    /\n$/,
    '',
  );
}

async function tmux(target: TmuxTarget, args: string[]): Promise<string> {
  const socket = target.socket === undefined ? [] : ['-S', target.socket];
  const { stdout } = await run(target.binary, [...socket, ...args], { timeout: TMUX_TIMEOUT_MS });
  return stdout;
}

/**
 * Whether the terminal of `panePid` has `pid`'s process group in the foreground (Linux /proc):
 * the Node launcher and the native binary share one group, so either pid answers.
 */
async function foregroundIsProcess(panePid: number, pid: number): Promise<boolean | undefined> {
  const [pane, proc] = await Promise.all([procStat(panePid), procStat(pid)]);
  if (pane === undefined || proc === undefined) return undefined;
  return pane.ttyNr === proc.ttyNr && pane.tpgid === proc.pgrp;
}

function message(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
}
