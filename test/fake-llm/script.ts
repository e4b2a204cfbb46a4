import { z } from 'zod';

/**
 * Token usage reported in the last chunk. opencode stores it on the message; per its source it
 * also compacts when usage nears the model's context limit (not exercised here), so keep it small.
 */
export interface FakeUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
}

/**
 * One scripted answer to one `POST /v1/chat/completions`. The fake pops one per request, in
 * order, and falls back to its default when the queue is empty.
 */
export type FakeResponse =
  /** A normal streamed answer ending with `finish_reason: "stop"`. */
  | { readonly kind: 'ok'; readonly text: string; readonly usage?: FakeUsage }
  /** An HTTP error before any streaming, e.g. 429 with `retry-after-ms`. */
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly headers?: Readonly<Record<string, string>>;
      readonly body?: unknown;
    }
  /** A 400 with OpenAI's `context_length_exceeded` body, which opencode maps to ContextOverflowError. */
  | { readonly kind: 'context_overflow' }
  /** Streams `text` in `chunks` pieces, `delayMs` apart, so a test can abort or kill mid-turn. */
  | {
      readonly kind: 'slow';
      readonly text: string;
      readonly delayMs: number;
      readonly chunks?: number;
    };

export const DEFAULT_USAGE: FakeUsage = { promptTokens: 20, completionTokens: 5 };

/**
 * What OpenAI answers when the prompt is too long. opencode 1.18.33 turns it into
 * ContextOverflowError (its provider/error.ts matches `code: context_length_exceeded` and
 * messages such as "maximum context length is N tokens").
 */
export function contextOverflowBody(): unknown {
  return {
    error: {
      message:
        "This model's maximum context length is 8192 tokens. However, your messages resulted in 9100 tokens. Please reduce the length of the messages.",
      type: 'invalid_request_error',
      param: 'messages',
      code: 'context_length_exceeded',
    },
  };
}

const textPart = z.looseObject({ type: z.string(), text: z.string().optional() });

export const chatMessageSchema = z.looseObject({
  role: z.string(),
  content: z.union([z.string(), z.array(textPart), z.null()]).optional(),
});

/** The part of an OpenAI chat-completions request body the tests look at; the rest is kept. */
export const chatRequestSchema = z.looseObject({
  model: z.string(),
  messages: z.array(chatMessageSchema),
  stream: z.boolean().optional(),
  tools: z.array(z.unknown()).optional(),
  max_tokens: z.number().optional(),
});

export type ChatMessage = z.infer<typeof chatMessageSchema>;
export type ChatRequest = z.infer<typeof chatRequestSchema>;

/** The text of a message whatever its content shape (string or array of parts). */
export function messageText(message: ChatMessage): string {
  const { content } = message;
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content.map((part) => part.text ?? '').join('');
}

/** The text of the last message with the given role, or undefined. */
export function lastMessageText(
  request: ChatRequest | undefined,
  role = 'user',
): string | undefined {
  const found = request?.messages.filter((message) => message.role === role).at(-1);
  return found === undefined ? undefined : messageText(found);
}

/**
 * Whether opencode sent this as a compaction (summary) request: opencode 1.18.33 sends those
 * without tools and with a "context summarization agent" system prompt.
 */
export function isCompactionRequest(request: ChatRequest): boolean {
  const system = request.messages.find((message) => message.role === 'system');
  return system !== undefined && messageText(system).includes('context summarization agent');
}

/**
 * One turn opencode gives up on: five quick 429s for its own retries (retry-after-ms, honoured by
 * opencode), then a sixth whose `retry-after` (seconds) is left for palingenesis to honour.
 */
export function rateLimitedTurn(retryAfterSeconds: number, quickMs = 50): FakeResponse[] {
  const quick = {
    kind: 'status',
    status: 429,
    headers: { 'retry-after-ms': String(quickMs) },
    body: { error: { message: 'Rate limit reached', type: 'rate_limit_error' } },
  } as const;
  const last = { ...quick, headers: { 'retry-after': String(retryAfterSeconds) } };
  return [quick, quick, quick, quick, quick, last];
}

// ---- Anthropic Messages API (what Claude Code 2.1.332 speaks) ----

/**
 * One scripted answer to one main-conversation `POST /v1/messages`. Each retry Claude Code makes
 * is a new request and pops the next answer (see failedTurn).
 */
export type AnthropicResponse =
  /** A normal streamed text answer ending with `stop_reason: "end_turn"`; extra response headers. */
  | {
      readonly kind: 'ok';
      readonly text: string;
      readonly headers?: Readonly<Record<string, string>>;
    }
  /** Streams `text` in `chunks` pieces, `delayMs` apart, so a test can kill mid-turn. */
  | {
      readonly kind: 'slow';
      readonly text: string;
      readonly delayMs: number;
      readonly chunks?: number;
    }
  /** API rate limit: 429 `rate_limit_error` with `retry-after` (seconds). */
  | { readonly kind: 'rate_limit'; readonly retryAfterSeconds: number }
  /** Subscription (plan) limit: 429 with the `anthropic-ratelimit-unified-*` headers (OAuth only). */
  | { readonly kind: 'plan_limit'; readonly resetAtSeconds: number; readonly claim?: string }
  /** 529 `overloaded_error`. */
  | { readonly kind: 'overloaded' }
  /** 400 "prompt is too long: 210000 tokens > 200000 maximum". */
  | { readonly kind: 'prompt_too_long' }
  /** Any other HTTP error. */
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly headers?: Readonly<Record<string, string>>;
      readonly body?: unknown;
    };

const anthropicPart = z.looseObject({ type: z.string(), text: z.string().optional() });
const anthropicContent = z.union([z.string(), z.array(anthropicPart)]);

/** The part of a Messages request the fake looks at; the rest is kept. */
export const anthropicRequestSchema = z.looseObject({
  model: z.string(),
  messages: z.array(z.looseObject({ role: z.string(), content: anthropicContent })),
  system: anthropicContent.optional(),
  tools: z.array(z.unknown()).optional(),
  stream: z.boolean().optional(),
  max_tokens: z.number().optional(),
  output_config: z
    .looseObject({
      format: z.looseObject({ type: z.string(), schema: z.unknown().optional() }).optional(),
    })
    .optional(),
});

export type AnthropicRequest = z.infer<typeof anthropicRequestSchema>;

/**
 * Which of Claude Code's requests this is. `main`: a conversation turn (and each retry of it),
 * answered from the script. `compaction`: the summary request Claude Code sends after "prompt is
 * too long" or near the context limit — in 2.1.332 it goes to the main model with the same tools
 * and system prompt, only its last user message is the summary instruction. `side`: requests
 * without tools, e.g. session-title generation (system prompt "You are naming a coding session",
 * `output_config.format` JSON schema {title}); only sent when nonessential traffic is allowed.
 */
export type AnthropicRole = 'main' | 'compaction' | 'side';

const COMPACTION_MARKER = 'create a detailed summary of the conversation';

export function anthropicRole(request: AnthropicRequest): AnthropicRole {
  if (anthropicLastUserText(request).includes(COMPACTION_MARKER)) return 'compaction';
  return (request.tools ?? []).length === 0 ? 'side' : 'main';
}

export function anthropicText(content: z.infer<typeof anthropicContent>): string {
  if (typeof content === 'string') return content;
  return content.map((part) => part.text ?? '').join('\n');
}

/**
 * The text of the last `user` message. Claude Code puts the prompt after a `<system-reminder>`
 * part in the same message, and may add a `system`-role message after it, so match with includes.
 */
export function anthropicLastUserText(request: AnthropicRequest): string {
  const found = request.messages.filter((message) => message.role === 'user').at(-1);
  return found === undefined ? '' : anthropicText(found.content);
}

/** A turn that fails for good: the same error for the first try and each of `maxRetries`. */
export function failedTurn(response: AnthropicResponse, maxRetries = 1): AnthropicResponse[] {
  return Array.from({ length: maxRetries + 1 }, () => response);
}

// ---- OpenAI Responses API (what Codex CLI 0.171 speaks) ----

/**
 * One scripted answer to one Codex turn request (`POST /v1/responses`, `request_kind: "turn"`).
 * Each retry Codex makes is a new request and pops the next answer. What 0.171.0 does with each
 * was observed with the real binary (test/codex-harness.test.ts). Error bodies carry an
 * `x-request-id`, so Codex appends ", request id: req_fake_<n>" to retry-limit and
 * unexpected-status messages, as it does against OpenAI.
 */
export type ResponsesAnswer =
  /**
   * A streamed assistant message and `response.completed` with a small usage (110 tokens), so
   * Codex never compacts on its own. Without `text` it echoes: `Fake answer #<n> (you said:
   * <last user text>)`. `headers` go on the 200, e.g. `x-codex-primary-*` rate limits, which
   * Codex copies into a `token_count` event.
   */
  | {
      readonly kind: 'ok';
      readonly text?: string;
      readonly headers?: Readonly<Record<string, string>>;
    }
  /**
   * The same, `text` sent as `chunks` deltas `delayMs` apart. A kill -9 meanwhile leaves
   * task_started without task_complete; SIGINT makes exec write `turn_aborted` (reason
   * "interrupted") and exit 1.
   */
  | {
      readonly kind: 'slow';
      readonly text: string;
      readonly delayMs: number;
      readonly chunks?: number;
    }
  /**
   * Subscription limit: 429 `{"error":{"type":"usage_limit_reached","plan_type",…}}`, never
   * retried. The turn fails with "You’ve hit your usage limit. Upgrade to Pro (…), visit … to
   * purchase more credits or try again at <time>." (`plan_type` plus, the default; team: "…send a
   * request to your admin or try again at …"; an unknown plan: "You’ve hit your usage limit. Try
   * again at …"), `codex_error_info: "usage_limit_exceeded"`. <time> is the body's `resets_at`
   * (epoch s; omitted without `resetsAtSeconds`) in the agent's zone, "2:18 PM" today or
   * "Dec 5th, 2026 1:18 PM"; without it "…or try again later.". `resetsInSecondsOnly` sends
   * `resets_in_seconds` instead, which 0.171 ignores. With `headers` (default true)
   * `x-codex-primary-used-percent: 100`, `-window-minutes: 300` and `-reset-at` make Codex write
   * `rate_limits.primary` {used_percent, window_minutes, resets_at} in a `token_count` event.
   */
  | {
      readonly kind: 'usage_limit';
      readonly resetsAtSeconds?: number;
      readonly headers?: boolean;
      readonly planType?: string;
      readonly resetsInSecondsOnly?: boolean;
    }
  /**
   * Billing: 429 `insufficient_quota`, never retried: "Quota exceeded. Check your plan and billing
   * details.", and `codex_error_info` is `usage_limit_exceeded` too (not waitable).
   */
  | { readonly kind: 'quota' }
  /**
   * API rate limit: 429 `rate_limit_exceeded`. Without `retryAfterSeconds` Codex gives up at once:
   * "exceeded retry limit, last status: 429 Too Many Requests, request id: …",
   * `{response_too_many_failed_attempts: {http_status_code: 429}}`. With `Retry-After` it sleeps
   * that long inside the turn, then retries, stream_max_retries times (default 5; "Reconnecting...
   * n/5 (…)" on exec stdout only), then fails the same way. `Retry-After: 3600` sleeps an hour.
   */
  | { readonly kind: 'rate_limit'; readonly retryAfterSeconds?: number }
  /**
   * `context_length_exceeded`, as a 400 (`status`) or as a `response.failed` event in a 200
   * stream (`stream`). Both end the turn at once with "Codex ran out of room in the model's
   * context window. …" (`context_window_exceeded`); a later `exec resume` compacts first.
   */
  | { readonly kind: 'context_overflow'; readonly where: 'status' | 'stream' }
  /**
   * Any other HTTP error. A 5xx is retried quietly (request_max_retries, default 4, 0.2 → 1.6 s
   * apart) inside each of the stream_max_retries: 30 requests over ~25 s by default. Then a 500
   * ends with "We’re currently experiencing high demand, which may cause temporary errors."
   * (`internal_server_error`); a 502/503 with "unexpected status 502 Bad Gateway: <error.message>,
   * url: …, request id: …" (`{http_connection_failed: {http_status_code: 502}}`).
   */
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly headers?: Readonly<Record<string, string>>;
      readonly body?: unknown;
    };
