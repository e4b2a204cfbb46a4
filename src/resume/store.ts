import type { PersistedState } from '../core/jobs.js';
import { createStateRenderer, saveState } from '../state/state-file.js';

/** What became of a change: on disk, or not (and then not in memory either). */
export type WriteResult = { readonly ok: true } | { readonly ok: false; readonly error: unknown };

/** Whether the last write succeeded; when not, since when writes fail and why. */
export type StoreHealth =
  { readonly ok: true } | { readonly ok: false; readonly since: number; readonly problem: string };

/** The persisted state in memory, saved atomically; bursts of changes share one write. */
export interface StateStore {
  get(): PersistedState;
  /**
   * Applies `change` at once and resolves when a write holding it is done: `ok` once it is on
   * disk; otherwise the change is taken back (memory never holds what the disk does not, beyond
   * the writes in flight), and the caller decides what follows. Never rejects.
   */
  update(change: (state: PersistedState) => PersistedState): Promise<WriteResult>;
  health(): StoreHealth;
  /** Resolves once no write is in flight or waiting. */
  idle(): Promise<void>;
  /**
   * Whether everything in memory now is on disk: at once when no write is pending, otherwise with
   * the result of the next write, which holds every change made so far. (A change a failed write
   * took back is not in memory: its caller was told.)
   */
  settled(): Promise<WriteResult>;
  /** Writes started since the store was made (for tests and the abuse benchmark). */
  writes(): number;
}

type Save = (path: string, state: PersistedState) => Promise<void>;

export interface StoreOptions {
  /** How a state is written; default: `saveState` (temp file, fsync, rename). */
  readonly save?: Save | undefined;
  readonly now?: (() => number) | undefined;
  /** A write failed: once per failing write (the caller logs and counts it). */
  readonly onWriteFailed?: ((error: unknown) => void) | undefined;
  /** The first write that succeeds after failures. */
  readonly onRecovered?: (() => void) | undefined;
}

interface Pending {
  readonly change: (state: PersistedState) => PersistedState;
  readonly done: (result: WriteResult) => void;
}

/**
 * Changes apply at once, in call order. At most one write is in flight; changes made meanwhile
 * wait for the next one, which writes the newest state for all of them. So a burst of 1,000 stops
 * costs a few writes of the whole file rather than 1,000, and a slow write never lands after a
 * newer one.
 *
 * A failed write takes its batch back: the state returns to the last one on disk, and the changes
 * made since (waiting for the next write) are applied to it again. They are pure functions of the
 * state, so what they make of the restored state is what they would have made of it.
 */
export function createStateStore(
  path: string,
  initial: PersistedState,
  options: StoreOptions = {},
): StateStore {
  const render = createStateRenderer();
  const write: Save = options.save ?? ((to, state) => saveState(to, state, render));
  const now = options.now ?? Date.now;
  let saved = initial;
  let state = initial;
  let waiting: Pending[] = [];
  let inFlight: Promise<void> | undefined;
  let started = 0;
  let health: StoreHealth = { ok: true };

  const flush = async (): Promise<void> => {
    while (waiting.length > 0) {
      const batch = waiting;
      waiting = [];
      const writing = state;
      started++;
      let result: WriteResult;
      try {
        await write(path, writing);
        saved = writing;
        result = { ok: true };
        if (!health.ok) {
          health = { ok: true };
          options.onRecovered?.();
        }
      } catch (error) {
        result = { ok: false, error };
        state = saved;
        for (const later of waiting) state = later.change(state);
        health = { ok: false, since: health.ok ? now() : health.since, problem: describe(error) };
        options.onWriteFailed?.(error);
      }
      for (const pending of batch) pending.done(result);
    }
    inFlight = undefined;
  };

  const store: StateStore = {
    get: () => state,
    update(change) {
      state = change(state);
      const done = new Promise<WriteResult>((resolve) => {
        waiting.push({ change, done: resolve });
      });
      inFlight ??= flush();
      return done;
    },
    health: () => health,
    settled() {
      // Memory is what is on disk plus the changes pending (a failed write takes its own back).
      if (waiting.length === 0 && inFlight === undefined) return Promise.resolve({ ok: true });
      // Rides on the next write, which holds every change made so far.
      return store.update((current) => current);
    },
    async idle() {
      while (inFlight !== undefined) await inFlight;
    },
    writes: () => started,
  };
  return store;
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = 'code' in error && typeof error.code === 'string' ? `${error.code}: ` : '';
    return error.message.startsWith(code) ? error.message : `${code}${error.message}`;
  }
  return String(error);
}
