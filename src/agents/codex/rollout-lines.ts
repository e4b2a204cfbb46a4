import { z } from 'zod';
import { eventSchema, isEventType, type CodexEvent } from './rollout-events.js';

export type { CodexErrorInfo, CodexEvent, RateWindowLine } from './rollout-events.js';

/**
 * Lines of a Codex rollout, `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-<time>-<thread>.jsonl`:
 * `{timestamp, type, payload}`, as Codex 0.171 writes them (shared/notes/codex-gemini.md). Only
 * the fields read here are checked; unknown fields, line types and event types are noise.
 */
export type RolloutRecord =
  | { readonly type: 'session_meta'; readonly at?: number | undefined; readonly meta: SessionMeta }
  | { readonly type: 'turn_context'; readonly at?: number | undefined; readonly cwd?: string }
  | { readonly type: 'event_msg'; readonly at?: number | undefined; readonly event: CodexEvent }
  | { readonly type: 'response_item'; readonly at?: number | undefined; readonly item: CodexItem }
  | { readonly type: 'compacted'; readonly at?: number | undefined };

export type RolloutLine =
  | { readonly kind: 'record'; readonly record: RolloutRecord }
  /**
   * Valid JSON of a line type this reader does not know, or an event or item type inside a known
   * one (`type` is then `event_msg/<type>`, `response_item/<type>`): noise.
   */
  | { readonly kind: 'ignored'; readonly type: string }
  /** Not JSON, or not the shape of a rollout line: counted and skipped. */
  | { readonly kind: 'malformed'; readonly detail: string };

const envelope = z.looseObject({
  timestamp: z.string().optional().catch(undefined),
  type: z.string(),
  payload: z.unknown(),
});

const sessionMeta = z.looseObject({
  id: z.string(),
  cwd: z.string().optional(),
  /** `codex_exec` for `codex exec`, `codex-tui` for the interactive CLI. */
  originator: z.string().optional(),
  cli_version: z.string().optional(),
  model_provider: z.string().nullable().optional(),
});
export type SessionMeta = z.infer<typeof sessionMeta>;

const turnContext = z.looseObject({ cwd: z.string().optional() });
const compacted = z.looseObject({ message: z.string().optional() });

const contentPart = z.looseObject({ type: z.string(), text: z.string().optional() });
/** 0.171 tags each part of a message with who wrote it: `user`, or `harness` when injected. */
const provenance = z
  .looseObject({
    content_item_metadata: z
      .array(z.looseObject({ provenance: z.looseObject({ type: z.string() }).optional() }))
      .optional(),
  })
  .optional()
  .catch(undefined);
const message = z.looseObject({
  type: z.literal('message'),
  role: z.string(),
  content: z.array(contentPart),
  internal_chat_message_metadata_passthrough: provenance,
});
/** A tool call: `update_plan` carries Codex's plan (its todo list) as a JSON string. */
const functionCall = z.looseObject({
  type: z.literal('function_call'),
  name: z.string(),
  arguments: z.string(),
});
const codexItem = z.discriminatedUnion('type', [message, functionCall]);
export type CodexItem = z.infer<typeof codexItem>;
const ITEM_TYPES: ReadonlySet<string> = new Set(['message', 'function_call']);

export function readRolloutLine(text: string): RolloutLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // Expected for a line cut short by a crash or read mid-write: a value, not an error.
    return { kind: 'malformed', detail: 'not JSON' };
  }
  return readRolloutValue(value);
}

/** The same for a line already parsed (`classify` reads JSON lines once for every agent). */
export function readRolloutValue(value: unknown): RolloutLine {
  const line = envelope.safeParse(value);
  if (!line.success) return { kind: 'malformed', detail: 'not a {timestamp, type, payload} line' };
  const { type, payload } = line.data;
  const at = instant(line.data.timestamp);
  switch (type) {
    case 'session_meta':
      return shaped(sessionMeta, payload, type, (meta) => ({ type, at, meta }));
    case 'turn_context':
      return shaped(turnContext, payload, type, (c) => ({ type, at, cwd: c.cwd }));
    case 'compacted':
      return shaped(compacted, payload, type, () => ({ type, at }));
    case 'event_msg': {
      const kind = typeOf(payload);
      if (kind === undefined || !isEventType(kind)) return ignored(type, kind);
      return shaped(eventSchema, payload, `event_msg ${kind}`, (event) => ({ type, at, event }));
    }
    case 'response_item': {
      const kind = typeOf(payload);
      if (kind === undefined || !ITEM_TYPES.has(kind)) return ignored(type, kind);
      return shaped(codexItem, payload, `response_item ${kind}`, (item) => ({ type, at, item }));
    }
    default:
      return { kind: 'ignored', type };
  }
}

function shaped<T>(
  schema: z.ZodType<T>,
  payload: unknown,
  what: string,
  record: (data: T) => RolloutRecord,
): RolloutLine {
  const parsed = schema.safeParse(payload);
  if (parsed.success) return { kind: 'record', record: record(parsed.data) };
  const issue = parsed.error.issues[0];
  const where = issue === undefined ? '' : ` at ${issue.path.join('.') || 'payload'}`;
  return { kind: 'malformed', detail: `${what}: unexpected shape${where}` };
}

function ignored(line: string, inner: string | undefined): RolloutLine {
  return { kind: 'ignored', type: inner === undefined ? line : `${line}/${inner}` };
}

function typeOf(payload: unknown): string | undefined {
  const typed = z.looseObject({ type: z.string() }).safeParse(payload);
  return typed.success ? typed.data.type : undefined;
}

function instant(timestamp: string | undefined): number | undefined {
  const at = timestamp === undefined ? NaN : Date.parse(timestamp);
  return Number.isFinite(at) ? at : undefined;
}
