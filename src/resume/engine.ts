import type { Logger } from 'pino';
import type { AgentAdapter, MalformedUnit, Observation, SessionRef } from '../agents/adapter.js';
import type { Config } from '../config/schema.js';
import { classify } from '../core/classify.js';
import type { ResumePolicy } from '../core/decide.js';
import { findJob, findSession, jobKey, type PersistedState, type ResumeJob } from '../core/jobs.js';
import { stopAnswered, type Facts, type SessionCommand } from '../core/resume-reducer.js';
import type { AgentKind } from '../core/stop-reason.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../jobs/clock.js';
import { createScheduler } from '../jobs/scheduler.js';
import type { SessionSnapshot } from '../telemetry/resume-metrics.js';
import { createApplier } from './apply.js';
import { createEngineViews } from './engine-views.js';
import { executeJob } from './execute.js';
import { createLiveSessions, type SessionView } from './live-sessions.js';
import type { StateStore } from './store.js';
import { createActivityWaiters } from './waiters.js';

export interface EngineDeps {
  readonly clock: Clock;
  readonly random: () => number;
  readonly config: Config;
  readonly adapters: ReadonlyMap<string, AgentAdapter>;
  /** Every registered agent, enabled or not: sessions of each are remembered and counted. */
  readonly agents: readonly AgentKind[];
  readonly bus: EventBus;
  readonly log: Logger;
  readonly store: StateStore;
  readonly paused: () => boolean;
  readonly backupDir: string;
  /** Called whenever the facts behind the daemon state may have changed. */
  readonly onChange: () => void;
  /** A failure caught and logged here, to be counted. `kind` is a short fixed word. */
  readonly onError?: ((kind: string) => void) | undefined;
  /** Agent input skipped as malformed (logged here): `count` frames, lines or files, to count. */
  readonly onMalformed?: ((unit: MalformedUnit, count: number) => void) | undefined;
}

export type { SessionCommand };

/** What a person's command on one session came to. */
export type SessionCommandResult =
  | { readonly ok: true; readonly session: SessionView }
  | {
      readonly ok: false;
      readonly error: 'not_found' | 'conflict' | 'state_write_failed';
      readonly message: string;
    };

export interface ResumeEngine {
  readonly observe: (observation: Observation) => void;
  /** pause / resume / wake / cancel / new_session on one session, by its id. */
  command(sessionId: string, command: SessionCommand): Promise<SessionCommandResult>;
  /** Lifetime saves and time saved, for the status. */
  totals(): { saves: number; timeSavedSeconds: number };
  sessions(): SessionView[];
  /** `sessions()` as the API's JSON array text, rendering only sessions that changed. */
  sessionsJson(): string;
  /** What the session gauges read at scrape time. */
  snapshot(): SessionSnapshot;
  adapters(): Iterable<AgentAdapter>;
  pendingResumes(): number;
  activeResumes(): number;
  /** Re-arm after pause/resume or a restart. */
  poke(): void;
  /**
   * Whether every observation so far is on disk (none held in memory after a failed write).
   * An intake deletes its own copy of an input (a hook) only then.
   */
  persisted(): Promise<boolean>;
  /**
   * Aborts the work in flight (an aborted attempt costs nothing: its job stays as saved) and
   * waits for it, then for the last writes. Rejects when changes could not be saved. Idempotent.
   */
  stop(): Promise<void>;
}

const DAY_MS = 86_400_000;
const PRUNE_EVERY_MS = 6 * 3_600_000;

export function policyOf(config: Config): ResumePolicy {
  const r = config.resume;
  return {
    marginMs: r.margin_seconds * 1000,
    backoffBaseMs: r.backoff_base_seconds * 1000,
    backoffMaxMs: r.backoff_max_seconds * 1000,
    maxRetries: r.max_retries,
  };
}

/**
 * Observations in, decisions out: classify → reduce (core/resume-reducer.ts) → persist → announce
 * → wait → act → verify → reduce the outcome. The reducer alone changes what is saved.
 */
export function createResumeEngine(deps: EngineDeps): ResumeEngine {
  const { clock, store, log } = deps;
  const live = createLiveSessions();
  const waiters = createActivityWaiters(clock);
  const stopping = new AbortController();
  let stopped: Promise<void> | undefined;
  const inFlight = new Set<Promise<void>>();
  /** The newest stop of a session seen while its job was being carried out. */
  const heldStops = new Map<string, Extract<Observation, { kind: 'stopped' }>>();

  const facts = (): Facts => ({
    now: clock.now(),
    policy: policyOf(deps.config),
    jitter: deps.random(),
    running: scheduler.active(),
    daemonPaused: deps.paused(),
    agentEnabled: (agent) => deps.adapters.has(agent),
    compactsOnResume: (agent) => deps.adapters.get(agent)?.compactsOnResume,
  });
  const applier = createApplier({
    store,
    bus: deps.bus,
    clock,
    log,
    facts,
    onSaved: () => {
      scheduler.poke();
      deps.onChange();
    },
  });

  // Sessions a person paused, recomputed only when the state changed (states are immutable).
  let pausedFor: { state: PersistedState; keys: Set<string> } | undefined;
  const heldKeys = (state: PersistedState): ReadonlySet<string> => {
    if (pausedFor?.state !== state) {
      pausedFor = { state, keys: new Set(state.sessions.filter((s) => s.paused).map(jobKey)) };
    }
    const deferred = applier.deferredKeys();
    return deferred.size === 0 ? pausedFor.keys : new Set([...pausedFor.keys, ...deferred]);
  };
  const scheduler = createScheduler({
    clock,
    pending: () => store.get().jobs,
    // While the state file cannot be written, nothing fires: a job's step must be saved first.
    paused: () => deps.paused() || !store.health().ok,
    held: () => heldKeys(store.get()),
    fire: (job) => track(carryOut(job)),
    settled: (job) => {
      // A stop seen while the job ran (the resumed turn met its limit again) is decided now.
      const key = jobKey(job);
      const held = heldStops.get(key);
      if (held === undefined) return;
      heldStops.delete(key);
      onStopped(held);
    },
    onError: (job, error) => {
      log.error({ err: error, job: jobKey(job) }, 'resume job failed unexpectedly');
      deps.onError?.('resume_job');
    },
  });

  function track(work: Promise<void>): Promise<void> {
    inFlight.add(work);
    return work.finally(() => inFlight.delete(work));
  }

  /** One due job: execute it, then let the reducer decide what its outcome means. */
  async function carryOut(job: ResumeJob): Promise<void> {
    const key = jobKey(job);
    live.set(key, { state: 'resuming', nextWakeAt: undefined });
    deps.onChange();
    const outcome = await executeJob(job, {
      clock,
      config: deps.config,
      adapters: deps.adapters,
      log,
      backupDir: deps.backupDir,
      waiters,
      signal: stopping.signal,
      record: (ref) => findSession(store.get(), jobKey(ref)),
      persist: async (input) =>
        (await applier.apply(input, { defer: input.kind === 'session_started' })).kind === 'saved',
      onError: (kind) => deps.onError?.(kind),
    });
    if (outcome.kind !== 'aborted') {
      if (outcome.kind === 'failed') {
        log.warn(
          { session: key, attempt: job.attempt, type: outcome.type, why: outcome.message },
          'resume attempt failed',
        );
      }
      await applier.apply({ kind: 'outcome', job, outcome }, { defer: true });
    }
    // The observation that verified it (busy, retrying) may already have said more.
    live.settle(key, outcome.kind === 'saved' ? 'busy' : 'idle');
    deps.onChange();
  }

  function onStopped(o: Extract<Observation, { kind: 'stopped' }>): void {
    // Known from here on, saved or not: a failing disk must not hide the session.
    live.touch(o.ref, 'idle', o.at);
    const key = jobKey(o.ref);
    const handled = findSession(store.get(), key)?.handledMessageId;
    if (scheduler.active().has(key) && (o.messageId === undefined || o.messageId !== handled)) {
      // The running job may be answered by it or not: its outcome decides, then this stop does.
      heldStops.set(key, o);
      return;
    }
    if (stopAnswered(store.get(), o.ref, o.messageId, scheduler.active())) return;
    // Relative reset headers count from when the agent recorded the failure, not from when we
    // noticed it (a daemon started later would otherwise wait the full retry-after again).
    const stop = classify(o.evidence, Math.min(o.at, o.recordedAt ?? o.at));
    void applier.apply(
      {
        kind: 'stopped',
        ref: o.ref,
        stop,
        at: o.at,
        stoppedAt: o.recordedAt ?? o.at,
        messageId: o.messageId,
        detectionLatencyMs:
          o.recordedAt === undefined ? undefined : Math.max(0, o.at - o.recordedAt),
        evidence: o.evidence,
      },
      { defer: true },
    );
  }

  function onBusy(o: Extract<Observation, { kind: 'busy' }>): void {
    const key = jobKey({ agent: o.ref.agent, sessionId: o.ref.sessionId });
    live.touch(o.ref, 'busy', o.at);
    waiters.notify(key, o.at);
    // A stop held while the job ran is moot once the session works again after it.
    const held = heldStops.get(key);
    if (held !== undefined && held.at <= o.at) heldStops.delete(key);
    if (findJob(store.get(), key) === undefined || scheduler.active().has(key)) return;
    log.info({ session: key }, 'session busy again before its resume; job dropped');
    void applier.apply({ kind: 'busy', ref: o.ref, at: o.at }, { defer: true });
  }

  async function command(sessionId: string, name: SessionCommand): Promise<SessionCommandResult> {
    const view = findView(sessionId);
    if (view === undefined)
      return { ok: false, error: 'not_found', message: `no session ${sessionId} is known` };
    const ref: SessionRef = { agent: view.agent, sessionId: view.id, directory: view.directory };
    const applied = await applier.apply({ kind: 'command', ref, command: name, at: clock.now() });
    if (applied.kind === 'refused') return { ok: false, ...applied.refusal };
    if (applied.kind === 'unsaved') {
      return {
        ok: false,
        error: 'state_write_failed',
        message: `nothing changed: the state file cannot be written (${applied.problem})`,
      };
    }
    const key = jobKey(ref);
    if (name === 'cancel') live.set(key, { state: 'idle', nextWakeAt: undefined });
    return { ok: true, session: findView(sessionId) ?? view };
  }

  /** The session with this id under any agent: a lookup per agent, not a listing of all. */
  function findView(sessionId: string): SessionView | undefined {
    for (const agent of deps.agents) {
      const found = live.find(store.get(), jobKey({ agent, sessionId }));
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /** Session records and in-memory views idle past `[limits] session_horizon_days` are forgotten. */
  function prune(): void {
    const before = clock.now() - deps.config.limits.session_horizon_days * DAY_MS;
    const pending = new Set(store.get().jobs.map(jobKey));
    const forgotten = live.prune(before, (key) => pending.has(key));
    void applier.apply({ kind: 'prune', before }, { defer: true });
    if (forgotten > 0) log.info({ forgotten }, 'idle sessions forgotten');
  }
  let cancelPrune = clock.setTimer(function again() {
    prune();
    cancelPrune = clock.setTimer(again, PRUNE_EVERY_MS);
  }, 0);

  const views = createEngineViews(store, scheduler, live, deps.agents, clock);

  return {
    command,
    totals: () => store.get().totals,
    observe: (o) => {
      switch (o.kind) {
        case 'stopped':
          onStopped(o);
          break;
        case 'busy':
          onBusy(o);
          break;
        case 'retrying':
          live.touch(o.ref, 'retrying', o.at, o.nextAt);
          // Retrying by itself is working on the prompt: a resume it follows is taken.
          waiters.notify(jobKey(o.ref), o.at);
          break;
        case 'discovered':
          live.touch(o.ref, undefined, o.at, undefined, o.title);
          break;
        case 'todos':
          live.todos(o.ref, o.completed, o.total, o.at);
          break;
        case 'connection':
          log.info(
            { agent: o.agent, up: o.up, detail: o.detail },
            o.up ? 'agent connected' : 'agent connection lost',
          );
          break;
        case 'malformed':
          log.warn(
            { agent: o.agent, unit: o.unit, count: o.count, detail: o.detail },
            'malformed agent event skipped',
          );
          deps.onMalformed?.(o.unit, o.count);
          break;
      }
      deps.onChange();
    },
    sessions: () => live.list(store.get()),
    sessionsJson: () => live.listJson(store.get()),
    ...views,
    adapters: () => deps.adapters.values(),
    poke: () => {
      scheduler.poke();
    },
    async persisted() {
      return (await store.settled()).ok && applier.deferred() === 0;
    },
    stop() {
      stopped ??= (async () => {
        cancelPrune();
        scheduler.stop();
        stopping.abort();
        waiters.cancelAll();
        await Promise.all(inFlight);
        const left = await applier.stop();
        if (left.unsaved > 0) {
          throw new Error(
            `${String(left.unsaved)} change(s) could not be saved to the state file: ${left.problem ?? 'unknown'}`,
          );
        }
      })();
      return stopped;
    },
  };
}
