import { z } from 'zod';
import { readClaudeLine, type ClaudeStop } from './lines.js';

/** Where a transcript says its session is, after the lines read so far. */
export type TranscriptPhase =
  /** A turn is running (a prompt or a tool result waits for the model, or it is streaming). */
  | 'busy'
  /** The last turn ended normally. */
  | 'completed'
  /** The last turn ended with an error line (a limit, an overload, a context overflow, …). */
  | 'stopped'
  /** The user interrupted the turn (Esc): never resumed. */
  | 'interrupted'
  /** Nothing about a turn yet. */
  | 'empty';

export interface TranscriptState {
  /** The session the file is named after (`<sessionId>.jsonl`). */
  readonly sessionId: string;
  /**
   * The `sessionId` the newest line that named one carried: what the transcript itself says it
   * belongs to (a hook's claim is checked against it). Undefined until such a line was read.
   */
  lineSessionId?: string | undefined;
  cwd?: string | undefined;
  phase: TranscriptPhase;
  /** The line that ended the last turn with an error, when phase is `stopped`. */
  stop?: Extract<ClaudeStop, { kind: 'stop' }> | undefined;
  /** `uuid` of the newest line: one stop per position, whichever source reports it. */
  lastUuid?: string | undefined;
  /** Epoch ms of the newest line that carried a timestamp. */
  lastAt?: number | undefined;
  /** Epoch ms of the newest assistant line (an answer, or the error that ended it). */
  lastAssistantAt?: number | undefined;
  /** Epoch ms of the line that decided the phase. */
  phaseAt?: number | undefined;
  /** `uuid` of that line: the identity of the turn's end, whichever source reports it. */
  phaseUuid?: string | undefined;
  /**
   * Interactive Claude Code said it will continue by itself when the plan limit resets ("set to
   * continue automatically at 2:21am"), and has not cancelled that since.
   */
  selfContinue: boolean;
  /** The first prompt the user typed: the task, for a handoff. */
  task?: string | undefined;
  lastAssistantText?: string | undefined;
  todos: { content: string; status: string }[];
}

const textBlock = z.looseObject({ type: z.string(), text: z.string().optional() });
const toolUse = z.looseObject({
  type: z.literal('tool_use'),
  name: z.string(),
  input: z.looseObject({
    todos: z.array(z.looseObject({ content: z.string(), status: z.string() })).optional(),
  }),
});
const line = z.looseObject({
  type: z.string(),
  subtype: z.string().optional(),
  content: z.unknown().optional(),
  uuid: z.string().optional(),
  sessionId: z.string().optional(),
  timestamp: z.string().optional(),
  cwd: z.string().optional(),
  isMeta: z.boolean().optional(),
  isSidechain: z.boolean().optional(),
  isCompactSummary: z.boolean().optional(),
  message: z
    .looseObject({
      content: z.union([z.string(), z.array(z.looseObject({ type: z.string() }))]).optional(),
      stop_reason: z.string().nullable().optional(),
    })
    .optional(),
});

const INTERRUPTED = /^\[Request interrupted by user/;
const SELF_CONTINUE = /continue automatically/i;
const SELF_CONTINUE_CANCELLED = /automatic continue cancelled/i;

export function newTranscriptState(sessionId: string): TranscriptState {
  return { sessionId, phase: 'empty', todos: [], selfContinue: false };
}

/**
 * Folds transcript lines (already parsed JSON) into the state. Unknown line types are noise; a
 * value that is not a transcript line at all is skipped.
 */
export function applyTranscriptLine(state: TranscriptState, value: unknown): void {
  const parsed = line.safeParse(value);
  if (!parsed.success) return;
  const l = parsed.data;
  if (l.sessionId !== undefined) state.lineSessionId = l.sessionId;
  // Subagent (sidechain) lines live in the same file but do not end the main turn.
  if (l.isSidechain === true) return;
  if (l.cwd !== undefined) state.cwd = l.cwd;
  if (l.uuid !== undefined) state.lastUuid = l.uuid;
  const at = l.timestamp === undefined ? undefined : Date.parse(l.timestamp);
  if (at !== undefined && Number.isFinite(at)) state.lastAt = at;
  const content = l.message?.content;
  const blocks = typeof content === 'string' ? [{ type: 'text', text: content }] : (content ?? []);
  const text = blocks
    .map((b) => textBlock.safeParse(b))
    .flatMap((b) => (b.success && b.data.type === 'text' ? [b.data.text ?? ''] : []))
    .join('\n')
    .trim();

  if (l.type === 'system' && l.subtype === 'informational' && typeof l.content === 'string') {
    if (SELF_CONTINUE.test(l.content)) state.selfContinue = state.phase === 'stopped';
    if (SELF_CONTINUE_CANCELLED.test(l.content)) state.selfContinue = false;
    return;
  }
  const judged = readClaudeLine(value);
  const setPhase = (phase: TranscriptPhase): void => {
    state.phase = phase;
    state.phaseAt = state.lastAt;
    state.phaseUuid = l.uuid;
    state.selfContinue = false;
    if (phase !== 'stopped') state.stop = undefined;
  };
  if (l.type === 'assistant') state.lastAssistantAt = state.lastAt;
  if (judged.kind === 'stop' && judged.source === 'transcript' && l.type === 'assistant') {
    setPhase('stopped');
    state.stop = judged;
    return;
  }
  if (l.type === 'user') {
    if (l.isMeta === true || l.isCompactSummary === true) return;
    if (INTERRUPTED.test(text)) {
      setPhase('interrupted');
      return;
    }
    const isPrompt = blocks.every((b) => b.type === 'text');
    if (isPrompt && text !== '' && state.task === undefined) state.task = text;
    setPhase('busy');
    return;
  }
  if (l.type === 'assistant') {
    for (const block of blocks) {
      const use = toolUse.safeParse(block);
      if (use.success && use.data.name === 'TodoWrite' && use.data.input.todos !== undefined) {
        state.todos = use.data.input.todos.map((t) => ({ content: t.content, status: t.status }));
      }
    }
    if (text !== '') state.lastAssistantText = text;
    const stopReason = l.message?.stop_reason;
    setPhase(stopReason === 'end_turn' || stopReason === 'stop_sequence' ? 'completed' : 'busy');
  }
}
