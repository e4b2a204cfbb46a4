import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { sendJson, streamSlowly } from './respond.js';
import type { AnthropicRequest, AnthropicResponse } from './script.js';

// The Anthropic Messages API as far as Claude Code 2.1.332 uses it: `POST /v1/messages?beta=true`
// with `stream: true` (SSE: message_start, content_block_start, ping, content_block_delta…,
// content_block_stop, message_delta, message_stop), a JSON message when `stream` is not true, and
// `POST /v1/messages/count_tokens`. Errors are `{"type":"error","error":{type,message}}` bodies.

const USAGE = { input_tokens: 20, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
const OUTPUT_TOKENS = 5;

/** The summary Claude Code expects from a compaction request: <analysis> then <summary>. */
export const COMPACTION_SUMMARY =
  '<analysis>Fake analysis.</analysis>\n<summary>1. Primary Request and Intent: a test conversation, compacted by the fake LLM.</summary>';

export function errorBody(type: string, message: string): unknown {
  return { type: 'error', error: { type, message } };
}

/** Answers one Messages request as scripted; resolves when the response has ended. */
export async function answerAnthropic(
  res: ServerResponse,
  request: AnthropicRequest,
  response: AnthropicResponse,
  closing: AbortSignal,
): Promise<void> {
  const requestId = { 'request-id': `req_fake_${Date.now().toString(36)}` };
  switch (response.kind) {
    case 'status':
      res.writeHead(response.status, {
        'content-type': 'application/json',
        ...requestId,
        ...response.headers,
      });
      res.end(
        typeof response.body === 'string' ? response.body : JSON.stringify(response.body ?? {}),
      );
      return;
    case 'rate_limit':
      sendJson(res, 429, errorBody('rate_limit_error', 'Rate limited by the fake LLM'), {
        ...requestId,
        'retry-after': String(response.retryAfterSeconds),
      });
      return;
    case 'plan_limit':
      sendJson(res, 429, errorBody('rate_limit_error', 'Rate limited by the fake LLM'), {
        ...requestId,
        'anthropic-ratelimit-unified-status': 'rejected',
        'anthropic-ratelimit-unified-reset': String(response.resetAtSeconds),
        'anthropic-ratelimit-unified-representative-claim': response.claim ?? 'five_hour',
      });
      return;
    case 'overloaded':
      sendJson(res, 529, errorBody('overloaded_error', 'Overloaded'), requestId);
      return;
    case 'prompt_too_long':
      sendJson(
        res,
        400,
        errorBody('invalid_request_error', 'prompt is too long: 210000 tokens > 200000 maximum'),
        requestId,
      );
      return;
    case 'ok':
    case 'slow':
      await answerText(res, request, response, { ...requestId, ...okHeaders(response) }, closing);
  }
}

function okHeaders(response: AnthropicResponse): Readonly<Record<string, string>> {
  return response.kind === 'ok' ? (response.headers ?? {}) : {};
}

async function answerText(
  res: ServerResponse,
  request: AnthropicRequest,
  response: Extract<AnthropicResponse, { kind: 'ok' | 'slow' }>,
  headers: Readonly<Record<string, string>>,
  closing: AbortSignal,
): Promise<void> {
  const id = `msg_fake_${Date.now().toString(36)}`;
  if (request.stream !== true) {
    sendJson(res, 200, messageJson(id, request.model, response.text), headers);
    return;
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    ...headers,
  });
  const event = (type: string, data: Record<string, unknown>): void => {
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  };
  const delta = (text: string): void => {
    event('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
  };
  const start = { ...messageJson(id, request.model, ''), stop_reason: null };
  event('message_start', { message: { ...start, usage: { ...USAGE, output_tokens: 1 } } });
  event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  event('ping', {});
  if (response.kind === 'ok') delta(response.text);
  else if (!(await streamSlowly(res, delta, response, closing))) return;
  event('content_block_stop', { index: 0 });
  event('message_delta', {
    delta: { stop_reason: 'end_turn', stop_sequence: null },
    usage: { output_tokens: OUTPUT_TOKENS },
  });
  event('message_stop', {});
  res.end();
}

function messageJson(id: string, model: string, text: string): Record<string, unknown> {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: text === '' ? [] : [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { ...USAGE, output_tokens: OUTPUT_TOKENS },
  };
}

const jsonSchema = z.looseObject({
  properties: z.record(z.string(), z.looseObject({ type: z.unknown().optional() })).optional(),
});

/**
 * The automatic answer to a side request (no tools): when it asks for JSON
 * (`output_config.format.type: "json_schema"`, e.g. `{title}` for session titles), an object with
 * every string property filled in; otherwise a short text.
 */
export function sideAnswer(request: AnthropicRequest): AnthropicResponse {
  const format = request.output_config?.format;
  if (format?.type !== 'json_schema') return { kind: 'ok', text: 'Fake side answer' };
  const schema = jsonSchema.safeParse(format.schema);
  const properties = schema.success ? (schema.data.properties ?? {}) : {};
  const value = Object.fromEntries(
    Object.entries(properties).map(([key, property]) => [key, fakeValue(key, property.type)]),
  );
  return { kind: 'ok', text: JSON.stringify(value) };
}

function fakeValue(key: string, type: unknown): unknown {
  if (type === 'string') return `Fake ${key}`;
  if (type === 'number' || type === 'integer') return 0;
  if (type === 'boolean') return false;
  if (type === 'array') return [];
  return null;
}

/** `POST /v1/messages/count_tokens`: a rough count (4 characters a token), never the limit. */
export function countTokensJson(rawBody: string): unknown {
  return { input_tokens: Math.max(1, Math.ceil(rawBody.length / 4)) };
}
