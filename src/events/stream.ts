import { randomUUID } from 'node:crypto';
import { redactSecrets } from '../config/render.js';
import type { DaemonEvent } from '../core/events.js';
import type { Clock } from '../jobs/clock.js';
import type { Since } from './since.js';

/** One buffered event with its stream id (1, 2, 3 … from daemon start) and its SSE frame. */
export interface StreamEntry {
  readonly id: number;
  readonly event: DaemonEvent;
  readonly frame: string;
}

export interface Replay {
  readonly entries: readonly StreamEntry[];
  /** Set when the reader asked for events the buffer no longer holds (or never held). */
  readonly notice?: string | undefined;
}

/** Where one client's bytes go: an HTTP response in the daemon, an array in tests. */
export interface StreamSink {
  /** Queues a chunk; must not block. */
  write(chunk: string): void;
  /** Bytes accepted but not yet handed to the peer (a socket's `writableLength`). */
  bufferedBytes(): number;
  /** `dropped`: too slow or broken, discard what is queued; `closed`: end cleanly. */
  close(how: 'dropped' | 'closed'): void;
}

export interface EventStreamOptions {
  readonly clock: Clock;
  /** How many recent events are kept for replay. */
  readonly capacity?: number;
  /** A `: ping` comment this often keeps proxies and the CLI's idle watchdog happy. */
  readonly heartbeatMs?: number;
  /**
   * A client whose unsent bytes exceed this (plus the size of the replay it was sent on attach) is
   * dropped rather than buffered without bound.
   */
  readonly maxBufferedBytes?: number;
  /** Told about every dropped client, for the log. */
  readonly onDrop?: (info: { readonly bufferedBytes: number; readonly error?: unknown }) => void;
  /** Told when ending a client's response failed (its socket was already broken), for the log. */
  readonly onCloseError?: (error: unknown) => void;
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
  attach(sink: StreamSink, from: Since | undefined): () => void;
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
  heartbeatMs: 15_000,
  maxBufferedBytes: 1024 * 1024,
} as const;

/** `JSON.stringify` escapes newlines, so the data is always one `data:` line. */
export function sseFrame(id: number, event: DaemonEvent): string {
  return `id: ${id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

/** The ring buffer of recent events and the fan-out to SSE clients. */
export function createEventStream(options: EventStreamOptions): EventStream {
  const capacity = options.capacity ?? STREAM_DEFAULTS.capacity;
  const heartbeatMs = options.heartbeatMs ?? STREAM_DEFAULTS.heartbeatMs;
  const maxBuffered = options.maxBufferedBytes ?? STREAM_DEFAULTS.maxBufferedBytes;
  const buffer: StreamEntry[] = [];
  /** Each client with the unsent bytes it is allowed: the limit plus its replay. */
  const sinks = new Map<StreamSink, number>();
  let lastId = 0;
  let dropped = 0;
  let cancelHeartbeat: (() => void) | undefined;

  const remove = (sink: StreamSink, how: 'dropped' | 'closed'): void => {
    if (!sinks.delete(sink)) return;
    try {
      sink.close(how);
    } catch (error) {
      options.onCloseError?.(error);
    }
    if (sinks.size === 0) stopHeartbeat();
  };
  const drop = (sink: StreamSink, error?: unknown): void => {
    if (!sinks.has(sink)) return;
    const bufferedBytes = safeBuffered(sink);
    dropped++;
    remove(sink, 'dropped');
    options.onDrop?.({ bufferedBytes, ...(error === undefined ? {} : { error }) });
  };
  const send = (sink: StreamSink, chunk: string): void => {
    try {
      sink.write(chunk);
    } catch (error) {
      drop(sink, error);
      return;
    }
    if (safeBuffered(sink) > (sinks.get(sink) ?? maxBuffered)) drop(sink);
  };
  const beat = (): void => {
    cancelHeartbeat = undefined;
    if (sinks.size === 0) return;
    for (const sink of [...sinks.keys()]) send(sink, sseComment('ping'));
    armHeartbeat();
  };
  const armHeartbeat = (): void => {
    cancelHeartbeat ??= options.clock.setTimer(beat, heartbeatMs);
  };
  const stopHeartbeat = (): void => {
    cancelHeartbeat?.();
    cancelHeartbeat = undefined;
  };
  const replay = (from: Since | undefined): Replay => replayFrom(buffer, lastId, from);

  return {
    streamId: randomUUID(),
    publish(event) {
      lastId++;
      // Events carry no secrets by design; redacting here keeps it so if one ever slips in.
      const safe = redactSecrets(event);
      const entry = { id: lastId, event: safe, frame: sseFrame(lastId, safe) };
      buffer.push(entry);
      if (buffer.length > capacity) buffer.shift();
      for (const sink of [...sinks.keys()]) send(sink, entry.frame);
    },
    replay,
    attach(sink, from) {
      const { entries, notice } = replay(from);
      const head = notice === undefined ? '' : sseComment(`notice: ${notice}`);
      const chunk = head + entries.map((entry) => entry.frame).join('');
      sinks.set(sink, maxBuffered + Buffer.byteLength(chunk));
      if (chunk !== '') send(sink, chunk);
      if (sinks.has(sink)) armHeartbeat();
      return () => {
        remove(sink, 'closed');
      };
    },
    clientCount: () => sinks.size,
    droppedCount: () => dropped,
    disconnectAll(notice) {
      for (const sink of [...sinks.keys()]) {
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
    return 0;
  }
}

/** What a reader starting at `from` gets, and whether the buffer could not serve all of it. */
export function replayFrom(
  buffer: readonly StreamEntry[],
  lastId: number,
  from: Since | undefined,
): Replay {
  if (from === undefined) return { entries: [] };
  const oldest = buffer[0];
  const evicted = oldest === undefined ? lastId : oldest.id - 1;
  if (from.kind === 'after_id') {
    if (from.id > lastId) {
      return {
        entries: buffer,
        notice: `id ${from.id} is ahead of this daemon's last event id ${lastId} (the daemon restarted?); replaying every buffered event`,
      };
    }
    const entries = buffer.filter((entry) => entry.id > from.id);
    if (from.id >= evicted) return { entries };
    return {
      entries,
      notice: `events ${from.id + 1} to ${evicted} are no longer buffered; replaying from ${evicted + 1}`,
    };
  }
  const entries = buffer.filter((entry) => entry.event.at >= from.atMs);
  if (evicted === 0 || oldest === undefined || oldest.event.at <= from.atMs) return { entries };
  return {
    entries,
    notice: `events before ${new Date(oldest.event.at).toISOString()} are no longer buffered`,
  };
}
