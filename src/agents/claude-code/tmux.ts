import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);
const TIMEOUT_MS = 5000;

export interface TmuxTarget {
  readonly binary: string;
  /** The server's socket path; absent: tmux's default server. */
  readonly socket?: string | undefined;
  readonly pane: string;
}

/** Why typing into a pane would be wrong, or undefined when the pane is Claude's and safe. */
export async function paneRefusal(
  target: TmuxTarget,
  claudePid: number,
): Promise<string | undefined> {
  let info: string;
  try {
    info = await tmux(target, [
      'display-message',
      '-p',
      '-t',
      target.pane,
      '#{pane_pid}\t#{pane_dead}\t#{pane_current_command}\t#{pane_in_mode}',
    ]);
  } catch (error) {
    return `tmux pane ${target.pane} is not reachable: ${message(error)}`;
  }
  const [panePid, dead, command, inMode] = info.trim().split('\t');
  if (dead === '1') return `tmux pane ${target.pane} is dead`;
  // Copy mode would swallow the keys.
  if (inMode === '1') return `tmux pane ${target.pane} is in copy mode`;
  const foreground = await foregroundIsProcess(Number(panePid), claudePid);
  if (foreground === false)
    return `the foreground process of tmux pane ${target.pane} is ${command ?? '?'}, not Claude Code (pid ${claudePid})`;
  // Without /proc the pane's command name is all there is to go on.
  if (foreground === undefined && !/claude/i.test(command ?? ''))
    return `tmux pane ${target.pane} runs ${command ?? '?'}, not Claude Code`;
  // A limit menu ("1. Stop and wait … 2. Upgrade …") would take Enter as a choice: never answer it.
  // The pane answered a moment ago: a capture that fails now is the pane closing, which the
  // send-keys that follows reports as the attempt's failure.
  const screen = await tmux(target, ['capture-pane', '-p', '-t', target.pane]).catch(() => '');
  const menu = LIMIT_MENU.exec(screen);
  if (menu !== null) return `tmux pane ${target.pane} shows a menu ("${menu[0].trim()}")`;
  return undefined;
}

/** A numbered menu option about plans or usage, as Claude Code shows at some limits. */
export const LIMIT_MENU =
  /^\s*(?:[❯>›]\s*)?\d+\.\s+.*(?:upgrade|request (?:more|extra)|extra usage|switch to|wait for (?:the )?limit)/im;

/** Types the text literally, then Enter: a newline inside it would submit early, so none are sent. */
export async function typeInto(target: TmuxTarget, text: string): Promise<void> {
  const line = text.replace(/\s*\n\s*/g, ' ');
  await tmux(target, ['send-keys', '-t', target.pane, '-l', line]);
  await tmux(target, ['send-keys', '-t', target.pane, 'Enter']);
}

async function tmux(target: TmuxTarget, args: string[]): Promise<string> {
  const socket = target.socket === undefined ? [] : ['-S', target.socket];
  const { stdout } = await run(target.binary, [...socket, ...args], { timeout: TIMEOUT_MS });
  return stdout;
}

/**
 * Whether the terminal of `panePid` has `pid`'s process group in the foreground (Linux /proc):
 * true or false when known, undefined when /proc cannot tell.
 */
async function foregroundIsProcess(panePid: number, pid: number): Promise<boolean | undefined> {
  const [pane, proc] = await Promise.all([procStat(panePid), procStat(pid)]);
  if (pane === undefined || proc === undefined) return undefined;
  return pane.ttyNr === proc.ttyNr && pane.tpgid === proc.pgrp;
}

interface ProcStat {
  readonly pgrp: number;
  readonly ttyNr: number;
  readonly tpgid: number;
}

async function procStat(pid: number): Promise<ProcStat | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  // The command name (field 2) is in parentheses and may contain spaces: fields start after ")".
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the name: state(3) ppid(4) pgrp(5) session(6) tty_nr(7) tpgid(8).
  const [pgrp, ttyNr, tpgid] = [fields[2], fields[4], fields[5]].map(Number);
  if (pgrp === undefined || ttyNr === undefined || tpgid === undefined) return undefined;
  return { pgrp, ttyNr, tpgid };
}

/** The socket of the tmux server a process runs under, from its `TMUX` variable (Linux). */
export async function tmuxSocketOf(pid: number): Promise<string | undefined> {
  const environ = await readFile(`/proc/${pid}/environ`, 'utf8').catch(() => undefined);
  const entry = environ?.split('\0').find((e) => e.startsWith('TMUX='));
  // TMUX=<socket path>,<server pid>,<session index>
  return entry?.slice('TMUX='.length).split(',')[0];
}

function message(error: unknown): string {
  return error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
}
