import type { OpencodeClient } from '@opencode-ai/sdk/v2/client';
import { z } from 'zod';
import { createWaiters } from './waiters.js';

/**
 * One `/global/event` frame: `{directory, project, payload: {id, type, properties}}`. opencode
 * 1.18.33 also sends `payload.type: "sync"` frames that repeat each event as `syncEvent` with a
 * versioned type (`session.updated.1`) and a sequence number; `server.connected` has no directory.
 */
export const globalFrameSchema = z.looseObject({
  directory: z.string().optional(),
  project: z.string().optional(),
  payload: z.looseObject({
    type: z.string(),
    id: z.string().optional(),
    properties: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type GlobalFrame = z.infer<typeof globalFrameSchema>;

export interface OpencodeEvents {
  /** Every frame so far that has the frame shape, in order. */
  frames(): readonly GlobalFrame[];
  /** Every `data:` payload as received, including any of another shape (for fixtures). */
  raw(): readonly unknown[];
  /** How many frames so far; pass it as `after` to wait only for later frames. */
  mark(): number;
  /** Resolves with the first frame at index >= after that matches; rejects after timeoutMs. */
  waitForEvent(
    predicate: (frame: GlobalFrame) => boolean,
    timeoutMs: number,
    after?: number,
  ): Promise<GlobalFrame>;
  /** Ends the stream; idempotent. */
  close(): Promise<void>;
}

const CONNECT_TIMEOUT_MS = 10_000;

/** A predicate for `payload.type === type`, optionally for one session. */
export function isEvent(type: string, sessionID?: string): (frame: GlobalFrame) => boolean {
  return (frame) =>
    frame.payload.type === type &&
    (sessionID === undefined || frame.payload.properties?.['sessionID'] === sessionID);
}

/** Subscribes to `/global/event` and resolves once `server.connected` has arrived. */
export async function subscribeGlobalEvents(sdk: OpencodeClient): Promise<OpencodeEvents> {
  const frames: GlobalFrame[] = [];
  const raw: unknown[] = [];
  const waiters = createWaiters<GlobalFrame>();
  const abort = new AbortController();
  // One attempt, no reconnect: a killed server ends its collector, a restart gets a new one.
  const { stream } = await sdk.global.event({ signal: abort.signal, sseMaxRetryAttempts: 1 });
  const pump = (async () => {
    for await (const data of stream) {
      raw.push(data);
      // Frames of another shape are vendor noise, kept in raw() but never matched.
      const parsed = globalFrameSchema.safeParse(data);
      if (!parsed.success) continue;
      frames.push(parsed.data);
      waiters.notify(frames);
    }
    waiters.rejectAll(new Error('the /global/event stream ended'));
  })().catch((error: unknown) => {
    waiters.rejectAll(error instanceof Error ? error : new Error(String(error)));
  });
  const events: OpencodeEvents = {
    frames: () => [...frames],
    raw: () => [...raw],
    mark: () => frames.length,
    waitForEvent: (predicate, timeoutMs, after = 0) =>
      waiters.wait(
        frames,
        (all) => all.slice(after).find(predicate),
        timeoutMs,
        'a matching opencode event',
      ),
    async close() {
      abort.abort();
      await pump;
    },
  };
  try {
    await events.waitForEvent(isEvent('server.connected'), CONNECT_TIMEOUT_MS);
  } catch (error) {
    await events.close();
    throw error;
  }
  return events;
}
