import type { PersistedState } from '../core/jobs.js';
import { saveState } from '../state/state-file.js';

/** The persisted state in memory, saved atomically on every change, one save at a time. */
export interface StateStore {
  get(): PersistedState;
  /** Applies `change` and resolves once the result is on disk. */
  update(change: (state: PersistedState) => PersistedState): Promise<PersistedState>;
}

export function createStateStore(path: string, initial: PersistedState): StateStore {
  let state = initial;
  let queue: Promise<unknown> = Promise.resolve();
  return {
    get: () => state,
    update(change) {
      // Changes apply in call order; saves are chained so a slow write never lands after a newer one.
      state = change(state);
      const snapshot = state;
      const saved = queue.then(() => saveState(path, snapshot));
      queue = saved.catch(() => undefined);
      return saved.then(() => snapshot);
    },
  };
}
