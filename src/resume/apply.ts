import type { Logger } from 'pino';
import { jobKey } from '../core/jobs.js';
import { reduce, type Facts, type Input, type Refusal, type Step } from '../core/resume-reducer.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../jobs/clock.js';
import type { StateStore, StoreHealth } from './store.js';

/** What applying an input came to. */
export type Applied =
  | { readonly kind: 'saved'; readonly step: Step }
  | { readonly kind: 'refused'; readonly refusal: Refusal }
  /** The write failed: nothing changed, nothing was announced; `deferred` inputs are retried. */
  | { readonly kind: 'unsaved'; readonly problem: string; readonly deferred: boolean };

export interface Applier {
  /**
   * Reduces the input against the state, writes the result and only then announces its events.
   * `defer`: when the write fails, the input is applied again later (an observation or an
   * outcome must not be lost while the daemon runs); without it the caller is told (a person's
   * command, a step that must be saved before it is acted on).
   */
  apply(input: Input, options?: { readonly defer?: boolean }): Promise<Applied>;
  /** Sessions with a deferred input: their jobs must not fire until it is saved. */
  deferredKeys(): ReadonlySet<string>;
  /** Inputs held in memory because their write failed. */
  deferred(): number;
  /** Stops retrying after one last try; resolves with what is still unsaved. */
  stop(): Promise<{ readonly unsaved: number; readonly problem?: string | undefined }>;
}

export interface ApplierDeps {
  readonly store: StateStore;
  readonly bus: EventBus;
  readonly clock: Clock;
  readonly log: Logger;
  readonly facts: () => Facts;
  /** A step was saved (the daemon state and the scheduler may need another look). */
  readonly onSaved: () => void;
}

const RETRY_FIRST_MS = 1000;
const RETRY_MAX_MS = 30_000;

/** Persist, then announce: the engine's one way of changing what is saved. */
export function createApplier(deps: ApplierDeps): Applier {
  const { store, bus, clock } = deps;
  let deferred: Input[] = [];
  let keys = new Set<string>();
  let cancelRetry: (() => void) | undefined;
  let retryMs = RETRY_FIRST_MS;
  let stopped = false;

  const problemOf = (health: StoreHealth): string =>
    health.ok ? 'the state file could not be written' : health.problem;

  async function apply(input: Input, defer: boolean): Promise<Applied> {
    const base = store.get();
    const facts = deps.facts();
    let step = reduce(base, input, facts);
    if (step.refused !== undefined) return { kind: 'refused', refusal: step.refused };
    if (step.state === base) {
      announce(step);
      return { kind: 'saved', step };
    }
    const result = await store.update((state) => {
      // Applied again to the state a failed write left: the same input, the same facts.
      if (state !== base) step = reduce(state, input, facts);
      return step.state;
    });
    if (result.ok) {
      announce(step);
      deps.onSaved();
      if (deferred.length > 0) arm(0);
      return { kind: 'saved', step };
    }
    if (defer && !stopped) {
      deferred.push(input);
      const key = keyOf(input);
      if (key !== undefined) keys.add(key);
    }
    // Deferred or not, the store is probed again later: the scheduler holds until it is writable.
    arm(retryMs);
    return { kind: 'unsaved', problem: problemOf(store.health()), deferred: defer };
  }

  function announce(step: Step): void {
    for (const event of step.events) bus.emit(event);
  }

  function disarm(): void {
    cancelRetry?.();
    cancelRetry = undefined;
  }

  function arm(delay: number): void {
    if (stopped) return;
    cancelRetry?.();
    cancelRetry = clock.setTimer(() => void retry(), delay);
  }

  /** Applies the deferred inputs again (one write for all), or probes a failing store. */
  async function retry(): Promise<void> {
    cancelRetry = undefined;
    const again = deferred;
    deferred = [];
    keys = new Set();
    if (again.length === 0 && store.health().ok) return;
    const saved =
      again.length > 0
        ? (await Promise.all(again.map((input) => apply(input, true)))).every(
            (r) => r.kind !== 'unsaved',
          )
        : (await store.update((state) => state)).ok;
    if (saved) {
      retryMs = RETRY_FIRST_MS;
      deps.log.info({ inputs: again.length }, 'state file writable again: held changes saved');
      deps.onSaved();
      return;
    }
    retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
    arm(retryMs);
  }

  return {
    apply: (input, options) => apply(input, options?.defer === true),
    deferredKeys: () => keys,
    deferred: () => deferred.length,
    async stop() {
      disarm();
      if (deferred.length > 0) {
        const again = deferred;
        deferred = [];
        keys = new Set();
        await Promise.all(again.map((input) => apply(input, true)));
      }
      stopped = true;
      disarm();
      // The writes still in flight are the store's to drain (the daemon waits for them last).
      return {
        unsaved: deferred.length,
        problem: deferred.length > 0 ? problemOf(store.health()) : undefined,
      };
    },
  };
}

function keyOf(input: Input): string | undefined {
  switch (input.kind) {
    case 'stopped':
    case 'busy':
    case 'command':
      return jobKey(input.ref);
    case 'sent':
    case 'session_started':
    case 'outcome':
      return jobKey(input.job);
    case 'prune':
      return undefined;
  }
}
