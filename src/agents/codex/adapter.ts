import { join } from 'node:path';
import {
  NeedsUserError,
  type AgentAdapter,
  type HandoffContext,
  type Observation,
  type SessionRef,
} from '../adapter.js';
import type { CodexResumeMode } from './config.js';
import { scanLiveCodex, type LiveCodex } from './live.js';
import { codexRoute, type CodexRoute } from './resume-route.js';
import {
  capturePane,
  codexPaneRefusal,
  dismissRateLimitModal,
  retryOnScreen,
  typePrompt,
} from './tmux.js';
import { codexEvidence, codexHandoff } from './evidence.js';
import { createExecRuns } from './exec-runs.js';
import type { ExecExit } from './headless.js';
import { createRolloutFiles, type Rollout } from './rollout-files.js';
import { threadHolds, type ThreadHold } from './thread-locks.js';
import { readThreadRecord, turnStartedSince, type ThreadRecord } from './thread-record.js';
import type { ThreadState } from './thread.js';

export interface CodexAdapterOptions {
  /** `$CODEX_HOME` (or `~/.codex`): rollouts under `sessions/`, locks under `thread-writer-locks/`. */
  readonly codexHome: string;
  readonly binary: string;
  readonly execArgs: readonly string[];
  readonly resumeMode: CodexResumeMode;
  readonly pollMs: number;
  /** Environment of the `codex exec` runs the daemon starts. */
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => number;
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Rollouts followed at once (`[limits] max_tracked_files`). */
  readonly maxTrackedFiles: number;
  /** A caught failure, logged and counted; `kind` is a short fixed word (see AgentDeps). */
  readonly onError: (kind: string, error: unknown) => void;
  readonly onInfo: (what: string, details: Record<string, unknown>) => void;
  readonly tmuxBinary: string;
  /** Which threads a Codex process holds; default: the thread locks (see thread-locks.ts). */
  readonly holds?: (threadIds: readonly string[]) => Promise<Map<string, ThreadHold>>;
  /** The Codex processes of this home; default: /proc (see live.ts). */
  readonly live?: () => Promise<LiveCodex[]>;
}

/** A running turn nobody holds is a crash only after this (a process may be starting). */
const ORPHAN_GRACE_MS = 3000;
/** A `codex exec` that just ended its turn lets go of the thread moments later. */
const RELEASE_WAIT_MS = 5000;
const AGENT = 'codex';
/** How often a running turn's TUI screen is read for Codex's own retries. */
const RETRY_SCAN_MS = 2000;
/** Each step in the TUI (the dialog gone, the prompt submitted) must show within this. */
const TUI_STEP_MS = 10_000;

export function createCodexAdapter(options: CodexAdapterOptions): AgentAdapter {
  const files = createRolloutFiles({
    sessionsDir: join(options.codexHome, 'sessions'),
    maxTracked: options.maxTrackedFiles,
    now: options.now,
  });
  const holds =
    options.holds ?? ((threads: readonly string[]) => threadHolds(options.codexHome, threads));
  const live = options.live ?? (() => scanLiveCodex({ codexHome: options.codexHome }));
  const crashed = new Set<string>(); // `${thread}:${turn}` reported as crashes
  let emit: ((o: Observation) => void) | undefined;
  let firstScan = true;
  let lastRetryScan = -Infinity;
  const runs = createExecRuns({
    binary: options.binary,
    execArgs: options.execArgs,
    env: options.env,
    now: options.now,
    emit: (o) => emit?.(o),
    onInfo: options.onInfo,
    onError: options.onError,
    onExit: (threadId, exit) => judgeExit(threadId, exit),
  });

  const ref = (state: ThreadState): SessionRef | undefined =>
    state.threadId === undefined
      ? undefined
      : { agent: AGENT, sessionId: state.threadId, directory: state.cwd };

  async function observe(entry: Rollout, discovering: boolean, fresh: boolean): Promise<void> {
    const read = await files.read(entry);
    if (read.malformed > 0) {
      emit?.({
        kind: 'malformed',
        agent: AGENT,
        unit: 'line',
        count: read.malformed,
        detail: `${String(read.malformed)} unreadable line(s) in ${entry.path}`,
        at: options.now(),
      });
    }
    if (!read.changed) return;
    const session = ref(entry.state);
    if (session === undefined) return;
    if (fresh) {
      emit?.({
        kind: 'discovered',
        ref: session,
        title: entry.state.task?.slice(0, 80),
        at: options.now(),
      });
    }
    report(entry, session, discovering);
  }

  /** Busy while a turn runs; each turn's end once. */
  function report(entry: Rollout, session: SessionRef, discovering: boolean): void {
    const { state } = entry;
    const at = options.now();
    if (state.phase === 'busy') {
      if (!discovering) emit?.({ kind: 'busy', ref: session, at });
      return;
    }
    entry.orphanedSince = undefined;
    const position = `${state.phase}:${state.turnId ?? ''}`;
    if (state.phase === 'empty' || entry.reported === position) return;
    // A whole turn between two reads (a quick answer to a prompt typed into the TUI) was busy
    // too: said first, so a resume waiting for it is verified.
    const turnSeen = entry.reported?.endsWith(`:${state.turnId ?? ''}`) === true;
    if (!discovering && entry.reported !== undefined && !turnSeen) {
      emit?.({ kind: 'busy', ref: session, at });
    }
    entry.reported = position;
    emit?.({
      kind: 'stopped',
      ref: session,
      evidence: codexEvidence(state),
      recordedAt: state.phaseAt,
      messageId: `${state.turnId ?? ''}:${state.phase}`,
      at,
    });
  }

  function crash(entry: Rollout, what: string): void {
    const session = ref(entry.state);
    const key = `${entry.state.threadId ?? ''}:${entry.state.turnId ?? ''}`;
    if (session === undefined || crashed.has(key)) return;
    crashed.add(key);
    if (crashed.size > options.maxTrackedFiles) {
      const oldest = crashed.values().next().value;
      if (oldest !== undefined) crashed.delete(oldest);
    }
    options.onInfo('codex process died mid-turn', { session: session.sessionId, what });
    entry.reported = `crash:${entry.state.turnId ?? ''}`;
    emit?.({
      kind: 'stopped',
      ref: session,
      evidence: codexEvidence(entry.state, { agentDied: true }),
      recordedAt: options.now(),
      messageId: `${entry.state.turnId ?? ''}:crash`,
      at: options.now(),
    });
  }

  /** Running turns no Codex process holds any more, and that no run of ours is still in. */
  async function findOrphans(): Promise<void> {
    const busy = files
      .entries()
      .filter((e) => e.state.phase === 'busy' && e.state.threadId !== undefined);
    if (busy.length === 0) return;
    const held = await holds(busy.map((e) => e.state.threadId ?? ''));
    const now = options.now();
    for (const entry of busy) {
      const thread = entry.state.threadId ?? '';
      if (held.get(thread)?.kind !== 'free' || runs.running(thread)) {
        entry.orphanedSince = undefined;
        continue;
      }
      entry.orphanedSince ??= now;
      if (now - entry.orphanedSince >= ORPHAN_GRACE_MS) crash(entry, 'no process holds the thread');
    }
  }

  /**
   * A running turn in an open TUI in tmux whose status line says Codex waits to retry
   * ("reconnecting 1/5"): recorded as retrying, never acted on. The rollout does not record it;
   * the daemon's own runs say it on stdout (exec-runs.ts). Read only while such a turn runs.
   */
  async function findRetries(): Promise<void> {
    const now = options.now();
    if (now - lastRetryScan < RETRY_SCAN_MS) return;
    lastRetryScan = now;
    const busy = files
      .entries()
      .filter((e) => e.state.phase === 'busy' && !runs.running(e.state.threadId ?? ''));
    if (busy.length === 0) return;
    const processes = await live();
    for (const entry of busy) {
      const session = ref(entry.state);
      const tui = processes.find(
        (p) =>
          p.kind === 'tui' &&
          p.tmux !== undefined &&
          (p.threadId === entry.state.threadId ||
            p.threads.some((t) => t.threadId === entry.state.threadId)),
      );
      if (session === undefined || tui?.tmux === undefined) continue;
      const target = { binary: options.tmuxBinary, ...tui.tmux };
      // A probe: a pane that cannot be read (closed, tmux gone) shows no retry line.
      const retry = retryOnScreen(await capturePane(target).catch(() => ''));
      const key =
        retry === undefined ? undefined : `${entry.state.turnId ?? ''}:${String(retry.attempt)}`;
      if (retry === undefined || entry.retryReported === key) continue;
      entry.retryReported = key;
      const at = options.now();
      emit?.({
        kind: 'retrying',
        ref: session,
        attempt: retry.attempt,
        message: `${retry.line} (attempt ${String(retry.attempt)} of ${String(retry.of)})`,
        nextAt: at,
        at,
      });
    }
  }

  async function tick(): Promise<void> {
    const fresh = await files.scan(firstScan);
    for (const entry of fresh) await observe(entry, firstScan, true);
    for (const entry of files.entries()) {
      if (!fresh.includes(entry)) await observe(entry, false, false);
    }
    firstScan = false;
    await findOrphans();
    await findRetries();
  }

  /** A run of ours ended: a crash if its turn never ended, else its rollout says how it went. */
  async function judgeExit(threadId: string, exit: ExecExit): Promise<void> {
    const entry = await files.find(threadId);
    if (entry === undefined) return;
    await observe(entry, false, false);
    if (entry.state.phase === 'busy' && !exit.turnEnded) {
      crash(entry, `codex exec ${exit.signal ?? `exit ${String(exit.code)}`}`);
    }
  }

  /** The holder of a thread, after giving a `codex exec` that just ended its turn time to exit. */
  async function holderOf(threadId: string): Promise<ThreadHold> {
    const deadline = options.now() + RELEASE_WAIT_MS;
    for (;;) {
      const hold = (await holds([threadId])).get(threadId) ?? { kind: 'unknown' };
      if (hold.kind !== 'held' || options.now() >= deadline) return hold;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * Types the prompt into the open TUI: only when its pane's foreground is that Codex at an idle
   * prompt (or its rate-limit dialog, answered "Keep current model", never "Switch").
   */
  async function typeIntoTui(
    route: Extract<CodexRoute, { kind: 'tmux' }>,
    text: string,
  ): Promise<void> {
    const pane = { binary: options.tmuxBinary, socket: route.socket, pane: route.pane };
    const refusal = await codexPaneRefusal(pane, route.pid);
    if (refusal !== undefined) throw new NeedsUserError(refusal);
    const dismissed = await dismissRateLimitModal(pane, { timeoutMs: TUI_STEP_MS });
    if (!dismissed.ok) throw new NeedsUserError(dismissed.reason);
    const typed = await typePrompt(pane, text, { timeoutMs: TUI_STEP_MS });
    if (!typed.ok) throw new Error(typed.reason);
  }

  async function wholeThread(threadId: string): Promise<ThreadRecord> {
    const entry = await files.find(threadId);
    if (entry === undefined) throw new Error(`no rollout file for Codex thread ${threadId}`);
    return readThreadRecord(entry.path, threadId);
  }

  return {
    agent: AGENT,
    compactsOnResume: true,
    async watch(emitTo, signal) {
      emit = emitTo;
      emitTo({ kind: 'connection', agent: AGENT, up: true, at: options.now() });
      while (!signal.aborted) {
        try {
          await tick();
        } catch (error) {
          options.onError('scan', error);
        }
        await options.sleep(options.pollMs, signal);
      }
      runs.killAll();
    },
    async sendPrompt(target, text) {
      const threadId = target.sessionId;
      const notify = options.resumeMode === 'notify';
      const route = codexRoute({
        mode: options.resumeMode,
        threadId,
        ours: runs.running(threadId),
        hold: notify ? { kind: 'unknown' } : await holderOf(threadId),
        live: notify ? [] : await live(),
        directory: target.directory ?? (await files.find(threadId))?.state.cwd,
      });
      switch (route.kind) {
        case 'needs_user':
          throw new NeedsUserError(route.message);
        case 'not_now':
          throw new Error(route.message);
        case 'tmux':
          await typeIntoTui(route, text);
          return;
        case 'headless':
          await runs.start(threadId, route.directory, text);
          return;
      }
    },
    async startSession(directory, _title, text) {
      // `codex exec` anywhere else (the daemon's own cwd) would work on the wrong project.
      if (directory === undefined) {
        throw new NeedsUserError('no directory is known to start a Codex session in');
      }
      return runs.start(undefined, directory, text);
    },
    async exportSession(target) {
      return (await wholeThread(target.sessionId)).lines;
    },
    async handoffContext(target): Promise<HandoffContext> {
      return codexHandoff((await wholeThread(target.sessionId)).state);
    },
    async lastMessageAt(target) {
      return (await wholeThread(target.sessionId)).state.lastAt;
    },
    async workedSince(target, at) {
      return turnStartedSince((await wholeThread(target.sessionId)).lines, at);
    },
  };
}
