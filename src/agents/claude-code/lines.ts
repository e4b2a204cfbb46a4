import { z } from 'zod';

/**
 * The Claude Code records palingenesis can judge: transcript lines, `stream-json` lines of a
 * headless run, and hook payloads. Shapes as observed with Claude Code 2.1.332 (see
 * shared/notes/agents.md); unknown line types are noise. Only the fields read here are checked.
 */
export type ClaudeStop =
  | {
      readonly kind: 'stop';
      readonly reason: ClaudeReason;
      readonly resetsAtSeconds?: number | undefined;
      /** Claude Code's own error code (`rate_limit`, `invalid_request`, …), when it gave one. */
      readonly code?: string | undefined;
      readonly status?: number | undefined;
      readonly text: string;
      readonly source: string;
    }
  /** A line that ends a turn without a stop (a normal reply, a completed result). */
  | { readonly kind: 'no_stop'; readonly source: string; readonly completed: boolean }
  /** Not a line about how a turn ended. */
  /** A Claude Code record that says nothing about how a turn ended: skip it, judge nothing. */
  | { readonly kind: 'noise' }
  /** Not a Claude Code record. */
  | { readonly kind: 'irrelevant' };

export type ClaudeReason =
  'rate_limit' | 'overloaded' | 'context_exhausted' | 'auth_error' | 'user_exit' | 'unknown';

const rateLimitInfo = z.looseObject({
  status: z.string().optional(),
  resetsAt: z.number().optional(),
});

const transcriptError = z.looseObject({
  type: z.literal('assistant'),
  isApiErrorMessage: z.literal(true),
  error: z.string().optional(),
  apiErrorStatus: z.number().optional(),
  apiErrorParams: z.looseObject({ rate_limit_info: rateLimitInfo.optional() }).optional(),
  message: z
    .looseObject({ content: z.array(z.looseObject({ text: z.string().optional() })).optional() })
    .optional(),
});
/** The same synthetic line as a headless run's stream-json prints it: snake_case fields. */
const streamError = z.looseObject({
  type: z.literal('assistant'),
  is_api_error_message: z.literal(true),
  error: z.string().optional(),
  api_error_status: z.number().optional(),
  api_error_params: z.looseObject({ rate_limit_info: rateLimitInfo.optional() }).optional(),
  message: z
    .looseObject({ content: z.array(z.looseObject({ text: z.string().optional() })).optional() })
    .optional(),
});
const assistantLine = z.looseObject({
  type: z.literal('assistant'),
  message: z.looseObject({ stop_reason: z.string().nullable().optional() }).optional(),
});
/** Every transcript and stream-json line names its session. */
const claudeRecord = z.union([
  z.looseObject({ type: z.string(), sessionId: z.string() }),
  z.looseObject({ type: z.string(), session_id: z.string() }),
]);
const userLine = z.looseObject({
  type: z.literal('user'),
  isMeta: z.boolean().optional(),
  isCompactSummary: z.boolean().optional(),
});
const resultLine = z.looseObject({
  type: z.literal('result'),
  is_error: z.boolean().optional(),
  terminal_reason: z.string().optional(),
  api_error_status: z.number().nullable().optional(),
  result: z.string().optional(),
});
const rateLimitEvent = z.looseObject({
  type: z.literal('rate_limit_event'),
  rate_limit_info: rateLimitInfo,
});
const hookPayload = z.looseObject({
  hook_event_name: z.string(),
  error: z.string().optional(),
  error_details: z.string().optional(),
  last_assistant_message: z.string().optional(),
  reason: z.string().optional(),
  /** Set on the hooks of sub-agents (a compaction attempt): not the turn's own outcome. */
  agent_id: z.string().optional(),
});

/** Claude Code says `invalid_request` for a prompt that no longer fits; the text tells. */
const TOO_LONG = /prompt is too long/i;

/** Claude Code's `error` codes (StopFailure hooks, synthetic transcript lines). */
export function reasonForError(
  code: string | undefined,
  status: number | undefined,
  text = '',
): ClaudeReason {
  if (code === 'rate_limit' || status === 429) return 'rate_limit';
  if (TOO_LONG.test(text)) return 'context_exhausted';
  if (code === 'overloaded' || code === 'server_error' || (status !== undefined && status >= 500))
    return 'overloaded';
  if (code === 'authentication_failed' || code === 'billing_error' || status === 401)
    return 'auth_error';
  return 'unknown';
}

export function readClaudeLine(value: unknown): ClaudeStop {
  const error = transcriptError.safeParse(value);
  if (error.success) {
    const { data } = error;
    const text = (data.message?.content ?? []).map((c) => c.text ?? '').join('\n');
    return {
      kind: 'stop',
      reason: reasonForError(data.error, data.apiErrorStatus, text),
      code: data.error,
      status: data.apiErrorStatus,
      resetsAtSeconds: data.apiErrorParams?.rate_limit_info?.resetsAt,
      text,
      source: 'transcript',
    };
  }
  const streamed = streamError.safeParse(value);
  if (streamed.success) {
    const { data } = streamed;
    const text = (data.message?.content ?? []).map((c) => c.text ?? '').join('\n');
    return {
      kind: 'stop',
      reason: reasonForError(data.error, data.api_error_status, text),
      code: data.error,
      status: data.api_error_status,
      resetsAtSeconds: data.api_error_params?.rate_limit_info?.resetsAt,
      text,
      source: 'stream-json',
    };
  }
  const result = resultLine.safeParse(value);
  if (result.success) return readResult(result.data);
  const event = rateLimitEvent.safeParse(value);
  if (event.success) {
    const info = event.data.rate_limit_info;
    // "allowed_warning" and the like are warnings while work continues: not a stop.
    return info.status === 'rejected'
      ? {
          kind: 'stop',
          reason: 'rate_limit',
          resetsAtSeconds: info.resetsAt,
          text: '',
          source: 'rate_limit_event',
        }
      : { kind: 'no_stop', source: 'rate_limit_event', completed: false };
  }
  const hook = hookPayload.safeParse(value);
  if (hook.success) return readHook(hook.data);
  const assistant = assistantLine.safeParse(value);
  if (assistant.success) {
    const stop = assistant.data.message?.stop_reason;
    return {
      kind: 'no_stop',
      source: 'transcript',
      completed: stop === 'end_turn' || stop === 'stop_sequence',
    };
  }
  const user = userLine.safeParse(value);
  if (user.success) {
    // A compaction summary or an injected meta line is not a prompt someone waits on.
    if (user.data.isMeta === true || user.data.isCompactSummary === true) return { kind: 'noise' };
    return {
      kind: 'stop',
      reason: 'unknown',
      text: 'the transcript ends with an unanswered prompt (a crash if its process is gone)',
      source: 'transcript',
    };
  }
  return claudeRecord.safeParse(value).success ? { kind: 'noise' } : { kind: 'irrelevant' };
}

function readResult(line: z.infer<typeof resultLine>): ClaudeStop {
  // `subtype` stays "success" even on failure: is_error and terminal_reason tell.
  if (line.terminal_reason === 'prompt_too_long')
    return {
      kind: 'stop',
      reason: 'context_exhausted',
      text: line.result ?? '',
      source: 'stream-json',
    };
  if (line.is_error !== true) return { kind: 'no_stop', source: 'stream-json', completed: true };
  return {
    kind: 'stop',
    reason: reasonForError(undefined, line.api_error_status ?? undefined),
    status: line.api_error_status ?? undefined,
    text: line.result ?? '',
    source: 'stream-json',
  };
}

function readHook(hook: z.infer<typeof hookPayload>): ClaudeStop {
  switch (hook.hook_event_name) {
    case 'StopFailure': {
      if (hook.agent_id !== undefined) return { kind: 'noise' };
      const text = `${hook.error_details ?? ''}\n${hook.last_assistant_message ?? ''}`;
      return {
        kind: 'stop',
        reason: reasonForError(hook.error, undefined, text),
        code: hook.error,
        text,
        source: 'hook:StopFailure',
      };
    }
    case 'Stop':
      return { kind: 'no_stop', source: 'hook:Stop', completed: true };
    case 'SessionEnd':
      // Every headless run ends with reason "other"; only `/exit` (or Ctrl-D) is the user's choice.
      if (hook.reason !== 'prompt_input_exit') return { kind: 'noise' };
      return {
        kind: 'stop',
        reason: 'user_exit',
        text: hook.reason ?? '',
        source: 'hook:SessionEnd',
      };
    default:
      return { kind: 'noise' };
  }
}
