import { randomUUID } from 'node:crypto';
import { redactSecrets } from '../config/render.js';
import type { DaemonEvent } from '../core/events.js';
import type { Clock } from '../jobs/clock.js';
import { nextChunk, replayFrom, type Replay } from './replay.js';
import { createRingBuffer, type StreamEntry } from './ring-buffer.js';
import type { Since } from './since.js';
import { sseComment, sseFrame } from './sse.js';

export { replayFrom, type Replay } from './replay.js';
export type { StreamEntry } from './ring-buffer.js';
export { sseComment, sseFrame } from './sse.js';

/** Where one client's bytes go: an HTTP response in the daemon, an array in tests. */
export interface StreamSink {
  /** Queues a chunk; must not block. `false`: the peer is behind, wait for `onDrain`. */
  write(chunk: string): boolean;
  /** Bytes accepted but not yet handed to the peer (a socket's `writableLength`). */
  bufferedBytes(): number;
  /** Calls `listener` whenever the peer caught up after a `write` returned false. */
  onDrain(listener: () => void): void;
  /** `dropped`: too slow or broken, discard what is queued; `closed`: end cleanly. */
  close(how: 'dropped' | 'closed'): void;
}

export interface EventStreamOptions {
  readonly clock: Clock;
  /** How many recent events are kept for replay. */
  readonly capacity?: number;
  /** How many bytes of frames are kept for replay (`limits.event_buffer_bytes`). */
  readonly maxBufferBytes?: number;
  /** A `: ping` comment this often keeps proxies and the CLI's idle watchdog happy. */
  readonly heartbeatMs?: number;
  /**
   * A client whose unsent bytes exceed this is dropped rather than buffered without bound. A
   * replay counts too: it is written a chunk at a time, only as the client drains.
   */
  readonly maxBufferedBytes?: number;
  /** Told about every dropped client, for the log. */
  readonly onDrop?: (info: { readonly bufferedBytes: number; readonly error?: unknown }) => void;
  /** Told when ending a client's response failed (its socket was already broken), for the log. */
  readonly onCloseError?: (error: unknown) => void;
}

export interface AttachOptions {
  /** `false`: send the events buffered now, then end (`?follow=false`). Default true. */
  readonly follow?: boolean;
}

export interface EventStream {
  /**
   * Names this run of the stream: ids start again at 1 when the daemon restarts, so a reader
   * holding an id of another run must not resume after it.
   */
  readonly streamId: string;
  /** Buffers the event and sends it to every client. Never blocks, never throws. */
  readonly publish: (event: DaemonEvent) => void;
  /** `undefined`: nothing, live events only. */
  replay(from: Since | undefined): Replay;
  /** Writes the replay, then every new event and heartbeat; the result detaches (idempotent). */
  attach(sink: StreamSink, from: Since | undefined, options?: AttachOptions): () => void;
  clientCount(): number;
  /** Clients dropped because they were too slow or their writes failed, since start. */
  droppedCount(): number;
  /** Ends every client's stream cleanly (shutdown), after a `notice:` comment if given. */
  disconnectAll(notice?: string): void;
}

/** The response names its stream run here; a reader sends it back with Last-Event-ID. */
export const STREAM_HEADER = 'palingenesis-stream';

export const STREAM_DEFAULTS = {
  capacity: 1000,
  maxBufferBytes: 8 * 1024 * 1024,
  heartbeatMs: 15_000,
  maxBufferedBytes: 1024 * 1024,
} as const;

/** A replay is written in chunks of about this much (or a quarter of the client's limit). */
const REPLAY_CHUNK_BYTES = 64 * 1024;

interface Client {
  /** The last event id written to it (or skipped over, with a notice). */
  cursor: number;
  /** Behind the newest event, waiting for the sink to drain before writing more. */
  waiting: boolean;
  /** A replay-only client ends once past this id. */
  readonly until: number | undefined;
}

type Sent = 'sent' | 'full' | 'gone';

/** The ring buffer of recent events and the fan-out to SSE clients. */
export function createEventStream(options: EventStreamOptions): EventStream {
  const heartbeatMs = options.heartbeatMs ?? STREAM_DEFAULTS.heartbeatMs;
  const maxBuffered = options.maxBufferedBytes ?? STREAM_DEFAULTS.maxBufferedBytes;
  const chunkBytes = Math.max(1, Math.min(REPLAY_CHUNK_BYTES, Math.floor(maxBuffered / 4)));
  const ring = createRingBuffer({
    capacity: options.capacity ?? STREAM_DEFAULTS.capacity,
    maxBytes: options.maxBufferBytes ?? STREAM_DEFAULTS.maxBufferBytes,
  });
  const clients = new Map<StreamSink, Client>();
  let lastId = 0;
  let dropped = 0;
  let cancelHeartbeat: (() => void) | undefined;

  const remove = (sink: StreamSink, how: 'dropped' | 'closed'): void => {
    if (!clients.delete(sink)) return;
    try {
      sink.close(how);
    } catch (error) {
      options.onCloseError?.(error);
    }
    if (clients.size === 0) stopHeartbeat();
  };
  const drop = (sink: StreamSink, error?: unknown): void => {
    if (!clients.has(sink)) return;
    const bufferedBytes = safeBuffered(sink);
    dropped++;
    remove(sink, 'dropped');
    options.onDrop?.({ bufferedBytes, ...(error === undefined ? {} : { error }) });
  };
  const send = (sink: StreamSink, chunk: string): Sent => {
    let more: boolean;
    try {
      more = sink.write(chunk);
    } catch (error) {
      drop(sink, error);
      return 'gone';
    }
    if (safeBuffered(sink) <= maxBuffered) return more ? 'sent' : 'full';
    drop(sink);
    return 'gone';
  };
  /** Writes what the client has not had yet, a chunk at a time, while its sink keeps up. */
  const pump = (sink: StreamSink, client: Client): void => {
    client.waiting = false;
    for (;;) {
      const end = client.until ?? lastId;
      if (client.cursor >= end) break;
      const chunk = nextChunk(ring.entries(), client.cursor, end, chunkBytes);
      client.cursor = chunk.cursor;
      const sent = send(sink, chunk.text);
      if (sent === 'gone') return;
      if (sent === 'full' && client.cursor < end) {
        client.waiting = true;
        return;
      }
    }
    if (client.until !== undefined) remove(sink, 'closed');
  };
  const beat = (): void => {
    cancelHeartbeat = undefined;
    if (clients.size === 0) return;
    for (const sink of [...clients.keys()]) send(sink, sseComment('ping'));
    armHeartbeat();
  };
  const armHeartbeat = (): void => {
    cancelHeartbeat ??= options.clock.setTimer(beat, heartbeatMs);
  };
  const stopHeartbeat = (): void => {
    cancelHeartbeat?.();
    cancelHeartbeat = undefined;
  };
  const replay = (from: Since | undefined): Replay => replayFrom(ring.entries(), lastId, from);

  return {
    streamId: randomUUID(),
    publish(event) {
      lastId++;
      // Events carry no secrets by design; redacting here keeps it so if one ever slips in.
      const safe = redactSecrets(event);
      const frame = sseFrame(lastId, safe);
      const entry: StreamEntry = {
        id: lastId,
        event: safe,
        frame,
        bytes: Buffer.byteLength(frame),
      };
      ring.push(entry);
      for (const [sink, client] of [...clients]) {
        // A client still catching up gets this one from the buffer, in order, when it drains.
        if (client.waiting || client.until !== undefined || client.cursor !== lastId - 1) continue;
        client.cursor = lastId;
        send(sink, frame);
      }
    },
    replay,
    attach(sink, from, attachOptions = {}) {
      const { entries, notice } = replay(from);
      const client: Client = {
        cursor: from === undefined ? lastId : (entries[0]?.id ?? lastId + 1) - 1,
        waiting: false,
        until: attachOptions.follow === false ? lastId : undefined,
      };
      clients.set(sink, client);
      sink.onDrain(() => {
        // Deferred: the client may have been dropped or detached since.
        if (clients.get(sink) === client && client.waiting) pump(sink, client);
      });
      const head = notice === undefined ? 'sent' : send(sink, sseComment(`notice: ${notice}`));
      if (head === 'sent') pump(sink, client);
      else if (head === 'full') client.waiting = true;
      if (clients.has(sink)) armHeartbeat();
      return () => {
        remove(sink, 'closed');
      };
    },
    clientCount: () => clients.size,
    droppedCount: () => dropped,
    disconnectAll(notice) {
      for (const sink of [...clients.keys()]) {
        if (notice !== undefined) send(sink, sseComment(`notice: ${notice}`));
        remove(sink, 'closed');
      }
    },
  };
}

function safeBuffered(sink: StreamSink): number {
  try {
    return sink.bufferedBytes();
  } catch {
    // A socket torn down under us: nothing buffered; the write that follows reports it gone.
    return 0;
  }
}
