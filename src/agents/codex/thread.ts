import { capText } from './cap-text.js';
import { readRateLimits, type RateLimits } from './rate-limits.js';
import { isInjected, planTodos, promptText, replyText } from './rollout-items.js';
import type { CodexErrorInfo, CodexEvent, RolloutRecord } from './rollout-lines.js';

/** Where a Codex thread is, after the rollout lines read so far. */
export type ThreadPhase =
  /** No turn yet. */
  | 'empty'
  /** `task_started` without `task_complete`: running, sleeping on a retry, or killed. */
  | 'busy'
  | 'completed'
  /** `task_complete` with an error: a limit, an overload, a context overflow, … */
  | 'failed'
  /** `turn_aborted`: the user pressed Esc / Ctrl-C (or the turn was replaced). Never resumed. */
  | 'interrupted';

/** The failure of the last turn: its message and Codex's `codex_error_info`. */
export interface TurnFailure {
  readonly message: string;
  readonly code?: string | undefined;
  readonly httpStatus?: number | undefined;
  readonly resetAfterSeconds?: number | undefined;
}

export interface ThreadState {
  /** From the file name until the first `session_meta` names it (a UUIDv7). */
  threadId?: string | undefined;
  /** A `session_meta` was read: later ones (copied history) do not rename the thread. */
  metaRead: boolean;
  cwd?: string | undefined;
  /** `codex_exec` (headless `codex exec`) or `codex-tui` (interactive). */
  originator?: string | undefined;
  cliVersion?: string | undefined;
  modelProvider?: string | undefined;
  phase: ThreadPhase;
  turnId?: string | undefined;
  /** Epoch ms of the line that decided the phase. */
  phaseAt?: number | undefined;
  /** Epoch ms of the newest line with a timestamp. */
  lastAt?: number | undefined;
  /** Set while phase is `failed`. */
  failure?: TurnFailure | undefined;
  /** The newest `error` event of the running turn (written only with extended persistence). */
  turnError?: TurnFailure | undefined;
  /** `turn_aborted.reason`, while phase is `interrupted`. */
  abortReason?: string | undefined;
  rateLimits?: RateLimits | undefined;
  /**
   * Codex said it is retrying inside the running turn ("Reconnecting... 2/5"). Codex 0.171 never
   * writes that to the rollout — stream errors are not persisted (checked against the captures'
   * `ordinal` gaps and codex-rs `rollout/policy.rs`); only `codex exec --json` stdout shows them.
   * Kept for a rollout that does record `stream_error`; a sleeping turn otherwise reads as busy.
   */
  retrying?: { attempt?: number | undefined; of?: number | undefined; message: string } | undefined;
  /** Epoch ms of the newest `compacted` line. */
  compactedAt?: number | undefined;
  /** The first prompt the user typed: the task, for a handoff. Capped, like every text here. */
  task?: string | undefined;
  /** The newest prompt: what a killed turn was doing, to send again. */
  lastPrompt?: string | undefined;
  lastAssistantText?: string | undefined;
  /** Codex's plan (`update_plan`), as todos. */
  todos: { content: string; status: string }[];
}

export function newThreadState(threadId?: string): ThreadState {
  return { threadId, metaRead: false, phase: 'empty', todos: [] };
}

const ROLLOUT_NAME =
  /(?:^|[\\/])rollout-[^\\/]*?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl$/i;

/** `rollout-2026-12-03T07-31-10-<thread uuid>.jsonl` (or a path ending in it) → the uuid. */
export function threadIdFromRolloutName(name: string): string | undefined {
  return ROLLOUT_NAME.exec(name)?.[1];
}

/** Folds one rollout record into the state; the adapter feeds each new complete line. */
export function foldRollout(state: ThreadState, record: RolloutRecord): void {
  if (record.at !== undefined) state.lastAt = record.at;
  switch (record.type) {
    case 'session_meta':
      if (state.metaRead) return;
      state.metaRead = true;
      state.threadId = record.meta.id;
      state.cwd = record.meta.cwd ?? state.cwd;
      state.originator = record.meta.originator;
      state.cliVersion = record.meta.cli_version;
      state.modelProvider = record.meta.model_provider ?? undefined;
      return;
    case 'turn_context':
      state.cwd = record.cwd ?? state.cwd;
      return;
    case 'compacted':
      state.compactedAt = record.at ?? state.lastAt;
      return;
    case 'event_msg':
      foldEvent(state, record.event);
      return;
    case 'response_item': {
      const prompt = promptText(record.item);
      if (prompt !== undefined) notePrompt(state, prompt);
      noteReply(state, replyText(record.item));
      state.todos = planTodos(record.item) ?? state.todos;
    }
  }
}

function foldEvent(state: ThreadState, event: CodexEvent): void {
  switch (event.type) {
    case 'task_started':
      setPhase(state, 'busy');
      state.turnId = event.turn_id ?? undefined;
      state.turnError = undefined;
      return;
    case 'task_complete':
      endTurn(state, event);
      return;
    case 'turn_aborted':
      setPhase(state, 'interrupted');
      state.turnId = event.turn_id ?? state.turnId;
      state.abortReason = event.reason;
      return;
    case 'token_count':
      if (event.rate_limits != null)
        state.rateLimits = readRateLimits(event.rate_limits, state.turnId, state.lastAt);
      return;
    case 'user_message':
      // Older Codex also sent injected context as user messages, with another `kind`.
      if (event.kind == null || event.kind === 'plain') notePrompt(state, event.message);
      return;
    case 'agent_message':
      noteReply(state, event.message);
      return;
    case 'item_completed': {
      const text = (event.item.content ?? []).map((p) => p.text ?? '').join('\n');
      if (event.item.type === 'UserMessage') notePrompt(state, text);
      if (event.item.type === 'AgentMessage') noteReply(state, text);
      return;
    }
    case 'error':
      state.turnError = failure(event.message, event.codex_error_info);
      return;
    case 'stream_error':
      if (state.phase === 'busy') state.retrying = retrying(event.message);
  }
}

function endTurn(state: ThreadState, event: Extract<CodexEvent, { type: 'task_complete' }>): void {
  const error =
    event.error == null ? undefined : failure(event.error.message, event.error.codex_error_info);
  state.turnId = event.turn_id ?? state.turnId;
  noteReply(state, event.last_agent_message ?? undefined);
  // Before task_complete carried the error, an `error` event and no reply was the failure.
  const failed = error ?? (event.last_agent_message == null ? state.turnError : undefined);
  setPhase(state, failed === undefined ? 'completed' : 'failed');
  state.failure = failed;
}

function setPhase(state: ThreadState, phase: ThreadPhase): void {
  state.phase = phase;
  state.phaseAt = state.lastAt;
  state.failure = undefined;
  state.abortReason = undefined;
  state.retrying = undefined;
}

function notePrompt(state: ThreadState, text: string): void {
  const prompt = text.trim();
  if (prompt === '' || isInjected(prompt)) return;
  state.task ??= capText(prompt);
  state.lastPrompt = capText(prompt);
}

function noteReply(state: ThreadState, text: string | undefined): void {
  const reply = text?.trim() ?? '';
  if (reply === '') return;
  state.lastAssistantText = capText(reply);
  // Output after a retry means the retry worked.
  state.retrying = undefined;
}

function failure(message: string, info: CodexErrorInfo | null | undefined): TurnFailure {
  return { message: capText(message), ...(info ?? {}) };
}

const RECONNECTING = /Reconnecting\.*\s*(\d+)\s*\/\s*(\d+)/i;

function retrying(message: string): NonNullable<ThreadState['retrying']> {
  const m = RECONNECTING.exec(message);
  return {
    attempt: m?.[1] === undefined ? undefined : Number(m[1]),
    of: m?.[2] === undefined ? undefined : Number(m[2]),
    message: capText(message),
  };
}
