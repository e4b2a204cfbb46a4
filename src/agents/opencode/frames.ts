import { z } from 'zod';

/**
 * The parts of opencode's `/global/event` frames palingenesis relies on, checked at the boundary.
 * Shapes follow @opencode-ai/sdk 1.19 (opencode 1.18); unknown event types and extra fields are
 * noise by design, so only the fields read here are required.
 */
export const errorSchema = z.object({
  name: z.string(),
  data: z
    .object({
      message: z.string().optional(),
      statusCode: z.number().optional(),
      isRetryable: z.boolean().optional(),
      responseHeaders: z.record(z.string(), z.string()).optional(),
      responseBody: z.string().optional(),
    })
    .loose()
    .optional(),
});
export type OpencodeError = z.infer<typeof errorSchema>;

const statusSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('idle') }),
  z.object({ type: z.literal('busy') }),
  z.object({
    type: z.literal('retry'),
    attempt: z.number(),
    message: z.string(),
    next: z.number(),
  }),
]);
export type OpencodeStatus = z.infer<typeof statusSchema>;

const payloadSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('server.connected') }),
  z.object({
    type: z.literal('session.status'),
    properties: z.object({ sessionID: z.string(), status: statusSchema }),
  }),
  z.object({ type: z.literal('session.idle'), properties: z.object({ sessionID: z.string() }) }),
  z.object({
    type: z.literal('session.error'),
    properties: z.object({ sessionID: z.string().optional(), error: errorSchema.optional() }),
  }),
  z.object({
    type: z.literal('todo.updated'),
    properties: z.object({
      sessionID: z.string(),
      todos: z.array(z.object({ content: z.string(), status: z.string() })),
    }),
  }),
  z.object({
    type: z.enum(['session.created', 'session.updated']),
    properties: z.object({
      info: z.object({
        id: z.string(),
        title: z.string().optional(),
        directory: z.string().optional(),
      }),
    }),
  }),
]);
export type OpencodePayload = z.infer<typeof payloadSchema>;
/** What the schema accepts: the SDK's event types must fit it (frames-sdk.test.ts). */
export type OpencodePayloadInput = z.input<typeof payloadSchema>;
const KNOWN: ReadonlySet<string> = new Set([
  'server.connected',
  'session.status',
  'session.idle',
  'session.error',
  'todo.updated',
  'session.created',
  'session.updated',
]);

export type ParsedFrame =
  | {
      readonly kind: 'event';
      readonly directory: string | undefined;
      readonly payload: OpencodePayload;
    }
  | { readonly kind: 'ignored' }
  | { readonly kind: 'malformed'; readonly detail: string };

const frameSchema = z.object({
  directory: z.string().optional(),
  payload: z.object({ type: z.string() }).loose(),
});

/** Classifies one frame: an event we use, one we ignore, or a malformed one (to count). */
export function parseFrame(data: unknown): ParsedFrame {
  const frame = frameSchema.safeParse(data);
  if (!frame.success) return { kind: 'malformed', detail: 'frame without a typed payload' };
  if (!KNOWN.has(frame.data.payload.type)) return { kind: 'ignored' };
  const payload = payloadSchema.safeParse(frame.data.payload);
  if (!payload.success) {
    const issue = payload.error.issues[0];
    return {
      kind: 'malformed',
      detail:
        `${frame.data.payload.type}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? ''}`.trim(),
    };
  }
  return { kind: 'event', directory: frame.data.directory, payload: payload.data };
}

export const messageSchema = z.object({
  info: z
    .object({
      id: z.string(),
      role: z.enum(['user', 'assistant']),
      time: z.object({ created: z.number(), completed: z.number().optional() }),
      finish: z.string().optional(),
      error: errorSchema.optional(),
    })
    .loose(),
  parts: z.array(z.object({ type: z.string(), text: z.string().optional() }).loose()),
});
export type OpencodeMessage = z.infer<typeof messageSchema>;
export type OpencodeMessageInput = z.input<typeof messageSchema>;

/** `GET /session/{id}/message`, validated; throws with the first problem when the shape is off. */
export function parseMessages(data: unknown): OpencodeMessage[] {
  return z.array(messageSchema).parse(data);
}
