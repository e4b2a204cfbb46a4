import type { CodexResumeMode } from './config.js';
import type { LiveCodex } from './live.js';
import type { ThreadHold } from './thread-locks.js';

/** How to resume a Codex thread, decided from what is known of it. PURE. */
export type CodexRoute =
  /** Type into the open TUI's tmux pane (after its pane checks). */
  | {
      readonly kind: 'tmux';
      readonly pid: number;
      readonly socket: string;
      readonly pane: string;
    }
  /** `codex exec resume <thread>` in `directory`. */
  | { readonly kind: 'headless'; readonly directory: string }
  /** Only a person can resume it now. */
  | { readonly kind: 'needs_user'; readonly message: string }
  /** Something is still running in the thread: try again later. */
  | { readonly kind: 'not_now'; readonly message: string };

export interface RouteFacts {
  readonly mode: CodexResumeMode;
  readonly threadId: string;
  /** A `codex exec` the daemon started is still running in the thread. */
  readonly ours: boolean;
  /** Who holds the thread's writer lock (after a moment for an exiting exec). */
  readonly hold: ThreadHold;
  /** The Codex processes of this CODEX_HOME. */
  readonly live: readonly LiveCodex[];
  /** The session's directory, when its record or rollout names it. */
  readonly directory?: string | undefined;
}

/**
 * A TUI shows the thread when it holds it, or resumed it by id. A TUI whose threads an app-server
 * holds (the default) says which thread only through `resume <id>`: one started fresh cannot be
 * told apart from another TUI in the same directory, so it is never guessed at.
 */
function tuiOf(live: readonly LiveCodex[], threadId: string): LiveCodex | undefined {
  return live.find(
    (p) =>
      p.kind === 'tui' &&
      (p.threadId === threadId || p.threads.some((t) => t.threadId === threadId)),
  );
}

export function codexRoute(facts: RouteFacts): CodexRoute {
  const { threadId } = facts;
  if (facts.mode === 'notify') {
    return { kind: 'needs_user', message: '[codex] resume_mode = "notify": resume it yourself' };
  }
  if (facts.ours) {
    return { kind: 'not_now', message: `a codex exec of ours is still running in ${threadId}` };
  }
  const tui = tuiOf(facts.live, threadId);
  if (tui !== undefined) {
    if (facts.mode === 'headless') {
      return {
        kind: 'needs_user',
        message: `a Codex TUI (pid ${String(tui.pid)}) has thread ${threadId} open, and [codex] resume_mode = "headless" never types into it`,
      };
    }
    if (tui.tmux === undefined) {
      return {
        kind: 'needs_user',
        message: `a Codex TUI (pid ${String(tui.pid)}) has thread ${threadId} open outside tmux: continue it there`,
      };
    }
    return { kind: 'tmux', pid: tui.pid, socket: tui.tmux.socket, pane: tui.tmux.pane };
  }
  const hold = facts.hold;
  if (hold.kind === 'held') {
    const holder = facts.live.find((p) => p.pid === hold.pid);
    if (holder?.kind === 'exec') {
      return {
        kind: 'not_now',
        message: `codex exec (pid ${String(holder.pid)}) is still running in thread ${threadId}`,
      };
    }
    const what =
      holder?.kind === 'app-server'
        ? "Codex's background app-server (a TUI may have it open)"
        : `Codex process ${String(hold.pid)}`;
    return { kind: 'needs_user', message: `${what} holds thread ${threadId}: continue it there` };
  }
  if (facts.mode === 'tmux') {
    return {
      kind: 'needs_user',
      message: `no open Codex TUI in tmux has thread ${threadId} ([codex] resume_mode = "tmux")`,
    };
  }
  if (facts.directory === undefined) {
    return { kind: 'needs_user', message: `the rollout of thread ${threadId} names no directory` };
  }
  return { kind: 'headless', directory: facts.directory };
}
