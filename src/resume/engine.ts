import type { Logger } from 'pino';
import type { AgentAdapter, Observation, SessionRef } from '../agents/adapter.js';
import type { Config } from '../config/schema.js';
import { classify } from '../core/classify.js';
import { backoffMs, decide, type ResumePolicy } from '../core/decide.js';
import {
  addJob,
  findJob,
  findSession,
  jobKey,
  pruneSessions,
  removeJob,
  replaceJob,
  upsertSession,
  type PersistedState,
  type ResumeJob,
  type SessionRecord,
} from '../core/jobs.js';
import type { AgentKind, StopReason } from '../core/stop-reason.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../jobs/clock.js';
import { createScheduler } from '../jobs/scheduler.js';
import { executeJob } from './execute.js';
import { createLiveSessions, type SessionView } from './live-sessions.js';
import type { SessionSnapshot } from '../telemetry/resume-metrics.js';
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
}

export type SessionCommand = 'pause' | 'resume' | 'wake' | 'cancel' | 'new_session';

/** What a person's command on one session came to. */
export type SessionCommandResult =
  | { readonly ok: true; readonly session: SessionView }
  | { readonly ok: false; readonly error: 'not_found' | 'conflict'; readonly message: string };

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
  stop(): void;
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

/** Observations in, decisions out: classify → decide → persist the job → wait → act → verify. */
export function createResumeEngine(deps: EngineDeps): ResumeEngine {
  const { clock, store, bus, log } = deps;
  const live = createLiveSessions();
  const waiters = createActivityWaiters(clock);
  const session = (ref: SessionRef): SessionRecord =>
    findSession(store.get(), jobKey({ agent: ref.agent, sessionId: ref.sessionId })) ?? {
      agent: ref.agent,
      sessionId: ref.sessionId,
      directory: ref.directory,
      attempts: 0,
    };
  const save = (change: Parameters<StateStore['update']>[0], what: string): Promise<void> =>
    store.update(change).then(
      () => {
        deps.onChange();
      },
      (error: unknown) => {
        log.error({ err: error, what }, 'state file write failed');
      },
    );

  // Sessions a person paused, recomputed only when the state changed (states are immutable).
  let pausedFor: { state: PersistedState; keys: Set<string> } | undefined;
  const pausedKeys = (state: PersistedState): ReadonlySet<string> => {
    if (pausedFor?.state !== state) {
      pausedFor = { state, keys: new Set(state.sessions.filter((s) => s.paused).map(jobKey)) };
    }
    return pausedFor.keys;
  };
  const scheduler = createScheduler({
    clock,
    pending: () => store.get().jobs,
    paused: deps.paused,
    held: () => pausedKeys(store.get()),
    fire: (job) => executeJob(job, { ...deps, waiters, live, save, session, reschedule }),
    onError: (job, error) => {
      log.error({ err: error, job: jobKey(job) }, 'resume job failed unexpectedly');
    },
  });

  /** Decides about a stop and, when there is something to do, persists the job before waiting. */
  function reschedule(
    ref: SessionRef,
    stop: StopReason,
    attempts: number,
    stoppedAt: number,
    handled?: string,
    retryOf?: ResumeJob['action'],
  ): void {
    const now = clock.now();
    const policy = policyOf(deps.config);
    const jitter = deps.random();
    const known = session(ref);
    let decision = decide(
      stop,
      {
        attempts,
        compactsOnResume: deps.adapters.get(ref.agent)?.compactsOnResume,
        previousStop: known.lastStop?.reason,
      },
      policy,
      now,
      jitter,
    );
    // A failed new session (forced by a person, or after an exhausted context) is retried as a
    // new session, with backoff: the stop's own reason would otherwise say "resume the old one".
    if (retryOf === 'new_session' && 'dueAt' in decision) {
      decision = {
        ...decision,
        action: 'new_session',
        dueAt: now + backoffMs(decision.attempt, policy, jitter),
        why: `new session failed; backoff attempt ${String(decision.attempt)}`,
      };
    }
    bus.emit({
      type: 'decision.made',
      at: now,
      agent: ref.agent,
      sessionId: ref.sessionId,
      reason: stop.reason,
      action: decision.action,
      why: decision.why,
      ...('dueAt' in decision ? { dueAt: decision.dueAt, attempt: decision.attempt } : {}),
    });
    const key = jobKey({ agent: ref.agent, sessionId: ref.sessionId });
    const record: SessionRecord = {
      ...known,
      directory: ref.directory ?? known.directory,
      attempts: stop.reason === 'completed' ? 0 : attempts,
      handledMessageId: handled ?? known.handledMessageId,
      lastStop: { reason: stop.reason, detail: stop.detail, at: now, resetAt: stop.resetAt },
    };
    if (!('dueAt' in decision)) {
      if (decision.action === 'give_up') {
        bus.emit({
          type: 'resume.gave_up',
          at: now,
          agent: ref.agent,
          sessionId: ref.sessionId,
          reason: stop.reason,
          why: decision.why,
        });
      }
      live.set(key, { state: 'idle', nextWakeAt: undefined });
      void save((s) => removeJob(upsertSession(s, record), key), 'session record');
      return;
    }
    const job: ResumeJob = {
      agent: ref.agent,
      sessionId: ref.sessionId,
      directory: record.directory,
      reason: stop.reason,
      action: decision.action,
      dueAt: decision.dueAt,
      attempt: decision.attempt,
      createdAt: now,
      stoppedAt,
      why: decision.why,
    };
    live.set(key, { state: 'waiting', nextWakeAt: job.dueAt });
    void save(
      (s) => addJob(removeJob(upsertSession(s, record), key), job).state,
      'resume job',
    ).then(() => {
      bus.emit({
        type: 'resume.scheduled',
        at: now,
        agent: ref.agent,
        sessionId: ref.sessionId,
        action: job.action,
        reason: job.reason,
        dueAt: job.dueAt,
        attempt: job.attempt,
        why: job.why,
      });
      scheduler.poke();
    });
  }

  function onStopped(o: Extract<Observation, { kind: 'stopped' }>): void {
    const key = jobKey({ agent: o.ref.agent, sessionId: o.ref.sessionId });
    const record = session(o.ref);
    live.set(key, { state: 'idle' });
    // One stop, one decision: a resync repeats stops already handled, and a pending or running
    // job already answers this session.
    if (o.messageId !== undefined && o.messageId === record.handledMessageId) return;
    if (findJob(store.get(), key) !== undefined || scheduler.active().has(key)) return;
    // Relative reset headers count from when the agent recorded the failure, not from when we
    // noticed it (a daemon started later would otherwise wait the full retry-after again).
    const stop = classify(o.evidence, Math.min(o.at, o.recordedAt ?? o.at));
    const latency = o.recordedAt === undefined ? undefined : Math.max(0, o.at - o.recordedAt);
    bus.emit({
      type: 'session.stopped',
      at: o.at,
      agent: o.ref.agent,
      sessionId: o.ref.sessionId,
      reason: stop.reason,
      detail: stop.detail,
      resetAt: stop.resetAt,
      resetSource: stop.resetSource,
      detectionLatencyMs: latency,
      evidence: o.evidence,
    });
    reschedule(o.ref, stop, record.attempts, o.recordedAt ?? o.at, o.messageId);
  }

  async function command(sessionId: string, name: SessionCommand): Promise<SessionCommandResult> {
    const view = findView(sessionId);
    if (view === undefined)
      return { ok: false, error: 'not_found', message: `no session ${sessionId} is known` };
    const ref: SessionRef = { agent: view.agent, sessionId: view.id, directory: view.directory };
    const key = jobKey({ agent: ref.agent, sessionId: ref.sessionId });
    const record = session(ref);
    const job = findJob(store.get(), key);
    const conflict = (message: string): SessionCommandResult => ({
      ok: false,
      error: 'conflict',
      message,
    });
    const running = scheduler.active().has(key);
    switch (name) {
      case 'pause':
        if (record.paused === true) return conflict(`session ${sessionId} is already paused`);
        await save((s) => upsertSession(s, { ...record, paused: true }), 'session paused');
        break;
      case 'resume':
        if (record.paused !== true) return conflict(`session ${sessionId} is not paused`);
        await save((s) => upsertSession(s, { ...record, paused: false }), 'session resumed');
        break;
      case 'wake':
        if (job === undefined) return conflict(`session ${sessionId} has no pending resume`);
        if (running) return conflict(`session ${sessionId} is being resumed right now`);
        if (record.paused === true)
          return conflict(`session ${sessionId} is paused; resume it first`);
        if (deps.paused()) return conflict('the daemon is paused; resume it first');
        await save((s) => replaceJob(s, { ...job, dueAt: clock.now() }), 'job woken');
        break;
      case 'cancel':
        if (job === undefined) return conflict(`session ${sessionId} has no pending resume`);
        if (running) return conflict(`session ${sessionId} is being resumed right now`);
        await save((s) => removeJob(s, key), 'job cancelled');
        live.set(key, { state: 'idle', nextWakeAt: undefined });
        break;
      case 'new_session': {
        if (running) return conflict(`session ${sessionId} is being resumed right now`);
        if (!deps.adapters.has(ref.agent))
          return conflict(`the ${ref.agent} agent is not enabled in this daemon`);
        const now = clock.now();
        const forced: ResumeJob = {
          agent: ref.agent,
          sessionId: ref.sessionId,
          directory: ref.directory ?? record.directory,
          reason: record.lastStop?.reason ?? 'unknown',
          action: 'new_session',
          dueAt: now,
          attempt: record.attempts + 1,
          createdAt: now,
          stoppedAt: record.lastStop?.at ?? now,
          why: 'a new session was requested by the user',
        };
        live.set(key, { state: 'waiting', nextWakeAt: now });
        await save((s) => addJob(removeJob(s, key), forced).state, 'forced new session');
        break;
      }
    }
    bus.emit({
      type: 'session.control',
      at: clock.now(),
      agent: ref.agent,
      sessionId: ref.sessionId,
      command: name,
    });
    scheduler.poke();
    deps.onChange();
    const updated = findView(sessionId) ?? view;
    return { ok: true, session: updated };
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
    if (pruneSessions(store.get(), before).removed > 0) {
      void save((s) => pruneSessions(s, before).state, 'prune old sessions');
    }
    if (forgotten > 0) log.info({ forgotten }, 'idle sessions forgotten');
  }
  let cancelPrune = clock.setTimer(function again() {
    prune();
    cancelPrune = clock.setTimer(again, PRUNE_EVERY_MS);
  }, 0);

  // Asked on every observation (the daemon state): O(running jobs), not O(jobs), per call.
  let jobKeysFor: { jobs: readonly ResumeJob[]; keys: Set<string> } | undefined;
  function pendingResumes(): number {
    const { jobs } = store.get();
    if (jobKeysFor?.jobs !== jobs) jobKeysFor = { jobs, keys: new Set(jobs.map(jobKey)) };
    let running = 0;
    for (const key of scheduler.active()) if (jobKeysFor.keys.has(key)) running++;
    return jobs.length - running;
  }

  /** Jobs not being carried out right now: how many, and how late the latest-overdue one is. */
  function waitingJobs(): { pendingResumes: number; overdueSeconds: number } {
    const now = clock.now();
    const waiting = store.get().jobs.filter((j) => !scheduler.active().has(jobKey(j)));
    const late = waiting.reduce((most, j) => Math.max(most, now - j.dueAt), 0);
    return { pendingResumes: waiting.length, overdueSeconds: late / 1000 };
  }

  return {
    command,
    totals: () => store.get().totals,
    observe: (o) => {
      switch (o.kind) {
        case 'stopped':
          onStopped(o);
          break;
        case 'busy': {
          const key = jobKey({ agent: o.ref.agent, sessionId: o.ref.sessionId });
          live.touch(o.ref, 'busy', o.at);
          waiters.notify(key, o.at);
          // Someone else (the user, the agent) restarted the session before our job fired:
          // the job is moot, and firing it would nudge a working session.
          const job = findJob(store.get(), key);
          if (job !== undefined && !scheduler.active().has(key)) {
            void save((s) => removeJob(s, key), 'cancel moot job');
            log.info({ session: key }, 'session busy again before its resume; job dropped');
            bus.emit({
              type: 'resume.dropped',
              at: o.at,
              agent: o.ref.agent,
              sessionId: o.ref.sessionId,
              reason: job.reason,
              why: 'the session went back to work before its resume was due',
            });
          }
          break;
        }
        case 'retrying':
          live.touch(o.ref, 'retrying', o.at, o.nextAt);
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
          log.warn({ agent: o.agent, detail: o.detail }, 'malformed agent event skipped');
          break;
      }
      deps.onChange();
    },
    sessions: () => live.list(store.get()),
    sessionsJson: () => live.listJson(store.get()),
    snapshot: () => ({
      activeSessions: Object.fromEntries(
        deps.agents.map((agent) => [agent, live.busyCount(agent)]),
      ),
      retryAttempts: store.get().jobs.filter((j) => j.attempt > 1).length,
      ...waitingJobs(),
      steps: live.currentSteps(),
    }),
    adapters: () => deps.adapters.values(),
    pendingResumes,
    activeResumes: () => scheduler.active().size,
    poke: () => {
      scheduler.poke();
    },
    stop() {
      cancelPrune();
      scheduler.stop();
      waiters.cancelAll();
    },
  };
}
