import type { DaemonEvent } from '../core/events.js';

export type Listener = (event: DaemonEvent) => void;

export interface EventBus {
  emit(event: DaemonEvent): void;
  /** Returns the unsubscribe function. */
  subscribe(listener: Listener): () => void;
}

/**
 * Synchronous fan-out. A throwing listener is reported to `onListenerError` and does not stop
 * the others: a broken audit sink must not cost a metric, and the reverse.
 */
export function createEventBus(
  onListenerError: (error: unknown, event: DaemonEvent) => void,
): EventBus {
  const listeners = new Set<Listener>();
  return {
    emit(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch (error) {
          onListenerError(error, event);
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
