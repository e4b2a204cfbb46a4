import type { OpencodeClient } from '@opencode-ai/sdk/v2/client';
import type { Observation, SessionRef } from '../adapter.js';
import type { OpencodeAdapterOptions } from './adapter.js';
import { judge, resync } from './resync.js';
import { parseFrame, type OpencodeMessage, type OpencodePayload } from './frames.js';

export interface WatchDeps {
  readonly client: OpencodeClient;
  readonly options: OpencodeAdapterOptions;
  readonly emit: (observation: Observation) => void;
  readonly signal: AbortSignal;
  readonly messages: (ref: SessionRef) => Promise<OpencodeMessage[]>;
}

const CONNECT_TIMEOUT_MS = 10_000;

/**
 * One `/global/event` stream at a time. The SDK's own reconnect is switched off
 * (sseMaxRetryAttempts: 1) so that every (re)connect goes through here and is followed by a
 * resync: events missed while disconnected are recovered from `/session/status` and messages.
 */
export async function watchOpencode(deps: WatchDeps): Promise<void> {
  const { client, options, emit, signal } = deps;
  let failures = 0;
  while (!signal.aborted) {
    const attempt = { connected: false, lastError: undefined as unknown };
    // opencode 1.18 accepts connections while it boots but answers nothing until it is ready:
    // a stream that has not said `server.connected` in time is dropped and tried again.
    const dropped = new AbortController();
    const timer = setTimeout(() => {
      if (!attempt.connected)
        dropped.abort(new Error(`no server.connected in ${CONNECT_TIMEOUT_MS} ms`));
    }, CONNECT_TIMEOUT_MS);
    try {
      const { stream } = await client.global.event({
        signal: AbortSignal.any([signal, dropped.signal]),
        sseMaxRetryAttempts: 1,
        onSseError: (error) => (attempt.lastError = error),
      });
      for await (const data of stream) {
        const frame = parseFrame(data);
        if (frame.kind === 'malformed') {
          const at = options.now();
          emit({
            kind: 'malformed',
            agent: 'opencode',
            unit: 'frame',
            count: 1,
            detail: frame.detail,
            at,
          });
        }
        if (frame.kind !== 'event') continue;
        if (frame.payload.type === 'server.connected') {
          attempt.connected = true;
          failures = 0;
          emit({ kind: 'connection', agent: 'opencode', up: true, at: options.now() });
          await resync(deps).catch((error: unknown) => {
            options.onError('resync', error);
          });
          continue;
        }
        await handle(deps, frame.directory, frame.payload).catch((error: unknown) => {
          const what = `handling ${frame.payload.type} failed`;
          options.onError('event', new Error(what, { cause: error }));
        });
      }
    } catch (error) {
      attempt.lastError = error;
    } finally {
      clearTimeout(timer);
    }
    if (stopped(signal)) break;
    // Report the loss once, not on every failed reconnect.
    if (attempt.connected || failures === 0) {
      emit({
        kind: 'connection',
        agent: 'opencode',
        up: false,
        at: options.now(),
        detail: describe(attempt.lastError),
      });
    }
    failures++;
    const delay = Math.min(
      options.reconnect.maxMs,
      options.reconnect.baseMs * 2 ** Math.min(failures - 1, 20),
    );
    await options.sleep(delay, signal).catch(() => undefined);
  }
}

async function handle(
  deps: WatchDeps,
  directory: string | undefined,
  payload: OpencodePayload,
): Promise<void> {
  const { emit, options } = deps;
  const at = options.now();
  const ref = (sessionId: string): SessionRef => ({ agent: 'opencode', sessionId, directory });
  switch (payload.type) {
    case 'session.status': {
      const { sessionID, status } = payload.properties;
      if (status.type === 'busy') emit({ kind: 'busy', ref: ref(sessionID), at });
      if (status.type === 'retry') {
        emit({
          kind: 'retrying',
          ref: ref(sessionID),
          attempt: status.attempt,
          message: status.message,
          nextAt: status.next,
          at,
        });
      }
      return;
    }
    case 'session.idle':
      // The decision point: judge from the last assistant message, never from an earlier error
      // event (opencode retries 429s and compacts overflows by itself before going idle).
      await judge(deps, ref(payload.properties.sessionID), false);
      return;
    case 'todo.updated': {
      const { sessionID, todos } = payload.properties;
      const live = todos.filter((t) => t.status !== 'cancelled');
      const completed = live.filter((t) => t.status === 'completed').length;
      emit({ kind: 'todos', ref: ref(sessionID), completed, total: live.length, at });
      return;
    }
    case 'session.created':
    case 'session.updated': {
      const { info } = payload.properties;
      emit({
        kind: 'discovered',
        ref: { agent: 'opencode', sessionId: info.id, directory: info.directory ?? directory },
        title: info.title,
        at,
      });
      return;
    }
    default:
      return;
  }
}

/** Read through a call: the loop condition narrows `signal.aborted` to false for the compiler. */
function stopped(signal: AbortSignal): boolean {
  return signal.aborted;
}

function describe(error: unknown): string | undefined {
  if (error === undefined) return undefined;
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error);
}
