import type { DaemonEvent } from '../core/events.js';
import { capEventText, DEFAULT_MAX_EVENT_TEXT_BYTES } from './cap-text.js';

export type Listener = (event: DaemonEvent) => void;

export interface EventBus {
  emit(event: DaemonEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: Listener): () => void;
}

export interface EventBusOptions {
  /**
   * Longest string kept in an event (`limits.max_event_text_bytes`, UTF-8 bytes); longer ones are
   * cut with a marker before any listener sees the event.
   */
  readonly maxTextBytes?: number;
}

/**
 * Synchronous fan-out. A throwing listener is reported to `onListenerError` and does not stop
 * the others: a broken audit sink must not cost a metric, and the reverse. Text is capped once
 * here, so the audit log, the stream, notifications, metrics and traces all keep the same event.
 */
export function createEventBus(
  onListenerError: (error: unknown, event: DaemonEvent) => void,
  options: EventBusOptions = {},
): EventBus {
  const maxTextBytes = options.maxTextBytes ?? DEFAULT_MAX_EVENT_TEXT_BYTES;
  const listeners = new Set<Listener>();
  return {
    emit(event) {
      const capped = capEventText(event, maxTextBytes);
      for (const listener of listeners) {
        try {
          listener(capped);
        } catch (error) {
          onListenerError(error, capped);
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
  };
}
