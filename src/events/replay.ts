import type { StreamEntry } from './ring-buffer.js';
import type { Since } from './since.js';
import { sseComment } from './sse.js';

export interface Replay {
  readonly entries: readonly StreamEntry[];
  /** Set when the reader asked for events the buffer no longer holds (or never held). */
  readonly notice?: string | undefined;
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
    return { entries, notice: gapNotice(from.id, evicted) };
  }
  if (evicted === 0) return { entries: buffer.filter((entry) => entry.event.at >= from.atMs) };
  // Each of the events so far outgrew the buffer by itself: when they happened is not known.
  if (oldest === undefined) return { entries: [], notice: gapNotice(0, evicted) };
  const entries = buffer.filter((entry) => entry.event.at >= from.atMs);
  if (oldest.event.at <= from.atMs) return { entries };
  return {
    entries,
    notice: `events before ${new Date(oldest.event.at).toISOString()} are no longer buffered`,
  };
}

/** Text to send next to a reader that has been sent everything up to `cursor`. */
export interface Chunk {
  readonly text: string;
  /** The last id the text carries (or skips, with a notice). */
  readonly cursor: number;
}

/**
 * The frames after `cursor`, up to `end`, until about `targetBytes` (a single frame may pass it).
 * A reader so slow that the buffer moved on past its cursor is told, and skips ahead. Always
 * advances when `cursor < end`.
 */
export function nextChunk(
  buffer: readonly StreamEntry[],
  cursor: number,
  end: number,
  targetBytes: number,
): Chunk {
  if (cursor >= end) return { text: '', cursor };
  const firstId = buffer[0]?.id ?? end + 1;
  let text = '';
  let at = cursor;
  if (at + 1 < firstId) {
    const evicted = Math.min(firstId - 1, end);
    text = sseComment(`notice: ${gapNotice(at, evicted)}`);
    at = evicted;
  }
  let bytes = 0;
  // Ids in the buffer are consecutive: the next one is at a known index.
  for (let index = at + 1 - firstId; at < end && bytes < targetBytes; index++) {
    const entry = buffer[index];
    if (entry === undefined) break;
    text += entry.frame;
    bytes += entry.bytes;
    at = entry.id;
  }
  return { text, cursor: at };
}

function gapNotice(afterId: number, evicted: number): string {
  return `events ${afterId + 1} to ${evicted} are no longer buffered; replaying from ${evicted + 1}`;
}
