import type { DaemonEvent } from '../core/events.js';

/** One buffered event with its stream id (1, 2, 3 … from daemon start) and its SSE frame. */
export interface StreamEntry {
  readonly id: number;
  readonly event: DaemonEvent;
  readonly frame: string;
  /** The frame's size in UTF-8 bytes. */
  readonly bytes: number;
}

export interface RingBuffer {
  /** Oldest first; ids are consecutive. */
  entries(): readonly StreamEntry[];
  /** Adds the newest entry, then evicts the oldest while over either limit. */
  push(entry: StreamEntry): void;
  /** Total frame bytes held. */
  bytes(): number;
}

/**
 * Recent events, bounded by count and by bytes: a thousand events of 60 KB each must not be held
 * whole. An entry larger than `maxBytes` by itself is not kept at all (live readers still get it;
 * a replay then says it is no longer buffered).
 */
export function createRingBuffer(limits: {
  readonly capacity: number;
  readonly maxBytes: number;
}): RingBuffer {
  const held: StreamEntry[] = [];
  let total = 0;
  return {
    entries: () => held,
    push(entry) {
      held.push(entry);
      total += entry.bytes;
      while (held.length > limits.capacity || total > limits.maxBytes) {
        const evicted = held.shift();
        if (evicted === undefined) break;
        total -= evicted.bytes;
      }
    },
    bytes: () => total,
  };
}
