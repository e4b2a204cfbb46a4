import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { parseSince, type Since } from '../../events/since.js';
import {
  sseComment,
  STREAM_HEADER,
  type EventStream,
  type StreamSink,
} from '../../events/stream.js';
import { sendError } from '../errors.js';

type EventsQuery =
  | { readonly ok: true; readonly since: string | undefined; readonly follow: boolean }
  | { readonly ok: false; readonly message: string };

const FOLLOW = new Map([
  ['', true],
  ['true', true],
  ['1', true],
  ['false', false],
  ['0', false],
]);

/** Where a request starts, and what to tell the reader first. */
interface Start {
  readonly since: Since | undefined;
  readonly notice?: string | undefined;
}

/**
 * `GET /api/v1/events`: the daemon's events as Server-Sent Events. `Last-Event-ID` (or
 * `?since=<id>`) replays what a reconnecting reader missed, `?since=10m` or an ISO instant replays
 * by time, nothing means live events only; `?follow=false` sends the replay and ends.
 */
export function eventRoutes(
  app: FastifyInstance,
  stream: EventStream,
  now: () => number = Date.now,
): void {
  // Open streams would keep `close()` waiting forever: end them before the server closes.
  app.addHook('preClose', (done) => {
    stream.disconnectAll('the daemon is stopping');
    done();
  });

  app.get(
    '/api/v1/events',
    { exposeHeadRoute: false, config: { query: ['since', 'follow'] } },
    (req, reply) => {
      const query = eventsQuery(req.query);
      if (!query.ok) return sendError(reply, 'bad_request', query.message);
      const start = startFrom(req.headers, query.since, stream.streamId, now());
      if (!start.ok) return sendError(reply, 'bad_request', start.message);
      reply.hijack();
      serve(reply.raw, stream, start, query.follow);
    },
  );
}

/** `since` and `follow` as one plain value each (createHttpApp refuses repeats earlier, too). */
function eventsQuery(query: unknown): EventsQuery {
  const q = typeof query === 'object' && query !== null ? query : {};
  const since = 'since' in q ? q.since : undefined;
  const follow = 'follow' in q ? q.follow : undefined;
  if (since !== undefined && typeof since !== 'string') {
    return { ok: false, message: 'query parameter since must be given once, as one value' };
  }
  if (follow === undefined) return { ok: true, since, follow: true };
  const following = typeof follow === 'string' ? FOLLOW.get(follow) : undefined;
  return following === undefined
    ? { ok: false, message: `follow must be true or false, not ${show(follow)}` }
    : { ok: true, since, follow: following };
}

function show(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}…` : text);
}

function serve(res: ServerResponse, stream: EventStream, start: Start, follow: boolean): void {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    // A stream's connection is never reused: ending the response ends the socket, so a server
    // closing down is not left waiting on a keep-alive connection.
    connection: 'close',
    'x-accel-buffering': 'no',
    [STREAM_HEADER]: stream.streamId,
  });
  res.flushHeaders();
  if (start.notice !== undefined) res.write(sseComment(`notice: ${start.notice}`));
  // Even `follow=false` goes through the stream: a replay is written only as the reader takes it.
  const detach = follow
    ? stream.attach(responseSink(res), start.since)
    : stream.attach(responseSink(res), start.since ?? { kind: 'after_id', id: 0 }, {
        follow: false,
      });
  res.once('close', detach);
  // A write to a reset socket reports here; without a listener it would crash the daemon.
  res.on('error', detach);
}

function startFrom(
  headers: IncomingHttpHeaders,
  since: string | undefined,
  streamId: string,
  nowMs: number,
): ({ ok: true } & Start) | { ok: false; message: string } {
  const lastEventId = headers['last-event-id'];
  // A reconnecting EventSource keeps its URL (and so `since`); its Last-Event-ID is the newer truth.
  if (typeof lastEventId === 'string' && lastEventId.trim() !== '') {
    const parsed = parseSince(lastEventId, nowMs, { allowId: true });
    if (parsed?.kind !== 'after_id') {
      return { ok: false, message: `Last-Event-ID must be an event id, not ${show(lastEventId)}` };
    }
    const sentStream = headers[STREAM_HEADER];
    // Ids start again at 1 in every run: an id from another run says nothing about this one.
    if (typeof sentStream === 'string' && sentStream !== '' && sentStream !== streamId) {
      return {
        ok: true,
        since: { kind: 'after_id', id: 0 },
        notice: `the daemon restarted since event ${parsed.id}; replaying every buffered event`,
      };
    }
    return { ok: true, since: parsed };
  }
  if (since === undefined || since === '') return { ok: true, since: undefined };
  const parsed = parseSince(since, nowMs, { allowId: true });
  return parsed === undefined
    ? {
        ok: false,
        message: `since must be an event id, a duration like 10m or an ISO 8601 instant, not ${show(since)}`,
      }
    : { ok: true, since: parsed };
}

function responseSink(res: ServerResponse): StreamSink {
  return {
    write: (chunk) => res.write(chunk),
    bufferedBytes: () => res.writableLength,
    onDrain(listener) {
      res.on('drain', listener);
    },
    close(how) {
      if (how === 'dropped') res.destroy();
      else res.end();
    },
  };
}
