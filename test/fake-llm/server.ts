import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { answerAnthropic, COMPACTION_SUMMARY, countTokensJson, sideAnswer } from './anthropic.js';
import { answerResponses, createResponsesScript, echoText } from './openai-responses.js';
import { answer, parseJson, readBody, sendJson } from './respond.js';
import {
  responsesRequestSchema,
  toResponsesRecord,
  type ResponsesKind,
  type ResponsesRecord,
} from './responses-request.js';
import {
  anthropicLastUserText,
  anthropicRequestSchema,
  anthropicRole,
  chatRequestSchema,
  type AnthropicRequest,
  type AnthropicResponse,
  type AnthropicRole,
  type ChatRequest,
  type FakeResponse,
  type ResponsesAnswer,
} from './script.js';
import { createWaiters } from '../helpers/waiters.js';

// A fake OpenAI-compatible LLM that each test scripts. What opencode 1.18.33 sends it (provider
// `@ai-sdk/openai-compatible`, observed): only `POST /v1/chat/completions`, always `stream: true`
// with `stream_options.include_usage`, `max_tokens` = the model's output limit, `tool_choice:
// "auto"` and 11 tools. One request per turn when the session was created with a title (untitled
// sessions add a title request on `small_model`); each retry of a 429 is a new request; an
// automatic compaction is a request without tools whose system prompt is the "context
// summarization agent" (see isCompactionRequest). It never asked for `GET /v1/models`, which is
// served anyway. Anything else gets a recorded 404, so an unexpected call shows in requests().
//
// It also speaks the Anthropic Messages API at `anthropicUrl` (ANTHROPIC_BASE_URL). What Claude
// Code 2.1.332 sends it (observed, with CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1): one `POST
// /v1/messages?beta=true` per turn (main model, `stream: true`, 12–13 tools), one more per retry
// (CLAUDE_CODE_MAX_RETRIES), and on "prompt is too long" up to four compaction requests (same
// model, tools and system prompt; see anthropicRole). Without that variable it also sends `HEAD
// /api/hello` at start and, interactively, a tool-less title request per prompt. Only `main`
// requests take scripted answers; compaction and side requests are answered automatically.
//
// And the OpenAI Responses API at `url` (`POST /v1/responses`) for Codex CLI 0.171.0: one request
// per turn and per retry, compactions to the same path (see responses-request.ts). Turns take
// scripted answers from their own queue; compactions get the compaction answer.

/** One request the fake received, in arrival order. */
export interface RecordedRequest {
  /** 1-based arrival number over all requests. */
  readonly seq: number;
  readonly at: number;
  readonly method: string;
  readonly path: string;
  /** The parsed body of a chat-completions request. */
  readonly body?: ChatRequest;
  /** A Messages request (Anthropic): its body, role and last user text. */
  readonly anthropic?: AnthropicRecord;
  /** A Responses request (Codex): its body, kind, input texts and Codex headers. */
  readonly responses?: ResponsesRecord;
  /**
   * How the fake answered: a scripted kind, or `models` / `not_found` / `bad_request` /
   * `count_tokens` / `hello`; Anthropic side and compaction requests get `side:<kind>` and
   * `compaction:<kind>`, and so do Responses compaction requests.
   */
  readonly answeredWith: string;
}

export interface AnthropicRecord {
  readonly role: AnthropicRole;
  readonly body: AnthropicRequest;
  /** anthropicLastUserText(body): includes the prompt of this turn for `main` requests. */
  readonly lastUserText: string;
  /** The `x-claude-code-session-id` header: Claude Code's session id. */
  readonly sessionId?: string;
}

export interface FakeLlm {
  /** The OpenAI base URL to configure, `http://127.0.0.1:PORT/v1`. */
  readonly url: string;
  /** The Anthropic base URL for ANTHROPIC_BASE_URL, `http://127.0.0.1:PORT` (no /v1). */
  readonly anthropicUrl: string;
  /** Appends scripted answers for the next main-conversation Messages requests. */
  enqueueAnthropic(...responses: AnthropicResponse[]): void;
  /** The answer to main Messages requests when their queue is empty; `ok` "ok" at first. */
  setAnthropicDefault(response: AnthropicResponse): void;
  /** The answer to every compaction request; a short <summary> at first. */
  setCompaction(response: AnthropicResponse): void;
  /**
   * Answers main Messages requests the queue has none for, by their content (undefined: the
   * default); for many sessions at once, where one shared queue would mix their turns up.
   */
  setAnthropicResponder(responder: AnthropicResponder | undefined): void;
  /** Messages requests (optionally of one role), in order. */
  anthropicRequests(role?: AnthropicRole): readonly AnthropicRecord[];
  /** Appends scripted answers for the next Codex turn requests (`POST /v1/responses`). */
  enqueueResponses(...answers: ResponsesAnswer[]): void;
  /** The answer to turn requests when their queue is empty; an echoing `ok` at first. */
  setResponsesDefault(answer: ResponsesAnswer): void;
  /** The answer to every Codex compaction request; a short summary text at first. */
  setResponsesCompaction(answer: ResponsesAnswer): void;
  /** Responses requests (optionally of one kind), in order. */
  responsesRequests(kind?: ResponsesKind): readonly ResponsesRecord[];
  /** Appends scripted answers for the next chat-completions requests. */
  enqueue(...responses: FakeResponse[]): void;
  /** The answer used when the queue is empty. */
  setDefault(response: FakeResponse): void;
  /** Answers chat-completions requests the queue has none for, by their content (as above). */
  setResponder(responder: ChatResponder | undefined): void;
  /** Empties the queue and the record and restores the default, between tests sharing the fake. */
  reset(): void;
  requests(): readonly RecordedRequest[];
  /** Chat-completions requests only, in order. */
  chatRequests(): readonly ChatRequest[];
  /** Resolves with the first request (past or future) matching; rejects after timeoutMs. */
  waitForRequest(
    predicate: (request: RecordedRequest) => boolean,
    timeoutMs: number,
  ): Promise<RecordedRequest>;
  /** Resolves once `count` chat-completions requests have arrived. */
  waitForChatRequests(count: number, timeoutMs: number): Promise<readonly ChatRequest[]>;
  /** Stops slow streams, closes every socket and the server; idempotent. */
  close(): Promise<void>;
}

/** Picks the answer to one request from what it says; undefined falls back to the default. */
export type ChatResponder = (request: ChatRequest) => FakeResponse | undefined;
export type AnthropicResponder = (request: AnthropicRequest) => AnthropicResponse | undefined;

const MODEL_ID = 'fake-model';

/** Starts the fake OpenAI-compatible server on 127.0.0.1 with an ephemeral port. */
export async function startFakeLlm(
  options: { defaultResponse?: FakeResponse } = {},
): Promise<FakeLlm> {
  const queue: FakeResponse[] = [];
  const initialDefault: FakeResponse = options.defaultResponse ?? { kind: 'ok', text: 'ok' };
  let fallback = initialDefault;
  let responder: ChatResponder | undefined;
  const anthropic = createAnthropicScript();
  const responses = createResponsesScript();
  const recorded: RecordedRequest[] = [];
  const waiters = createWaiters<RecordedRequest>();
  const closing = new AbortController();
  let closed: Promise<void> | undefined;

  const record = (
    req: IncomingMessage,
    answeredWith: string,
    body?: ChatRequest,
    anthropicRecord?: AnthropicRecord,
    responsesRecord?: ResponsesRecord,
  ): void => {
    const entry: RecordedRequest = {
      seq: recorded.length + 1,
      at: Date.now(),
      method: req.method ?? '',
      path: req.url ?? '',
      answeredWith,
      ...(body === undefined ? {} : { body }),
      ...(anthropicRecord === undefined ? {} : { anthropic: anthropicRecord }),
      ...(responsesRecord === undefined ? {} : { responses: responsesRecord }),
    };
    recorded.push(entry);
    waiters.notify(recorded);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A broken socket mid-stream is expected when opencode aborts or is killed.
      if (!res.headersSent) res.writeHead(500).end(String(error));
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    if (req.method === 'GET' && path === '/v1/models') {
      record(req, 'models');
      sendJson(res, 200, { object: 'list', data: [{ id: MODEL_ID, object: 'model' }] });
      return;
    }
    if (path === '/api/hello') {
      // Claude Code's connectivity check (HEAD) when nonessential traffic is allowed.
      record(req, 'hello');
      sendJson(res, 200, {});
      return;
    }
    if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
      record(req, 'count_tokens');
      sendJson(res, 200, countTokensJson(await readBody(req)));
      return;
    }
    if (req.method === 'POST' && path === '/v1/messages') {
      await handleMessages(req, res);
      return;
    }
    if (req.method === 'POST' && path === '/v1/responses') {
      await handleResponses(req, res);
      return;
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      record(req, 'not_found');
      sendJson(res, 404, { error: { message: `no route ${req.method ?? ''} ${path}` } });
      return;
    }
    const parsed = chatRequestSchema.safeParse(parseJson(await readBody(req)));
    if (!parsed.success) {
      record(req, 'bad_request');
      sendJson(res, 400, { error: { message: parsed.error.message, type: 'invalid_request' } });
      return;
    }
    const response = queue.shift() ?? responder?.(parsed.data) ?? fallback;
    record(req, response.kind, parsed.data);
    await answer(res, parsed.data, response, closing.signal);
  }

  async function handleMessages(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = anthropicRequestSchema.safeParse(parseJson(await readBody(req)));
    if (!parsed.success) {
      record(req, 'bad_request');
      const error = { type: 'invalid_request_error', message: parsed.error.message };
      sendJson(res, 400, { type: 'error', error });
      return;
    }
    const body = parsed.data;
    const role = anthropicRole(body);
    const response = anthropic.next(role, body);
    const sessionId = req.headers['x-claude-code-session-id'];
    const entry: AnthropicRecord = {
      role,
      body,
      lastUserText: anthropicLastUserText(body),
      ...(typeof sessionId === 'string' ? { sessionId } : {}),
    };
    record(req, role === 'main' ? response.kind : `${role}:${response.kind}`, undefined, entry);
    await answerAnthropic(res, body, response, closing.signal);
  }

  async function handleResponses(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = responsesRequestSchema.safeParse(parseJson(await readBody(req)));
    if (!parsed.success) {
      record(req, 'bad_request');
      sendJson(res, 400, {
        error: { message: parsed.error.message, type: 'invalid_request_error' },
      });
      return;
    }
    const entry = toResponsesRecord(parsed.data, req.headers);
    const scripted = responses.next(entry);
    const seq = recorded.length + 1;
    const kind = entry.kind === 'turn' ? scripted.kind : `compaction:${scripted.kind}`;
    record(req, kind, undefined, undefined, entry);
    const ids = { seq, model: parsed.data.model, text: echoText(seq, entry) };
    await answerResponses(res, ids, scripted, closing.signal);
  }

  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('fake LLM has no port');

  return {
    url: `http://127.0.0.1:${address.port}/v1`,
    anthropicUrl: `http://127.0.0.1:${address.port}`,
    enqueue: (...responses) => queue.push(...responses),
    setDefault: (response) => (fallback = response),
    setResponder: (answer) => (responder = answer),
    enqueueAnthropic: (...responses) => anthropic.queue.push(...responses),
    setAnthropicDefault: (response) => (anthropic.fallback = response),
    setCompaction: (response) => (anthropic.compaction = response),
    setAnthropicResponder: (answer) => (anthropic.responder = answer),
    enqueueResponses: (...answers) => responses.queue.push(...answers),
    setResponsesDefault: (answer) => (responses.fallback = answer),
    setResponsesCompaction: (answer) => (responses.compaction = answer),
    responsesRequests: (kind) =>
      recorded.flatMap((r) =>
        r.responses === undefined || (kind !== undefined && r.responses.kind !== kind)
          ? []
          : [r.responses],
      ),
    anthropicRequests: (role) =>
      recorded.flatMap((r) =>
        r.anthropic === undefined || (role !== undefined && r.anthropic.role !== role)
          ? []
          : [r.anthropic],
      ),
    reset: () => {
      queue.length = 0;
      recorded.length = 0;
      fallback = initialDefault;
      responder = undefined;
      anthropic.reset();
      responses.reset();
    },
    requests: () => [...recorded],
    chatRequests: () => recorded.flatMap((r) => (r.body === undefined ? [] : [r.body])),
    waitForRequest: (predicate, timeoutMs) =>
      waiters.wait(recorded, (all) => all.find(predicate), timeoutMs, 'a matching LLM request'),
    waitForChatRequests: async (count, timeoutMs) => {
      const chats = (all: readonly RecordedRequest[]): ChatRequest[] =>
        all.flatMap((r) => (r.body === undefined ? [] : [r.body]));
      await waiters.wait(
        recorded,
        (all) => (chats(all).length >= count ? all.at(-1) : undefined),
        timeoutMs,
        `${count} chat-completions requests`,
      );
      return chats(recorded);
    },
    close: () => {
      closed ??= (async () => {
        closing.abort();
        waiters.rejectAll(new Error('fake LLM closed'));
        const done = once(server, 'close');
        server.close();
        server.closeAllConnections();
        await done;
      })();
      return closed;
    },
  };
}

interface AnthropicScript {
  readonly queue: AnthropicResponse[];
  fallback: AnthropicResponse;
  compaction: AnthropicResponse;
  responder: AnthropicResponder | undefined;
  next(role: AnthropicRole, body: AnthropicRequest): AnthropicResponse;
  reset(): void;
}

/** The scripted state of the Anthropic side: a queue for main requests, fixed compaction answer. */
function createAnthropicScript(): AnthropicScript {
  const initial: AnthropicResponse = { kind: 'ok', text: 'ok' };
  const initialCompaction: AnthropicResponse = { kind: 'ok', text: COMPACTION_SUMMARY };
  const script: AnthropicScript = {
    queue: [],
    fallback: initial,
    compaction: initialCompaction,
    responder: undefined,
    next(role, body) {
      if (role === 'side') return sideAnswer(body);
      if (role === 'compaction') return script.compaction;
      return script.queue.shift() ?? script.responder?.(body) ?? script.fallback;
    },
    reset() {
      script.queue.length = 0;
      script.fallback = initial;
      script.compaction = initialCompaction;
      script.responder = undefined;
    },
  };
  return script;
}
