import type { CLAUDE_RESUME_MODES } from './config.js';

export type ClaudeResumeMode = (typeof CLAUDE_RESUME_MODES)[number];

/** How a prompt reaches a Claude Code session, or why it must not. */
export type ResumeRoute =
  /** Type it into the interactive Claude Code's tmux pane. */
  | { readonly kind: 'tmux' }
  /** `claude -p --resume <id>` in the session's own directory. */
  | { readonly kind: 'headless'; readonly directory: string }
  /** Acting could do harm or the user said not to: a person is told. */
  | { readonly kind: 'needs_user'; readonly message: string }
  /** Not now (a run of the daemon's own is still going): worth trying again. */
  | { readonly kind: 'not_now'; readonly message: string };

export interface ResumeFacts {
  readonly mode: ClaudeResumeMode;
  readonly sessionId: string;
  /** The interactive process that has the session open, when one is alive. */
  readonly open?:
    | {
        readonly pid: number;
        readonly tmuxPane?: string | undefined;
        readonly status?: string | undefined;
        /** `sdk-cli` for a headless `claude -p` run. */
        readonly entrypoint?: string | undefined;
      }
    | undefined;
  /** A headless run the daemon started for this session is still going. */
  readonly running: boolean;
  /** The session's directory, from its record or its transcript's lines. */
  readonly directory?: string | undefined;
}

/** Which way a resume goes: a pure table over the facts the adapter gathered. */
export function resumeRoute(facts: ResumeFacts): ResumeRoute {
  const id = facts.sessionId;
  if (facts.mode === 'notify') {
    return {
      kind: 'needs_user',
      message: '[claude_code] resume_mode is "notify": resume it yourself',
    };
  }
  const open = facts.open;
  if (open !== undefined) {
    const pid = String(open.pid);
    if (open.entrypoint === 'sdk-cli') {
      // A headless run (the user's own, or one still ending): it finishes by itself.
      return {
        kind: 'not_now',
        message: `a headless Claude Code run (pid ${pid}) still has session ${id} open`,
      };
    }
    if (facts.mode === 'headless') {
      return {
        kind: 'needs_user',
        message: `session ${id} is still open in Claude Code (pid ${pid}); a headless resume would fork it`,
      };
    }
    if (open.tmuxPane === undefined) {
      return {
        kind: 'needs_user',
        message: `session ${id} is open in an interactive Claude Code (pid ${pid}) outside tmux`,
      };
    }
    if (open.status !== 'idle') {
      return {
        kind: 'needs_user',
        message: `the interactive Claude Code of session ${id} is ${open.status ?? 'in an unknown state'}, not idle`,
      };
    }
    return { kind: 'tmux' };
  }
  if (facts.mode === 'tmux') {
    return {
      kind: 'needs_user',
      message: `session ${id} has no live Claude Code in tmux (resume_mode = "tmux")`,
    };
  }
  if (facts.running) {
    return { kind: 'not_now', message: `a headless run of session ${id} is still going` };
  }
  // Claude Code finds a session by its directory: elsewhere (the daemon's own cwd) it would not.
  if (facts.directory === undefined) {
    return { kind: 'needs_user', message: `no directory is known for session ${id}` };
  }
  return { kind: 'headless', directory: facts.directory };
}
