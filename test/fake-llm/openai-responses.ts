import type { ServerResponse } from 'node:http';
import { streamSlowly } from './respond.js';
import type { ResponsesRecord } from './responses-request.js';
import type { ResponsesAnswer } from './script.js';

// The OpenAI Responses API as Codex CLI 0.171.0 reads it (codex-api `sse/responses.rs`): SSE
// frames `event: <type>` + `data: {type, …}`; it acts on `response.created`,
// `response.output_item.added` / `.done` (a `message` item with `output_text` parts),
// `response.output_text.delta`, `response.completed` (`response.id`, `response.usage`) and
// `response.failed` (`response.error.code`); a stream that ends without `response.completed` is a
// retryable disconnect. HTTP errors are `{"error": {message, type, code, …}}` bodies; Codex reads
// `error.type` of a 429 (`usage_limit_reached`, `usage_not_included`) and the `x-codex-primary-*`
// rate-limit headers of any response.

/** Small enough that Codex's fallback context window (258 400 tokens) is never near. */
const USAGE = {
  input_tokens: 100,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 10,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 110,
};

/** What the compaction answer says by default; Codex stores it as the thread's summary. */
export const CODEX_COMPACTION_SUMMARY =
  'Fake compaction summary: the user asked for a test task; nothing is left to do.';

/** The `ok` text when none is scripted: shows which request and prompt were answered. */
export function echoText(seq: number, record: ResponsesRecord): string {
  return `Fake answer #${seq} (you said: ${record.lastUserText.slice(0, 200)})`;
}

export function openAiError(message: string, type: string, code: string | null): unknown {
  return { error: { message, type, param: null, code } };
}

const CONTEXT_MESSAGE =
  'Your input exceeds the context window of this model. Please adjust your input and try again.';

interface ErrorReply {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

/** The HTTP error an answer is, or undefined for the ones that stream (200). */
function errorReply(answer: ResponsesAnswer, model: string): ErrorReply | undefined {
  switch (answer.kind) {
    case 'status':
      return { status: answer.status, body: answer.body ?? {}, headers: answer.headers ?? {} };
    case 'usage_limit':
      return { status: 429, body: usageLimitBody(answer), headers: usageLimitHeaders(answer) };
    case 'quota': {
      const message =
        'You exceeded your current quota, please check your plan and billing details.';
      return {
        status: 429,
        body: openAiError(message, 'insufficient_quota', 'insufficient_quota'),
      };
    }
    case 'rate_limit': {
      const message = `Rate limit reached for ${model} on requests per min (RPM): Limit 3, Used 3, Requested 1.`;
      const seconds = answer.retryAfterSeconds;
      return {
        status: 429,
        body: openAiError(message, 'requests', 'rate_limit_exceeded'),
        headers: seconds === undefined ? {} : { 'retry-after': String(seconds) },
      };
    }
    case 'context_overflow':
      if (answer.where === 'stream') return undefined;
      return {
        status: 400,
        body: openAiError(CONTEXT_MESSAGE, 'invalid_request_error', 'context_length_exceeded'),
      };
    case 'ok':
    case 'slow':
      return undefined;
  }
}

function streamPlan(answer: ResponsesAnswer, echo: string): StreamPlan {
  if (answer.kind === 'slow') return { ...answer, kind: 'slow' };
  if (answer.kind === 'ok') return { kind: 'text', text: answer.text ?? echo };
  return { kind: 'fail', code: 'context_length_exceeded' };
}

/** Answers one Responses request as scripted; resolves when the response has ended. */
export async function answerResponses(
  res: ServerResponse,
  ids: { seq: number; model: string; text: string },
  answer: ResponsesAnswer,
  closing: AbortSignal,
): Promise<void> {
  const requestId = { 'x-request-id': `req_fake_${ids.seq}` };
  const reply = errorReply(answer, ids.model);
  if (reply !== undefined) {
    res.writeHead(reply.status, {
      'content-type': 'application/json',
      ...requestId,
      ...reply.headers,
    });
    res.end(typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body));
    return;
  }
  const headers = answer.kind === 'ok' ? { ...requestId, ...answer.headers } : requestId;
  await streamAnswer(res, ids, streamPlan(answer, ids.text), headers, closing);
}

function usageLimitBody(answer: Extract<ResponsesAnswer, { kind: 'usage_limit' }>): unknown {
  const reset =
    answer.resetsAtSeconds === undefined
      ? {}
      : answer.resetsInSecondsOnly === true
        ? { resets_in_seconds: Math.max(0, answer.resetsAtSeconds - Math.floor(Date.now() / 1000)) }
        : { resets_at: answer.resetsAtSeconds };
  return {
    error: {
      type: 'usage_limit_reached',
      message: 'The usage limit has been reached',
      plan_type: answer.planType ?? 'plus',
      ...reset,
    },
  };
}

function usageLimitHeaders(
  answer: Extract<ResponsesAnswer, { kind: 'usage_limit' }>,
): Record<string, string> {
  if (answer.headers === false) return {};
  return {
    'x-codex-primary-used-percent': '100',
    'x-codex-primary-window-minutes': '300',
    ...(answer.resetsAtSeconds === undefined
      ? {}
      : { 'x-codex-primary-reset-at': String(answer.resetsAtSeconds) }),
  };
}

type StreamPlan =
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'slow';
      readonly text: string;
      readonly delayMs: number;
      readonly chunks?: number;
    }
  | { readonly kind: 'fail'; readonly code: string };

/** A 200 SSE stream: created, one assistant message (deltas, then done) and completed — or failed. */
async function streamAnswer(
  res: ServerResponse,
  ids: { seq: number; model: string },
  plan: StreamPlan,
  headers: Readonly<Record<string, string>>,
  closing: AbortSignal,
): Promise<void> {
  const responseId = `resp_fake_${ids.seq}`;
  const itemId = `msg_fake_${ids.seq}`;
  let sequence = 0;
  const event = (type: string, data: Record<string, unknown>): void => {
    res.write(
      `event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: sequence++, ...data })}\n\n`,
    );
  };
  const response = (status: string, extra: Record<string, unknown> = {}): unknown => ({
    id: responseId,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    model: ids.model,
    output: [],
    ...extra,
  });
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...headers,
  });
  event('response.created', { response: response('in_progress') });
  if (plan.kind === 'fail') {
    const error = { code: plan.code, message: CONTEXT_MESSAGE };
    event('response.failed', { response: response('failed', { error }) });
    res.end();
    return;
  }
  const item = (status: string, text: string): unknown => ({
    type: 'message',
    id: itemId,
    role: 'assistant',
    status,
    content: text === '' ? [] : [{ type: 'output_text', text, annotations: [] }],
  });
  const delta = (text: string): void => {
    event('response.output_text.delta', {
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      delta: text,
    });
  };
  event('response.output_item.added', { output_index: 0, item: item('in_progress', '') });
  if (plan.kind === 'text') delta(plan.text);
  else if (!(await streamSlowly(res, delta, plan, closing))) return;
  const done = item('completed', plan.text);
  event('response.output_item.done', { output_index: 0, item: done });
  event('response.completed', {
    response: response('completed', { output: [done], usage: USAGE }),
  });
  res.end();
}

/** The scripted state of the Responses side: a queue for turns, a fixed compaction answer. */
export interface ResponsesScript {
  readonly queue: ResponsesAnswer[];
  fallback: ResponsesAnswer;
  compaction: ResponsesAnswer;
  next(record: ResponsesRecord): ResponsesAnswer;
  reset(): void;
}

export function createResponsesScript(): ResponsesScript {
  const initial: ResponsesAnswer = { kind: 'ok' };
  const initialCompaction: ResponsesAnswer = { kind: 'ok', text: CODEX_COMPACTION_SUMMARY };
  const script: ResponsesScript = {
    queue: [],
    fallback: initial,
    compaction: initialCompaction,
    next(record) {
      if (record.kind === 'compaction') return script.compaction;
      return script.queue.shift() ?? script.fallback;
    },
    reset() {
      script.queue.length = 0;
      script.fallback = initial;
      script.compaction = initialCompaction;
    },
  };
  return script;
}
