import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, isAbsolute, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import type { CLAUDE_RESUME_MODES } from '../../config/schema.js';
import {
  NeedsUserError,
  type AgentAdapter,
  type HandoffContext,
  type Observation,
  type SessionRef,
} from '../adapter.js';
import { claudeEvidence } from './evidence.js';
import { runHeadless, type HeadlessRun } from './headless.js';
import { createJsonlTail, type JsonlTail } from './jsonl-tail.js';
import { readClaudeLine } from './lines.js';
import { hasCode } from '../../node-util.js';
import { pidAlive, scanLiveSessions, type LiveClaude } from './live.js';
import { paneRefusal, tmuxSocketOf, typeInto } from './tmux.js';
import {
  applyTranscriptLine,
  newTranscriptState,
  type TranscriptPhase,
  type TranscriptState,
} from './transcript.js';

export type ClaudeResumeMode = (typeof CLAUDE_RESUME_MODES)[number];

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
  /** Hook payloads that arrived while the daemon was down, replayed once watching starts. */
  readonly replaySpool?: (accept: (payload: unknown) => void) => Promise<void>;
  readonly onError: (what: string, error: unknown) => void;
  readonly onInfo: (what: string, details: Record<string, unknown>) => void;
}

/** Claude Code behind the agent interface, plus the hook intake the HTTP route feeds. */
export interface ClaudeAdapter extends AgentAdapter {
  /** A hook payload (from the forwarder or the spool); processed in order, never throws. */
  acceptHook(payload: unknown): void;
}

/** Transcripts older than this when the daemon starts are history, not sessions to judge. */
const DISCOVERY_WINDOW_MS = 24 * 60 * 60 * 1000;

const hookPayload = z.looseObject({
  hook_event_name: z.string(),
  session_id: z.string().min(1),
  transcript_path: z.string().optional(),
  cwd: z.string().optional(),
});

interface Tracked {
  readonly path: string;
  readonly tail: JsonlTail;
  state: TranscriptState;
  /** The phase position last reported, so each turn's end is reported once. */
  reported?: string | undefined;
  /** A stop held back a moment (see `report`), to be looked at again next tick. */
  deferred: boolean;
  /** Reads of one file never overlap: the tail's offset is not safe to share. */
  lock: Promise<void>;
}

/** Interactive Claude Code writes its "continue automatically" notice just after the limit line. */
const SELF_CONTINUE_GRACE_MS = 2000;
/** Claude Code continues 30–90 s after the reset (observed in 2.1.332): step in only after that. */
const SELF_CONTINUE_JITTER_S = 90;
/** A StopFailure hook may run ~100 ms before its transcript line is written. */
const HOOK_SETTLE_MS = 2000;

export function createClaudeAdapter(options: ClaudeAdapterOptions): ClaudeAdapter {
  const projectsDir = join(options.claudeDir, 'projects');
  const sessionsDir = join(options.claudeDir, 'sessions');
  const tracked = new Map<string, Tracked>(); // by transcript path
  const bySession = new Map<string, Tracked>();
  const live = new Map<string, LiveClaude>(); // by session id, newest process wins
  const crashesReported = new Set<string>();
  const runs = new Map<string, HeadlessRun>();
  const hookQueue: unknown[] = [];
  let emit: ((o: Observation) => void) | undefined;
  let firstScan = true;
  let wake: (() => void) | undefined;

  const ref = (state: TranscriptState): SessionRef => ({
    agent: 'claude-code',
    sessionId: state.sessionId,
    directory: state.cwd,
  });

  /**
   * Hook payloads are not authenticated (any local process can post one): only a transcript
   * inside Claude Code's own directory is ever followed.
   */
  function ownTranscript(path: string): boolean {
    const inside = relative(resolve(options.claudeDir), resolve(path));
    return (
      path.endsWith('.jsonl') && inside !== '' && !inside.startsWith('..') && !isAbsolute(inside)
    );
  }

  function track(path: string, fromEnd: boolean): Tracked {
    const existing = tracked.get(path);
    if (existing !== undefined) return existing;
    const entry: Tracked = {
      path,
      tail: createJsonlTail(path, { fromEnd }),
      state: newTranscriptState(basename(path, '.jsonl')),
      deferred: false,
      lock: Promise.resolve(),
    };
    tracked.set(path, entry);
    bySession.set(entry.state.sessionId, entry);
    return entry;
  }

  async function scanTranscripts(): Promise<Tracked[]> {
    const fresh: Tracked[] = [];
    const projects = await readdir(projectsDir).catch((error: unknown) => {
      if (hasCode(error, 'ENOENT')) return [];
      throw error;
    });
    for (const project of projects) {
      const dir = join(projectsDir, project);
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const name of names) {
        if (!name.endsWith('.jsonl')) continue;
        const path = join(dir, name);
        if (tracked.has(path)) continue;
        let fromEnd = false;
        if (firstScan) {
          const info = await stat(path).catch(() => undefined);
          if (info === undefined) continue;
          fromEnd = options.now() - info.mtimeMs > DISCOVERY_WINDOW_MS;
        }
        const entry = track(path, fromEnd);
        if (!fromEnd) fresh.push(entry);
      }
    }
    return fresh;
  }

  /** Reads new lines; reports the turn's state when it changed. */
  function readTranscript(entry: Tracked, discovering: boolean): Promise<void> {
    const next = entry.lock.then(() => readNow(entry, discovering));
    entry.lock = next.catch(() => undefined);
    return next;
  }

  async function readNow(entry: Tracked, discovering: boolean): Promise<void> {
    const read = await entry.tail.read();
    if (read.restarted) {
      entry.state = newTranscriptState(entry.state.sessionId);
      entry.reported = undefined;
    }
    if (read.malformed > 0) {
      emit?.({
        kind: 'malformed',
        agent: 'claude-code',
        detail: `${String(read.malformed)} unreadable line(s) in ${entry.path}`,
        at: options.now(),
      });
    }
    if (read.values.length === 0) {
      if (entry.deferred) report(entry, false);
      return;
    }
    for (const value of read.values) applyTranscriptLine(entry.state, value);
    const { state } = entry;
    if (discovering) {
      emit?.({
        kind: 'discovered',
        ref: ref(state),
        title: state.task?.slice(0, 80),
        at: options.now(),
      });
    }
    report(entry, discovering);
  }

  function report(entry: Tracked, discovering: boolean): void {
    const { state } = entry;
    const position = `${state.phase}:${state.phaseUuid ?? ''}`;
    const at = options.now();
    entry.deferred = false;
    if (state.phase === 'busy') {
      // At discovery a busy transcript may be a turn running elsewhere or a crash: the live
      // session files tell which; nothing is claimed from the transcript alone.
      if (!discovering) emit?.({ kind: 'busy', ref: ref(state), at });
      return;
    }
    if (state.phase === 'empty' || entry.reported === position) return;
    if (awaitingSelfContinue(entry, at)) {
      entry.deferred = true;
      return;
    }
    entry.reported = position;
    const evidence = phaseEvidence(state);
    if (evidence === undefined) return;
    emit?.({
      kind: 'stopped',
      ref: ref(state),
      evidence,
      recordedAt: state.phaseAt,
      messageId: state.phaseUuid,
      at,
    });
  }

  /**
   * An interactive Claude Code that hit its plan limit may announce that it continues by itself
   * at the reset: the stop is held back a moment for that notice, so the wait can leave it room.
   */
  function awaitingSelfContinue(entry: Tracked, at: number): boolean {
    const { state } = entry;
    if (state.phase !== 'stopped' || state.stop?.reason !== 'rate_limit') return false;
    if (state.selfContinue) return false;
    const session = live.get(state.sessionId);
    if (session === undefined || !session.alive || session.entrypoint === 'sdk-cli') return false;
    return at - (state.phaseAt ?? at) < SELF_CONTINUE_GRACE_MS;
  }

  async function scanLive(): Promise<void> {
    const scan = await scanLiveSessions(sessionsDir);
    const seen = new Set<string>();
    for (const session of scan.sessions) {
      // Several files may name one session (a resumed one): a live process beats a dead one.
      const prior = live.get(session.sessionId);
      if (seen.has(session.sessionId) && prior?.alive === true && !session.alive) continue;
      seen.add(session.sessionId);
      if (session.alive && session.status === 'busy' && prior?.status !== 'busy') {
        emit?.({
          kind: 'busy',
          ref: { agent: 'claude-code', sessionId: session.sessionId, directory: session.cwd },
          at: options.now(),
        });
      }
      live.set(session.sessionId, session);
    }
    for (const id of [...live.keys()]) if (!seen.has(id)) live.delete(id);
    for (const session of live.values()) {
      if (session.alive || session.status !== 'busy') continue;
      // A process that died mid-turn: its file says busy and its transcript has no answer.
      const entry = bySession.get(session.sessionId);
      if (entry !== undefined) await readTranscript(entry, false);
      if (entry?.state.phase !== 'busy') continue;
      reportCrash(entry, `pid ${String(session.pid)}`);
    }
  }

  function reportCrash(entry: Tracked, what: string): void {
    const key = `${entry.state.sessionId}:${entry.state.phaseUuid ?? ''}`;
    if (crashesReported.has(key)) return;
    crashesReported.add(key);
    options.onInfo('claude code process died mid-turn', { session: entry.state.sessionId, what });
    emit?.({
      kind: 'stopped',
      ref: ref(entry.state),
      evidence: claudeEvidence(
        { kind: 'no_stop', source: 'process', completed: false },
        { agentDied: true },
      ),
      recordedAt: options.now(),
      messageId: `crash:${entry.state.phaseUuid ?? what}`,
      at: options.now(),
    });
  }

  async function drainHooks(): Promise<void> {
    while (hookQueue.length > 0) {
      const payload = hookQueue.shift();
      const hook = hookPayload.safeParse(payload);
      if (!hook.success) {
        emit?.({
          kind: 'malformed',
          agent: 'claude-code',
          detail: `hook payload: ${hook.error.issues[0]?.message ?? 'invalid'}`,
          at: options.now(),
        });
        continue;
      }
      const h = hook.data;
      const entry =
        bySession.get(h.session_id) ??
        (h.transcript_path !== undefined && ownTranscript(h.transcript_path)
          ? track(h.transcript_path, false)
          : undefined);
      if (entry === undefined) continue;
      if (h.cwd !== undefined) entry.state.cwd ??= h.cwd;
      await readTranscript(entry, false);
      if (h.hook_event_name !== 'StopFailure') continue;
      const judged = readClaudeLine(payload);
      if (judged.kind === 'stop') void settleStopFailure(entry, judged);
    }
  }

  /** A stop the transcript does not show (yet), judged from a hook's or a result's own words. */
  function reportOwnWords(
    entry: Tracked,
    judged: Extract<ReturnType<typeof readClaudeLine>, { kind: 'stop' }>,
    source: 'hook' | 'result',
  ): void {
    entry.reported = `stopped:${entry.state.phaseUuid ?? ''}`;
    emit?.({
      kind: 'stopped',
      ref: ref(entry.state),
      evidence: claudeEvidence(judged),
      recordedAt: options.now(),
      messageId: `${source}:${entry.state.phaseUuid ?? entry.state.sessionId}`,
      at: options.now(),
    });
  }

  /**
   * A StopFailure is the fastest signal, but its transcript line (with the exact `resetsAt`) may
   * follow ~100 ms later: wait briefly for it, and judge the hook's own words only if it never
   * comes. Runs beside the scan loop.
   */
  async function settleStopFailure(
    entry: Tracked,
    judged: Extract<ReturnType<typeof readClaudeLine>, { kind: 'stop' }>,
  ): Promise<void> {
    const before = entry.state.phaseUuid;
    const moved = (): boolean =>
      entry.state.phase === 'stopped' || entry.state.phaseUuid !== before;
    const deadline = options.now() + HOOK_SETTLE_MS;
    while (!moved() && options.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await readTranscript(entry, false).catch((error: unknown) => {
        options.onError('claude code transcript', error);
      });
    }
    if (moved()) return;
    reportOwnWords(entry, judged, 'hook');
  }

  async function tick(): Promise<void> {
    const fresh = await scanTranscripts();
    for (const entry of fresh) await readTranscript(entry, firstScan);
    for (const entry of tracked.values()) {
      if (!fresh.includes(entry)) await readTranscript(entry, false);
    }
    firstScan = false;
    await scanLive();
    await drainHooks();
  }

  async function transcriptOf(sessionId: string): Promise<Tracked | undefined> {
    const known = bySession.get(sessionId);
    if (known !== undefined) return known;
    await scanTranscripts();
    return bySession.get(sessionId);
  }

  async function readAll(sessionId: string): Promise<{ lines: unknown[]; state: TranscriptState }> {
    const entry = await transcriptOf(sessionId);
    if (entry === undefined) throw new Error(`no transcript for Claude Code session ${sessionId}`);
    const text = await readFile(entry.path, 'utf8');
    const lines: unknown[] = [];
    const state = newTranscriptState(sessionId);
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      try {
        const value = JSON.parse(line) as unknown;
        lines.push(value);
        applyTranscriptLine(state, value);
      } catch {
        // A torn or corrupt line: the rest of the transcript still counts.
      }
    }
    return { lines, state };
  }

  /** Starts a headless run and supervises it until it exits. */
  async function headless(
    resume: string | undefined,
    directory: string | undefined,
    prompt: string,
  ): Promise<SessionRef> {
    const run = runHeadless({
      binary: options.binary,
      cwd: directory,
      prompt,
      resume,
      env: options.env,
      onLine: () => undefined,
      onMalformed: (line) => {
        emit?.({
          kind: 'malformed',
          agent: 'claude-code',
          detail: `stream-json line: ${line.slice(0, 120)}`,
          at: options.now(),
        });
      },
    });
    const sessionId = await run.started;
    runs.set(sessionId, run);
    const started: SessionRef = { agent: 'claude-code', sessionId, directory };
    emit?.({ kind: 'busy', ref: started, at: options.now() });
    void run.exited
      .then(async (exit) => {
        if (runs.get(sessionId) === run) runs.delete(sessionId);
        options.onInfo('claude code headless run ended', {
          session: sessionId,
          code: exit.code,
          signal: exit.signal,
        });
        const entry = await transcriptOf(sessionId);
        if (entry === undefined) return;
        await readTranscript(entry, false);
        if (entry.state.phase === 'busy' && exit.result === undefined) {
          reportCrash(entry, `headless run ${exit.signal ?? `exit ${String(exit.code)}`}`);
          return;
        }
        // A run that ended on a context overflow says so only in its result line.
        const judged = exit.result === undefined ? undefined : readClaudeLine(exit.result);
        if (judged?.kind === 'stop' && entry.state.phase !== 'stopped') {
          reportOwnWords(entry, judged, 'result');
        }
      })
      .catch((error: unknown) => {
        options.onError('claude code headless supervision', error);
      });
    return started;
  }

  async function resumeInteractive(session: LiveClaude, text: string): Promise<void> {
    if (session.tmuxPane === undefined) {
      throw new NeedsUserError(
        `session ${session.sessionId} is open in an interactive Claude Code (pid ${String(session.pid)}) outside tmux`,
      );
    }
    if (session.status !== 'idle') {
      throw new NeedsUserError(
        `the interactive Claude Code of session ${session.sessionId} is ${session.status ?? 'in an unknown state'}, not idle`,
      );
    }
    const target = {
      binary: options.tmuxBinary,
      socket: session.tmuxSocket ?? (await tmuxSocketOf(session.pid)),
      pane: session.tmuxPane,
    };
    const refusal = await paneRefusal(target, session.pid);
    if (refusal !== undefined) throw new NeedsUserError(refusal);
    await typeInto(target, text);
  }

  return {
    agent: 'claude-code',
    acceptHook(payload) {
      hookQueue.push(payload);
      wake?.();
    },
    async watch(emitTo, signal) {
      emit = emitTo;
      emitTo({ kind: 'connection', agent: 'claude-code', up: true, at: options.now() });
      let replayed = options.replaySpool === undefined;
      while (!signal.aborted) {
        try {
          await tick();
          if (!replayed) {
            replayed = true;
            await options.replaySpool?.((payload) => hookQueue.push(payload));
            await drainHooks();
          }
        } catch (error) {
          options.onError('claude code scan', error);
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
          void options.sleep(options.pollMs, signal).then(resolve);
        });
        wake = undefined;
      }
      for (const run of runs.values()) run.kill();
    },
    async sendPrompt(target, text) {
      if (options.resumeMode === 'notify') {
        throw new NeedsUserError('[claude_code] resume_mode is "notify": resume it yourself');
      }
      const session = live.get(target.sessionId);
      if (session !== undefined && session.alive && pidAlive(session.pid)) {
        if (options.resumeMode === 'headless') {
          throw new NeedsUserError(
            `session ${target.sessionId} is still open in Claude Code (pid ${String(session.pid)}); a headless resume would fork it`,
          );
        }
        await resumeInteractive(session, text);
        return;
      }
      if (options.resumeMode === 'tmux') {
        throw new NeedsUserError(
          `session ${target.sessionId} has no live Claude Code in tmux (resume_mode = "tmux")`,
        );
      }
      if (runs.has(target.sessionId)) {
        throw new Error(`a headless run of session ${target.sessionId} is still going`);
      }
      const entry = await transcriptOf(target.sessionId);
      await headless(target.sessionId, target.directory ?? entry?.state.cwd, text);
    },
    async startSession(directory, _title, text) {
      return headless(undefined, directory, text);
    },
    async exportSession(target) {
      return (await readAll(target.sessionId)).lines;
    },
    async handoffContext(target): Promise<HandoffContext> {
      const { state } = await readAll(target.sessionId);
      return { task: state.task, todos: state.todos, lastAssistantText: state.lastAssistantText };
    },
    async lastMessageAt(target) {
      return (await readAll(target.sessionId)).state.lastAt;
    },
  };
}

function phaseEvidence(state: TranscriptState): ReturnType<typeof claudeEvidence> | undefined {
  const phase: TranscriptPhase = state.phase;
  switch (phase) {
    case 'stopped': {
      const stop = state.stop;
      if (stop === undefined) return undefined;
      if (!state.selfContinue || stop.resetsAtSeconds === undefined) return claudeEvidence(stop);
      // Claude Code resumes this one itself after the reset; palingenesis only if it did not.
      return claudeEvidence({
        ...stop,
        resetsAtSeconds: stop.resetsAtSeconds + SELF_CONTINUE_JITTER_S,
        text: `${stop.text} (Claude Code continues by itself after the reset; palingenesis steps in ${String(SELF_CONTINUE_JITTER_S)} s later only if it has not)`,
      });
    }
    case 'completed':
      return claudeEvidence({ kind: 'no_stop', source: 'transcript', completed: true });
    case 'interrupted':
      return claudeEvidence({
        kind: 'stop',
        reason: 'user_exit',
        text: 'the user interrupted the turn',
        source: 'transcript',
      });
    case 'busy':
    case 'empty':
      return undefined;
  }
}
