import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { parseJson } from './respond.js';

// What Codex CLI 0.171.0 sends to `POST {base_url}/responses` (observed): `stream: true`, `input`
// = every item of the thread so far (developer instructions, `<environment_context>`, each user
// and assistant message), `tools`, `prompt_cache_key` = the thread id; headers `session-id` and
// `thread-id` (the thread id), `x-codex-beta-features: remote_compaction_v2` and
// `x-codex-turn-metadata`, a JSON object with `request_kind` ("turn" | "compaction"),
// `history_initialization` ("new" for a fresh thread, "cold_resume" after `exec resume`),
// `turn_id`, `thread_id`, `turn_trigger` ("exec")…
//
// A compaction is a request to the same path: after a turn failed with context_window_exceeded,
// `exec resume` first sends `request_kind: "compaction"` (metadata `compaction: {trigger: "auto",
// reason: "context_limit", implementation: "responses", phase: "pre_turn"}`), no tools, the whole
// history and a last user message "You are performing a CONTEXT CHECKPOINT COMPACTION. …". Its
// assistant text becomes the summary ("Another language model started to solve this problem and
// produced a summary …") the turn request then carries. For this custom provider Codex never called
// `/responses/compact`, nor sent the remote-compaction `compaction_trigger` item.

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });

const inputItem = z.looseObject({
  type: z.string().optional(),
  role: z.string().optional(),
  content: z.union([z.string(), z.array(contentPart)]).optional(),
});

/** The part of a Responses request body the fake looks at; the rest is kept. */
export const responsesRequestSchema = z.looseObject({
  model: z.string(),
  input: z.array(inputItem),
  stream: z.boolean().optional(),
  tools: z.array(z.unknown()).optional(),
  prompt_cache_key: z.string().optional(),
});

export type ResponsesRequest = z.infer<typeof responsesRequestSchema>;

/** The parsed `x-codex-turn-metadata` header; fields Codex adds later are kept. */
export const turnMetadataSchema = z.looseObject({
  request_kind: z.string().optional(),
  history_initialization: z.string().optional(),
  turn_id: z.string().optional(),
  thread_id: z.string().optional(),
  session_id: z.string().optional(),
  turn_trigger: z.string().optional(),
  compaction: z.looseObject({ reason: z.string().optional() }).optional(),
});

export type TurnMetadata = z.infer<typeof turnMetadataSchema>;

/** One input item as the tests read it: its type, role and text parts joined. */
export interface ResponsesInputItem {
  readonly type: string;
  readonly role?: string;
  readonly text: string;
}

/** Which of Codex's requests this is: a conversation turn or a compaction (see above). */
export type ResponsesKind = 'turn' | 'compaction';

export interface ResponsesRecord {
  readonly kind: ResponsesKind;
  readonly body: ResponsesRequest;
  readonly input: readonly ResponsesInputItem[];
  /** The text of the last `user` input item: the prompt of a turn, the instruction of a compaction. */
  readonly lastUserText: string;
  /** Texts of the user messages Codex sent, without its own `<environment_context>` item. */
  readonly userTexts: readonly string[];
  /** The `session-id` and `thread-id` headers (both the thread id in 0.171). */
  readonly sessionId?: string;
  readonly threadId?: string;
  readonly metadata?: TurnMetadata;
  readonly betaFeatures?: string;
}

const COMPACTION_MARKER = 'CONTEXT CHECKPOINT COMPACTION';

function itemText(item: z.infer<typeof inputItem>): string {
  const { content } = item;
  if (typeof content === 'string') return content;
  return (content ?? []).map((part) => part.text ?? '').join('');
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

function parseMetadata(raw: string | undefined): TurnMetadata | undefined {
  if (raw === undefined) return undefined;
  const parsed = turnMetadataSchema.safeParse(parseJson(raw));
  return parsed.success ? parsed.data : undefined;
}

/** Reads what the tests look at from a parsed body and the request headers. */
export function toResponsesRecord(
  body: ResponsesRequest,
  headers: IncomingHttpHeaders,
): ResponsesRecord {
  const input = body.input.map((item) => ({
    type: item.type ?? 'message',
    ...(item.role === undefined ? {} : { role: item.role }),
    text: itemText(item),
  }));
  const users = input.filter((item) => item.role === 'user');
  const lastUserText = users.at(-1)?.text ?? '';
  const metadata = parseMetadata(header(headers, 'x-codex-turn-metadata'));
  const compaction =
    metadata?.request_kind === 'compaction' || lastUserText.includes(COMPACTION_MARKER);
  const sessionId = header(headers, 'session-id');
  const threadId = header(headers, 'thread-id');
  const betaFeatures = header(headers, 'x-codex-beta-features');
  return {
    kind: compaction ? 'compaction' : 'turn',
    body,
    input,
    lastUserText,
    userTexts: users
      .map((item) => item.text)
      .filter((text) => !text.startsWith('<environment_context>')),
    ...(sessionId === undefined ? {} : { sessionId }),
    ...(threadId === undefined ? {} : { threadId }),
    ...(metadata === undefined ? {} : { metadata }),
    ...(betaFeatures === undefined ? {} : { betaFeatures }),
  };
}
