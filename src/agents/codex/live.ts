import { readdir, readFile, readlink, realpath, stat } from 'node:fs/promises';
import { basename, join, resolve, sep } from 'node:path';
import { errorCode } from '../../node-util.js';
import { codexKind, isNativeCodex, resumedThread, type LiveCodexKind } from './cli-args.js';
import { threadIdFromRolloutName } from './thread.js';

export { isAlive } from '../../daemon/pid-file.js';

// Which Codex processes run, read from Linux /proc. Observed with Codex 0.171.0 on Node 20:
// - The npm entry `bin/codex.js` is a Node launcher that spawns the native binary as its child
//   (Node ≥ 22.15 would execve into it instead). Only the native process holds Codex's files.
// - A thread's writer holds `$CODEX_HOME/thread-writer-locks/<thread>.lock` open (flock) from the
//   moment the thread exists — a fresh TUI before its first prompt, too — and its rollout
//   `sessions/YYYY/MM/DD/rollout-<time>-<thread>.jsonl` open from the first prompt on, during and
//   between turns, until it exits. `codex exec` and `exec resume <id>` likewise.
// - After `/new` a TUI held the old thread and the new one for a while, the old one released later.
// - A TUI without `--no-daemon` (the default, plugins on) hands its threads to a shared background
//   `codex app-server --managed-daemon` that holds every thread of that CODEX_HOME and outlives the
//   TUI; the TUI itself then holds none, and its thread is known only from `resume <id>`.

export type { LiveCodexKind } from './cli-args.js';

export interface LiveThread {
  readonly threadId: string;
  /** Absent until the thread's first prompt. */
  readonly rolloutPath?: string | undefined;
}

export interface LiveCodex {
  /** The native Codex process. */
  readonly pid: number;
  /** The Node launcher (`bin/codex.js`) it runs under, when it does. */
  readonly launcherPid?: number | undefined;
  readonly kind: LiveCodexKind;
  /** The thread it works on now: of several held, the one with the newest activity. */
  readonly threadId?: string | undefined;
  readonly rolloutPath?: string | undefined;
  /** Every thread it holds open. */
  readonly threads: readonly LiveThread[];
  readonly cwd?: string | undefined;
  /** From its TMUX / TMUX_PANE variables; not for an app-server (it inherits its starter's). */
  readonly tmux?: { readonly socket: string; readonly pane: string } | undefined;
}

/** The Codex processes of this CODEX_HOME. Linux only: elsewhere there is no /proc, so none. */
export async function scanLiveCodex(options: { codexHome: string }): Promise<LiveCodex[]> {
  if (process.platform !== 'linux') return [];
  const home = await canonical(options.codexHome);
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const found = await Promise.all(pids.map((pid) => gone(inspect(pid, home))));
  return found.filter((live): live is LiveCodex => live !== undefined);
}

async function inspect(pid: number, home: string): Promise<LiveCodex | undefined> {
  const argv = await procArgv(pid);
  if (!isNativeCodex(argv)) return undefined;
  const kind = codexKind(argv.slice(1));
  if (kind === undefined) return undefined;
  const env = await procEnv(pid);
  const cwd = await readlink(`/proc/${pid}/cwd`);
  // Codex's own default when CODEX_HOME is unset: ~/.codex.
  const own = env.get('CODEX_HOME') ?? join(env.get('HOME') ?? '/', '.codex');
  if ((await canonical(resolve(cwd, own))) !== home) return undefined;
  const threads = await heldThreads(pid, home);
  // An app-server without threads is the daemon's updater loop or an idle server: nothing to watch.
  if (kind === 'app-server' && threads.length === 0) return undefined;
  const current = await currentThread(threads, resumedThread(argv.slice(1)));
  const stat = await procStat(pid);
  const launcher = stat === undefined ? undefined : await gone(isLauncher(stat.ppid));
  const socket = env.get('TMUX')?.split(',')[0];
  const pane = env.get('TMUX_PANE');
  return {
    pid,
    ...(launcher === true && stat !== undefined ? { launcherPid: stat.ppid } : {}),
    kind,
    threadId: current?.threadId,
    rolloutPath: current?.rolloutPath,
    threads,
    cwd,
    ...(kind !== 'app-server' && socket !== undefined && socket !== '' && pane !== undefined
      ? { tmux: { socket, pane } }
      : {}),
  };
}

async function isLauncher(pid: number): Promise<boolean> {
  const [node, script] = await procArgv(pid);
  return /^node(?:js)?\d*$/.test(basename(node ?? '')) && /codex(?:\.js)?$/.test(script ?? '');
}

const LOCK = /[\\/]thread-writer-locks[\\/]([0-9a-f-]{36})\.lock$/i;

async function heldThreads(pid: number, home: string): Promise<LiveThread[]> {
  const fds = await readdir(`/proc/${pid}/fd`);
  const targets = await Promise.all(
    // An fd closed between readdir and readlink is ENOENT: skipped.
    fds.map(async (fd) => (await gone(readlink(`/proc/${pid}/fd/${fd}`))) ?? ''),
  );
  const threads = new Map<string, string | undefined>();
  for (const target of targets) {
    if (!target.startsWith(home + sep)) continue;
    const locked = LOCK.exec(target)?.[1];
    if (locked !== undefined && !threads.has(locked)) threads.set(locked, undefined);
    const rolled = target.includes(`${sep}sessions${sep}`)
      ? threadIdFromRolloutName(target)
      : undefined;
    if (rolled !== undefined) threads.set(rolled, target);
  }
  return [...threads].sort().map(([threadId, rolloutPath]) => ({ threadId, rolloutPath }));
}

/**
 * The thread in front: the only one held, else the one last active — its rollout's mtime, or for
 * a thread without a rollout yet (just made by `/new`) its creation time from the UUIDv7.
 */
async function currentThread(
  threads: readonly LiveThread[],
  named: string | undefined,
): Promise<LiveThread | undefined> {
  if (threads.length <= 1)
    return threads[0] ?? (named === undefined ? undefined : { threadId: named });
  const activity = await Promise.all(
    threads.map(async (t) => {
      const written =
        t.rolloutPath === undefined ? 0 : ((await gone(stat(t.rolloutPath)))?.mtimeMs ?? 0);
      return Math.max(written, uuidV7Ms(t.threadId));
    }),
  );
  const newest = Math.max(...activity);
  return threads[activity.indexOf(newest)];
}

/** The millisecond timestamp in a UUIDv7's first 48 bits (Codex thread ids are v7). */
export function uuidV7Ms(id: string): number {
  const hex = id.replace(/-/g, '').slice(0, 12);
  return /^[0-9a-f]{12}$/i.test(hex) ? Number.parseInt(hex, 16) : 0;
}

export interface ProcStat {
  readonly ppid: number;
  readonly pgrp: number;
  readonly ttyNr: number;
  readonly tpgid: number;
}

/** `/proc/<pid>/stat`, or undefined when the process is gone or not readable. */
export async function procStat(pid: number): Promise<ProcStat | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const text = await gone(readFile(`/proc/${pid}/stat`, 'utf8'));
  if (text === undefined) return undefined;
  // The command name (field 2) is in parentheses and may contain spaces: fields start after ")".
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the name: state(3) ppid(4) pgrp(5) session(6) tty_nr(7) tpgid(8).
  const [ppid, pgrp, ttyNr, tpgid] = [fields[1], fields[2], fields[4], fields[5]].map(Number);
  if ([ppid, pgrp, ttyNr, tpgid].some((n) => !Number.isInteger(n))) return undefined;
  return { ppid: ppid ?? 0, pgrp: pgrp ?? 0, ttyNr: ttyNr ?? 0, tpgid: tpgid ?? 0 };
}

async function procArgv(pid: number): Promise<string[]> {
  const text = await readFile(`/proc/${pid}/cmdline`, 'utf8');
  return text.split('\0').filter((arg, i, all) => arg !== '' || i < all.length - 1);
}

async function procEnv(pid: number): Promise<Map<string, string>> {
  const text = await readFile(`/proc/${pid}/environ`, 'utf8');
  const entries = text.split('\0').flatMap((entry) => {
    const at = entry.indexOf('=');
    return at > 0 ? [[entry.slice(0, at), entry.slice(at + 1)] as const] : [];
  });
  return new Map(entries);
}

async function canonical(path: string): Promise<string> {
  return (await gone(realpath(path))) ?? resolve(path);
}

/**
 * The value, or undefined when the process went away or is another user's while we read it
 * (ENOENT, ESRCH, EACCES, EPERM): a race /proc always has. Anything else is a bug: rethrown.
 */
async function gone<T>(work: Promise<T>): Promise<T | undefined> {
  try {
    return await work;
  } catch (error) {
    const code = errorCode(error);
    if (code === 'ENOENT' || code === 'ESRCH' || code === 'EACCES' || code === 'EPERM')
      return undefined;
    throw error;
  }
}
