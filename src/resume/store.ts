import type { PersistedState } from '../core/jobs.js';
import { createStateRenderer, saveState } from '../state/state-file.js';

/** The persisted state in memory, saved atomically; bursts of changes share one write. */
export interface StateStore {
  get(): PersistedState;
  /** Applies `change` and resolves once a write holding it is on disk (rejects if it failed). */
  update(change: (state: PersistedState) => PersistedState): Promise<PersistedState>;
  /** Writes started since the store was made (for tests and the abuse benchmark). */
  writes(): number;
}

type Save = (path: string, state: PersistedState) => Promise<void>;

interface Waiter {
  readonly snapshot: PersistedState;
  resolve(state: PersistedState): void;
  reject(error: unknown): void;
}

/**
 * Changes apply at once, in call order. At most one write is in flight; changes made meanwhile
 * wait for the next one, which writes the newest state for all of them. So a burst of 1,000 stops
 * costs a few writes of the whole file rather than 1,000, and a slow write never lands after a
 * newer one.
 */
export function createStateStore(path: string, initial: PersistedState, save?: Save) {
  const render = createStateRenderer();
  const write: Save = save ?? ((to, state) => saveState(to, state, render));
  let state = initial;
  let waiting: Waiter[] = [];
  let inFlight = false;
  let started = 0;

  const flush = async (): Promise<void> => {
    inFlight = true;
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      started++;
      try {
        await write(path, state);
        for (const waiter of batch) waiter.resolve(waiter.snapshot);
      } catch (error) {
        for (const waiter of batch) waiter.reject(error);
      }
    }
    inFlight = false;
  };

  const store: StateStore = {
    get: () => state,
    update(change) {
      state = change(state);
      const snapshot = state;
      const done = new Promise<PersistedState>((resolve, reject) => {
        waiting.push({ snapshot, resolve, reject });
      });
      if (!inFlight) void flush();
      return done;
    },
    writes: () => started,
  };
  return store;
}
