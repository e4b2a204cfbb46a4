import { z } from 'zod';

/** The two servers under test; each runs in its own child process. */
export const serverKindSchema = z.enum(['palingenesis', 'baseline']);
export type ServerKind = z.infer<typeof serverKindSchema>;

/** Parent → child. Validated on arrival: IPC carries plain JSON, not typed values. */
export const commandSchema = z.discriminatedUnion('cmd', [
  z.object({ cmd: z.literal('eld-reset') }),
  z.object({ cmd: z.literal('eld-read') }),
  z.object({ cmd: z.literal('heap') }),
  z.object({ cmd: z.literal('stop') }),
]);
export type Command = z.infer<typeof commandSchema>;

/** Child → parent. One reply per command, plus `ready` once the server listens. */
export const replySchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), url: z.string() }),
  z.object({ type: z.literal('ack') }),
  z.object({ type: z.literal('eld'), p50Ms: z.number(), p99Ms: z.number(), maxMs: z.number() }),
  z.object({ type: z.literal('heap'), heapUsed: z.number() }),
]);
export type Reply = z.infer<typeof replySchema>;
export type ReplyOf<T extends Reply['type']> = Extract<Reply, { type: T }>;
