import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { z } from 'zod';
import { PalError } from '../errors.js';
import { STREAM_HEADER } from '../events/stream.js';
import type { DaemonClient } from './daemon-client.js';
import { delay } from '../node-util.js';

/** One SSE event as the daemon framed it; `data` is checked by the caller. */
export interface StreamMessage {
  readonly id: number | undefined;
  readonly type: string;
  readonly data: string;
}

export interface ReadEventsOptions {
  /** `since` query value (`42`, an ISO instant); undefined: live events only. */
  readonly since: string | undefined;
  /** false: the buffered events, then return. true: stream until `signal`, reconnecting. */
  readonly follow: boolean;
  readonly signal: AbortSignal;
  readonly onMessage: (message: StreamMessage) => void;
  /** What the daemon or the connection has to say: events lost, reconnecting. */
  readonly onNotice: (text: string) => void;
}

const CONNECT_TIMEOUT_MS = 10_000;
/** The daemon pings every 15 s; this much silence means the connection is dead. */
const IDLE_TIMEOUT_MS = 45_000;
const BACKOFF_MS = [500, 1000, 2000, 4000, 8000] as const;
const MAX_BACKOFF_MS = 10_000;
const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/**
 * Reads `GET /api/v1/events`. The first connection failing is an error (the daemon is down); a
 * followed stream that drops is reopened with backoff and `Last-Event-ID`, so nothing is missed
 * while the daemon keeps it buffered. Resolves when the replay ends (no follow) or on `signal`.
 */
export async function readEvents(
  connect: () => Promise<DaemonClient>,
  options: ReadEventsOptions,
): Promise<void> {
  // Changed from callbacks and across awaits: kept in an object so the checks below stay honest.
  const state = {
    lastId: undefined as number | undefined,
    streamId: undefined as string | undefined,
    opened: false,
    failures: 0,
  };
  const hooks = {
    onOpen: (streamId: string | null) => {
      state.streamId = streamId ?? undefined;
      if (state.failures > 0) options.onNotice('reconnected');
      state.opened = true;
      state.failures = 0;
    },
    onId: (id: number) => {
      state.lastId = id;
    },
  };
  const aborted = (): boolean => options.signal.aborted;
  while (!aborted()) {
    try {
      // The address is looked up on every attempt: a restarted daemon may listen elsewhere.
      await readOnce(await connect(), options, state, hooks);
      if (!options.follow || aborted()) return;
      options.onNotice('the daemon ended the stream; reconnecting');
      state.failures = 1;
    } catch (error) {
      if (aborted()) return;
      // Before the first answer a failure is the answer (exit 4 when the daemon is down).
      if (!state.opened || !options.follow || !isTransient(error)) throw error;
      state.failures++;
      if (state.failures === 1) {
        options.onNotice(`lost the daemon (${describe(error)}); reconnecting`);
      }
    }
    await delay(BACKOFF_MS[state.failures - 1] ?? MAX_BACKOFF_MS, options.signal);
  }
}

async function readOnce(
  client: DaemonClient,
  options: ReadEventsOptions,
  at: { readonly lastId: number | undefined; readonly streamId: string | undefined },
  hooks: { onOpen: (streamId: string | null) => void; onId: (id: number) => void },
): Promise<void> {
  const connection = new AbortController();
  const abort = (): void => {
    connection.abort();
  };
  options.signal.addEventListener('abort', abort, { once: true });
  let watchdog = setTimeout(abort, CONNECT_TIMEOUT_MS);
  try {
    const response = await client.fetch(pathFor(options, at.lastId), {
      headers: {
        accept: 'text/event-stream',
        ...(at.lastId === undefined ? {} : { 'last-event-id': String(at.lastId) }),
        // Ids restart with the daemon: this lets it tell our id belongs to an older run.
        ...(at.streamId === undefined ? {} : { [STREAM_HEADER]: at.streamId }),
      },
      signal: connection.signal,
    });
    if (!response.ok || response.body === null) throw await httpError(response);
    hooks.onOpen(response.headers.get(STREAM_HEADER));
    const parser = createParser({
      onEvent: (message: EventSourceMessage) => {
        const id = message.id === undefined ? undefined : Number(message.id);
        if (id !== undefined && Number.isSafeInteger(id)) hooks.onId(id);
        options.onMessage({ id, type: message.event ?? 'message', data: message.data });
      },
      onComment: (comment) => {
        const text = comment.trim();
        if (text.startsWith('notice:')) options.onNotice(text.slice('notice:'.length).trim());
      },
    });
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      clearTimeout(watchdog);
      watchdog = setTimeout(abort, IDLE_TIMEOUT_MS);
      const { done, value } = await reader.read();
      if (done) return;
      parser.feed(value);
    }
  } finally {
    clearTimeout(watchdog);
    options.signal.removeEventListener('abort', abort);
  }
}

function pathFor(options: ReadEventsOptions, lastId: number | undefined): string {
  const query = new URLSearchParams();
  // After a reconnect the Last-Event-ID header says where to go on from.
  if (lastId === undefined && options.since !== undefined) query.set('since', options.since);
  if (!options.follow) query.set('follow', 'false');
  const text = query.toString();
  return text === '' ? '/api/v1/events' : `/api/v1/events?${text}`;
}

async function httpError(response: Response): Promise<PalError> {
  const text = await response.text().catch(() => '');
  let message = `HTTP ${response.status} from GET /api/v1/events`;
  try {
    const parsed = errorBody.safeParse(JSON.parse(text));
    if (parsed.success) message = parsed.data.error.message;
  } catch {
    // Not JSON: the status line above says enough.
  }
  return new PalError(codeFor(response.status), message);
}

function codeFor(status: number): PalError['code'] {
  if (status === 401 || status === 403) return 'unauthorized';
  if (status === 400) return 'usage';
  // 503: the daemon is stopping (a follower tries again, as when it does not answer at all).
  if (status === 503) return 'daemon_unreachable';
  return 'internal';
}

/** Network trouble and a daemon going away are worth a retry; a refusal (4xx) is not. */
function isTransient(error: unknown): boolean {
  if (error instanceof PalError) return error.code === 'daemon_unreachable';
  return true;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    return error.cause instanceof Error ? error.cause.message : error.message;
  }
  return String(error);
}
