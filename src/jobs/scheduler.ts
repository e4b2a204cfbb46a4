import { jobKey, nextDue, type ResumeJob } from '../core/jobs.js';
import { MAX_TIMER_MS, type Clock } from './clock.js';

export interface SchedulerDeps {
  readonly clock: Clock;
  /** The pending jobs, persisted by the caller. */
  readonly pending: () => readonly ResumeJob[];
  /** While paused, due jobs are held (never dropped) and fire on resume. */
  readonly paused: () => boolean;
  /**
   * Keys of the jobs held individually (their session is paused): never fired, never dropped.
   * Asked once per poke, so a poke costs O(jobs), not O(jobs × sessions).
   */
  readonly held?: () => ReadonlySet<string>;
  /** Carries a due job out. The scheduler never runs the same job key twice at once. */
  readonly fire: (job: ResumeJob) => Promise<void>;
  /** A job's run ended and its key is free again (it may be fired, or answer, anew). */
  readonly settled?: ((job: ResumeJob) => void) | undefined;
  readonly onError: (job: ResumeJob, error: unknown) => void;
}

export interface Scheduler {
  /** Re-arms the timer for the earliest pending job; call after any change to jobs or pause. */
  poke(): void;
  /** Keys of the jobs being carried out right now. */
  active(): ReadonlySet<string>;
  stop(): void;
}

/**
 * One timer for the earliest due job. Long waits are re-armed in steps of at most 2^31−1 ms, and
 * the due time is re-checked against the clock on every wake, so a system sleep or a clock jump
 * makes a job late by at most one step, never early.
 */
const NONE: ReadonlySet<string> = new Set();

export function createScheduler(deps: SchedulerDeps): Scheduler {
  const running = new Set<string>();
  let cancel: (() => void) | undefined;
  let stopped = false;

  const poke = (): void => {
    cancel?.();
    cancel = undefined;
    if (stopped || deps.paused()) return;
    const now = deps.clock.now();
    const held = deps.held?.() ?? NONE;
    const waiting: ResumeJob[] = [];
    for (const job of deps.pending()) {
      const key = jobKey(job);
      if (held.has(key) || running.has(key)) continue;
      if (job.dueAt <= now) start(job);
      else waiting.push(job);
    }
    const next = nextDue(waiting);
    if (next === undefined) return;
    const delay = Math.min(Math.max(0, next.dueAt - now), MAX_TIMER_MS);
    cancel = deps.clock.setTimer(poke, delay);
  };

  const start = (job: ResumeJob): void => {
    const key = jobKey(job);
    running.add(key);
    deps
      .fire(job)
      .catch((error: unknown) => {
        deps.onError(job, error);
      })
      .finally(() => {
        running.delete(key);
        deps.settled?.(job);
        poke();
      });
  };

  return {
    poke,
    active: () => running,
    stop() {
      stopped = true;
      cancel?.();
      cancel = undefined;
    },
  };
}
