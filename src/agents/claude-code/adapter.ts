import { join } from 'node:path';
import { hasCode } from '../../node-util.js';
import {
  NeedsUserError,
  type AgentAdapter,
  type HandoffContext,
  type Observation,
} from '../adapter.js';
import type { HookReceipt } from '../definition.js';
import type { HeadlessExit } from './headless.js';
import { createHeadlessRuns } from './headless-runs.js';
import { createHookIntake } from './hook-intake.js';
import type { HookRejection } from './hook-verdict.js';
import { readClaudeLine } from './lines.js';
import { pidAlive, type LiveClaude } from './live.js';
import { createLiveWatch } from './live-watch.js';
import { createReporter } from './reporter.js';
import { resumeRoute, type ClaudeResumeMode } from './resume-route.js';
import { paneRefusal, tmuxSocketOf, typeInto } from './tmux.js';
import { findTranscript, readTranscriptRecord } from './transcript-record.js';
import { createTranscriptTracker, type Tracked } from './transcript-tracker.js';

export { HOOK_REJECTIONS, type HookRejection } from './hook-verdict.js';
export type { ClaudeResumeMode } from './resume-route.js';

export interface ClaudeAdapterOptions {
  /** Claude Code's directory (`~/.claude` or `$CLAUDE_CONFIG_DIR`). */
  readonly claudeDir: string;
  readonly binary: string;
  readonly tmuxBinary: string;
  readonly resumeMode: ClaudeResumeMode;
  readonly pollMs: number;
  /** Environment of the headless runs the daemon starts. */
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /**
   * Transcripts followed at once (`[limits] max_tracked_files`; default 20000); beyond it the
   * least recently active without a running turn are dropped, and followed again if they change.
   */
  readonly maxTrackedFiles?: number;
  /** Every hook not acted on, with why (a bounded set: `HOOK_REJECTIONS`). Called per hook. */
  readonly onHookRejected?: (reason: HookRejection, detail: string) => void;
  /** A caught failure, logged and counted; `kind` is a short fixed word (see AgentDeps). */
  readonly onError: (kind: string, error: unknown) => void;
  readonly onInfo: (what: string, details: Record<string, unknown>) => void;
}

/** Claude Code behind the agent interface, plus the hook intake the HTTP route feeds. */
export interface ClaudeAdapter extends AgentAdapter {
  /** A hook payload (from the forwarder, or replayed); processed in order, never throws. */
  acceptHook(payload: unknown): HookReceipt;
}

const DEFAULT_MAX_TRACKED_FILES = 20_000;

/** What Claude Code writes as `entrypoint` in sessions/<pid>.json for `claude -p`. */
const HEADLESS_ENTRYPOINT = 'sdk-cli';
const HEADLESS_EXIT_WAIT_MS = 5000;

/** Resolves once `pid` is gone, or after `timeoutMs` (bounded polling: a pid has no exit event). */
async function exitOf(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function createClaudeAdapter(options: ClaudeAdapterOptions): ClaudeAdapter {
  const projectsDir = join(options.claudeDir, 'projects');
  const maxTrackedFiles = options.maxTrackedFiles ?? DEFAULT_MAX_TRACKED_FILES;
  const live = new Map<string, LiveClaude>(); // by session id, newest process wins
  let emit: ((o: Observation) => void) | undefined;
  let watching: AbortSignal | undefined;
  let firstScan = true;
  let wake: (() => void) | undefined;

  const tracker = createTranscriptTracker({
    projectsDir,
    maxTrackedFiles,
    now: options.now,
    onError: options.onError,
  });
  const reporter = createReporter({
    read: (entry) => tracker.read(entry),
    emit: (o) => emit?.(o),
    now: options.now,
    live,
    onInfo: options.onInfo,
    maxRemembered: maxTrackedFiles,
  });
  const observe = (entry: Tracked, discovering: boolean): Promise<void> =>
    reporter.observe(entry, discovering);
  const liveWatch = createLiveWatch({
    sessionsDir: join(options.claudeDir, 'sessions'),
    live,
    emit: (o) => emit?.(o),
    now: options.now,
    transcriptOf: (sessionId) => tracker.bySession(sessionId),
    observe: (entry) => observe(entry, false),
    crash: (entry, what) => {
      reporter.crash(entry, what);
    },
  });
  const runs = createHeadlessRuns({
    binary: options.binary,
    env: options.env,
    now: options.now,
    emit: (o) => emit?.(o),
    onInfo: options.onInfo,
    onError: options.onError,
    onExit: (sessionId, exit) => judgeExit(sessionId, exit),
  });
  const intake = createHookIntake({
    projectsDir,
    tracker,
    reporter,
    observe: (entry) => observe(entry, false),
    onRejected: (reason, detail) => options.onHookRejected?.(reason, detail),
    onError: options.onError,
    now: options.now,
    stopped: () => watching?.aborted ?? true,
  });

  async function tick(): Promise<void> {
    const fresh = await tracker.scan(firstScan);
    for (const entry of fresh) await observe(entry, firstScan);
    for (const entry of tracker.entries()) {
      if (!fresh.includes(entry)) await observe(entry, false);
    }
    firstScan = false;
    await liveWatch.scan();
    await intake.drain();
  }

  /** The followed transcript of a session, following it if it exists but is not followed. */
  async function followed(sessionId: string): Promise<Tracked | undefined> {
    const known = tracker.bySession(sessionId);
    if (known !== undefined) return known;
    const path = await findTranscript(projectsDir, sessionId);
    return path === undefined ? undefined : tracker.track(path);
  }

  async function transcriptPath(sessionId: string): Promise<string | undefined> {
    return tracker.bySession(sessionId)?.path ?? (await findTranscript(projectsDir, sessionId));
  }

  async function record(sessionId: string): ReturnType<typeof readTranscriptRecord> {
    const path = await transcriptPath(sessionId);
    if (path === undefined) throw new Error(`no transcript for Claude Code session ${sessionId}`);
    return readTranscriptRecord(path, sessionId);
  }

  /** Where the session's transcript says it runs; undefined when it does not say (or is gone). */
  async function directoryOf(sessionId: string): Promise<string | undefined> {
    const known = tracker.bySession(sessionId)?.state.cwd;
    if (known !== undefined) return known;
    // Followed from its end (old history) or not at all: only the whole file tells.
    try {
      const path = await transcriptPath(sessionId);
      return path === undefined
        ? undefined
        : (await readTranscriptRecord(path, sessionId)).state.cwd;
    } catch (error) {
      // Gone since it was found: it says nothing. Unreadable: a failure (counted) that says
      // nothing either; the route then asks for a directory it does not have.
      if (!hasCode(error, 'ENOENT')) options.onError('transcript_read', error);
      return undefined;
    }
  }

  /** A run of ours ended: a crash if its turn was left unanswered, else what its result says. */
  async function judgeExit(sessionId: string, exit: HeadlessExit): Promise<void> {
    const entry = await followed(sessionId);
    if (entry === undefined) return;
    await observe(entry, false);
    if (entry.state.phase === 'busy' && exit.result === undefined) {
      reporter.crash(entry, `headless run ${exit.signal ?? `exit ${String(exit.code)}`}`);
      return;
    }
    // A run that ended on a context overflow says so only in its result line.
    const judged = exit.result === undefined ? undefined : readClaudeLine(exit.result);
    if (judged?.kind === 'stop' && entry.state.phase !== 'stopped') {
      reporter.ownWords(entry, judged, 'result');
    }
  }

  async function typeIntoPane(session: LiveClaude, pane: string, text: string): Promise<void> {
    const target = {
      binary: options.tmuxBinary,
      socket: session.tmuxSocket ?? (await tmuxSocketOf(session.pid)),
      pane,
    };
    const refusal = await paneRefusal(target, session.pid);
    if (refusal !== undefined) throw new NeedsUserError(refusal);
    await typeInto(target, text);
  }

  return {
    agent: 'claude-code',
    acceptHook(payload) {
      const receipt = intake.accept(payload);
      if (receipt.taken) wake?.();
      return receipt;
    },
    async watch(emitTo, signal) {
      emit = emitTo;
      watching = signal;
      emitTo({ kind: 'connection', agent: 'claude-code', up: true, at: options.now() });
      // Hooks taken before this (replayed by the daemon at its start) are looked at after the
      // first scan, which follows every recent transcript they may name.
      while (!signal.aborted) {
        try {
          await tick();
        } catch (error) {
          options.onError('scan', error);
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          void options.sleep(options.pollMs, signal).then(resolve);
        });
        wake = undefined;
      }
      intake.close();
      runs.killAll();
    },
    async sendPrompt(target, text) {
      const session = live.get(target.sessionId);
      // A headless `claude -p` that just met the limit ends by itself moments later (its stop is
      // often seen first): give it that moment rather than taking it for an open session.
      if (session?.alive === true && session.entrypoint === HEADLESS_ENTRYPOINT) {
        await exitOf(session.pid, HEADLESS_EXIT_WAIT_MS);
      }
      const open = session?.alive === true && pidAlive(session.pid) ? session : undefined;
      const directory =
        target.directory ??
        (options.resumeMode === 'notify' || open !== undefined
          ? undefined
          : await directoryOf(target.sessionId));
      const route = resumeRoute({
        mode: options.resumeMode,
        sessionId: target.sessionId,
        open,
        running: runs.running(target.sessionId),
        directory,
      });
      switch (route.kind) {
        case 'needs_user':
          throw new NeedsUserError(route.message);
        case 'not_now':
          throw new Error(route.message);
        case 'tmux':
          if (open?.tmuxPane !== undefined) await typeIntoPane(open, open.tmuxPane, text);
          return;
        case 'headless':
          await runs.start(target.sessionId, route.directory, text);
          return;
      }
    },
    async startSession(directory, _title, text) {
      // `claude -p` anywhere else (the daemon's own cwd) would work on the wrong project.
      if (directory === undefined) {
        throw new NeedsUserError('no directory is known to start a Claude Code session in');
      }
      return runs.start(undefined, directory, text);
    },
    async exportSession(target) {
      return (await record(target.sessionId)).lines;
    },
    async handoffContext(target): Promise<HandoffContext> {
      const { state } = await record(target.sessionId);
      return { task: state.task, todos: state.todos, lastAssistantText: state.lastAssistantText };
    },
    async lastMessageAt(target) {
      return (await record(target.sessionId)).state.lastAt;
    },
    // The prompt was taken: Claude Code answered it (or its error ended the turn) since then.
    // After a daemon restart the busy that showed it is gone; the transcript still tells.
    async workedSince(target, at) {
      return ((await record(target.sessionId)).state.lastAssistantAt ?? -Infinity) >= at;
    },
  };
}
