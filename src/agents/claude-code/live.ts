import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { isAlive } from '../../daemon/pid-file.js';
import { hasCode } from '../../node-util.js';

/**
 * One interactive Claude Code process, from `<claude dir>/sessions/<pid>.json`. Only the fields
 * read here are checked; the file holds more.
 */
export interface LiveClaude {
  readonly pid: number;
  readonly sessionId: string;
  readonly cwd?: string | undefined;
  /** `busy` while a turn runs, `idle` at the prompt. */
  readonly status?: string | undefined;
  /** The tmux pane (`%3`) when the process runs inside tmux. */
  readonly tmuxPane?: string | undefined;
  /** The tmux server's socket, from the process's `TMUX` variable, when known. */
  readonly tmuxSocket?: string | undefined;
  /** `cli` for an interactive terminal, `sdk-cli` for a headless `-p` run. */
  readonly entrypoint?: string | undefined;
  readonly alive: boolean;
}

const sessionFile = z.looseObject({
  pid: z.number().int().positive(),
  sessionId: z.string().min(1),
  cwd: z.string().optional(),
  status: z.string().optional(),
  entrypoint: z.string().optional(),
  tmux: z
    .union([
      z.string(),
      z.looseObject({
        pane: z.string().optional(),
        paneId: z.string().optional(),
        socket: z.string().optional(),
      }),
    ])
    .optional(),
  tmuxPane: z.string().optional(),
});

export interface LiveScan {
  readonly sessions: readonly LiveClaude[];
  /** Files that were not a session record (unreadable, not JSON, another shape): skipped. */
  readonly malformed: readonly string[];
}

/** Reads every `sessions/*.json`; a missing directory is no sessions. */
export async function scanLiveSessions(
  dir: string,
  isAlive: (pid: number) => boolean = pidAlive,
): Promise<LiveScan> {
  const names = await readdir(dir).catch((error: unknown) => {
    if (hasCode(error, 'ENOENT')) return [];
    throw error;
  });
  const sessions: LiveClaude[] = [];
  const malformed: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.json')).sort()) {
    const text = await readFile(join(dir, name), 'utf8').catch((error: unknown) => {
      if (hasCode(error, 'ENOENT')) return undefined; // removed since readdir: the process exited
      return ''; // there, but unreadable (EACCES, EISDIR): no session record either
    });
    if (text === undefined) continue;
    const parsed = sessionFile.safeParse(parseJson(text));
    if (!parsed.success) {
      malformed.push(name);
      continue;
    }
    const { data } = parsed;
    const tmux = data.tmux;
    // Claude Code 2.1 writes `#{session_name}:#{window_id}.#{pane_id}`, e.g. "0:@0.%0".
    const pane =
      data.tmuxPane ?? (typeof tmux === 'string' ? paneId(tmux) : (tmux?.pane ?? tmux?.paneId));
    sessions.push({
      pid: data.pid,
      sessionId: data.sessionId,
      cwd: data.cwd,
      status: data.status,
      tmuxPane: pane,
      tmuxSocket: typeof tmux === 'object' ? tmux.socket : undefined,
      entrypoint: data.entrypoint,
      alive: isAlive(data.pid),
    });
  }
  return { sessions, malformed };
}

function paneId(tmux: string): string {
  const match = /%\d+$/.exec(tmux);
  return match === null ? tmux : match[0];
}

/** Whether the process runs (a zombie does not count). */
export const pidAlive = isAlive;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
