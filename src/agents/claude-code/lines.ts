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
const assistantLine = z.looseObject({ type: z.literal('assistant') });
const userLine = z.looseObject({ type: z.literal('user') });
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
});

/** Claude Code's `error` codes (StopFailure hooks, synthetic transcript lines). */
export function reasonForError(code: string | undefined, status: number | undefined): ClaudeReason {
  if (code === 'rate_limit' || status === 429) return 'rate_limit';
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
      reason: reasonForError(data.error, data.apiErrorStatus),
      code: data.error,
      status: data.apiErrorStatus,
      resetsAtSeconds: data.apiErrorParams?.rate_limit_info?.resetsAt,
      text,
      source: 'transcript',
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
  if (assistantLine.safeParse(value).success)
    return { kind: 'no_stop', source: 'transcript', completed: false };
  if (userLine.safeParse(value).success) {
    return {
      kind: 'stop',
      reason: 'unknown',
      text: 'the transcript ends with an unanswered prompt (a crash if its process is gone)',
      source: 'transcript',
    };
  }
  return { kind: 'irrelevant' };
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
    case 'StopFailure':
      return {
        kind: 'stop',
        reason: reasonForError(hook.error, undefined),
        code: hook.error,
        text: `${hook.error_details ?? ''}\n${hook.last_assistant_message ?? ''}`,
        source: 'hook:StopFailure',
      };
    case 'Stop':
      return { kind: 'no_stop', source: 'hook:Stop', completed: true };
    case 'SessionEnd':
      return {
        kind: 'stop',
        reason: 'user_exit',
        text: hook.reason ?? '',
        source: 'hook:SessionEnd',
      };
    default:
      return { kind: 'irrelevant' };
  }
}
