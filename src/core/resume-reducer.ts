import { decide, type ResumePolicy } from './decide.js';
import type { DaemonEvent, FailureType } from './events.js';
import {
  addJob,
  findJob,
  findSession,
  jobKey,
  pruneSessions,
  recordSave,
  removeJob,
  replaceJob,
  upsertSession,
  type PersistedState,
  type ResumeJob,
  type SessionRecord,
  type SessionRef,
} from './jobs.js';
import type { AgentKind, StopReason } from './stop-reason.js';

/** What carrying a job out came to. `aborted` (the daemon stopped) costs nothing. */
export type Outcome =
  | {
      readonly kind: 'saved';
      /** When the session was verified busy. */
      readonly at: number;
      /** When the action began. */
      readonly startedAt: number;
      readonly savedSeconds: number;
      readonly newSessionId?: string | undefined;
    }
  | {
      readonly kind: 'failed';
      readonly at: number;
      readonly type: FailureType;
      readonly message: string;
    }
  | { readonly kind: 'needs_user'; readonly at: number; readonly why: string }
  | { readonly kind: 'aborted' };

export type SessionCommand = 'pause' | 'resume' | 'wake' | 'cancel' | 'new_session';

/** Everything that changes what is persisted about sessions and their resumes. */
export type Input =
  /** A session stopped; `stop` is its classification. */
  | {
      readonly kind: 'stopped';
      readonly ref: SessionRef;
      readonly stop: StopReason;
      /** When the daemon saw the stop. */
      readonly at: number;
      /** When the agent recorded it: the start of the wait. */
      readonly stoppedAt: number;
      readonly messageId?: string | undefined;
      readonly detectionLatencyMs?: number | undefined;
      readonly evidence: unknown;
    }
  /** The session went to work (by itself, or because we resumed it). */
  | { readonly kind: 'busy'; readonly ref: SessionRef; readonly at: number }
  /** A due job is being carried out; `send` says the action goes out now (and is saved first). */
  | { readonly kind: 'sent'; readonly job: ResumeJob; readonly at: number; readonly send: boolean }
  /** The job's new session exists: it is saved before it is verified, and never started twice. */
  | {
      readonly kind: 'session_started';
      readonly job: ResumeJob;
      readonly newSessionId: string;
      readonly at: number;
    }
  | { readonly kind: 'outcome'; readonly job: ResumeJob; readonly outcome: Outcome }
  | {
      readonly kind: 'command';
      readonly ref: SessionRef;
      readonly command: SessionCommand;
      readonly at: number;
    }
  /** Records idle since before `before` (epoch ms) are forgotten. */
  | { readonly kind: 'prune'; readonly before: number };

/** What the reducer is told besides the state: the clock, the policy and the engine's facts. */
export interface Facts {
  readonly now: number;
  readonly policy: ResumePolicy;
  /** Uniform in [0, 1), for backoff jitter. */
  readonly jitter: number;
  /** Keys (`agent:id`) of the jobs being carried out right now. */
  readonly running: ReadonlySet<string>;
  /** The whole daemon is paused by a person. */
  readonly daemonPaused: boolean;
  readonly agentEnabled: (agent: AgentKind) => boolean;
  /** The agent compacts its own context when resumed (adapter capability). */
  readonly compactsOnResume: (agent: AgentKind) => boolean | undefined;
}

/** A command that does not apply: nothing changed. */
export interface Refusal {
  readonly error: 'not_found' | 'conflict';
  readonly message: string;
}

/** The next state and what to announce once it is on disk (never before). */
export interface Step {
  readonly state: PersistedState;
  readonly events: readonly DaemonEvent[];
  readonly refused?: Refusal | undefined;
}

/**
 * The one place where what is persisted about a session changes. Pure and total: the same state,
 * input and facts give the same step; the engine persists `state` in one write and only then
 * emits `events`, so a crash between any two steps leaves a state some step produced (a failed
 * attempt's job is *replaced* by its retry, never removed first and added after).
 */
export function reduce(state: PersistedState, input: Input, facts: Facts): Step {
  switch (input.kind) {
    case 'stopped':
      return stopped(state, input, facts);
    case 'busy': {
      const key = jobKey(input.ref);
      const job = findJob(state, key);
      // Someone else (the user, the agent) restarted the session before our job fired: the job is
      // moot, and firing it would nudge a working session. A running job is verified by this.
      if (job === undefined || facts.running.has(key)) return unchanged(state);
      // The stop was judged too soon (an event older than the judgement can arrive after it, as
      // after a resync): its message is no longer handled, so seeing it stop again decides again.
      const record = recordOf(state, input.ref);
      return {
        state: upsertSession(removeJob(state, key), { ...record, handledMessageId: undefined }),
        events: [
          {
            type: 'resume.dropped',
            at: input.at,
            agent: input.ref.agent,
            sessionId: input.ref.sessionId,
            reason: job.reason,
            why: 'the session went back to work before its resume was due',
          },
        ],
      };
    }
    case 'sent': {
      const { job } = input;
      const started: DaemonEvent = {
        type: 'resume.started',
        at: input.at,
        agent: job.agent,
        sessionId: job.sessionId,
        action: job.action,
        reason: job.reason,
        attempt: job.attempt,
      };
      return {
        state: input.send ? replaceJob(state, { ...job, sentAt: input.at }) : state,
        events: [started],
      };
    }
    case 'session_started': {
      const { job } = input;
      const current = findJob(state, jobKey(job)) ?? job;
      return {
        state: replaceJob(state, { ...current, startedSessionId: input.newSessionId }),
        events: [
          {
            type: 'session.started',
            at: input.at,
            agent: job.agent,
            sessionId: input.newSessionId,
            fromSessionId: job.sessionId,
          },
        ],
      };
    }
    case 'outcome':
      return outcome(state, input.job, input.outcome, facts);
    case 'command':
      return command(state, input.ref, input.command, input.at, facts);
    case 'prune': {
      const pruned = pruneSessions(state, input.before);
      return unchanged(pruned.state);
    }
  }
}

function unchanged(state: PersistedState): Step {
  return { state, events: [] };
}

function recordOf(state: PersistedState, ref: SessionRef): SessionRecord {
  return (
    findSession(state, jobKey(ref)) ?? {
      agent: ref.agent,
      sessionId: ref.sessionId,
      directory: ref.directory,
      attempts: 0,
    }
  );
}

/**
 * One stop, one decision: a resync repeats stops already handled, and a pending or running job
 * already answers the session. (The engine asks first, to spare classifying a repeat.)
 */
export function stopAnswered(
  state: PersistedState,
  ref: SessionRef,
  messageId: string | undefined,
  running: ReadonlySet<string>,
): boolean {
  const key = jobKey(ref);
  if (messageId !== undefined && messageId === findSession(state, key)?.handledMessageId)
    return true;
  return findJob(state, key) !== undefined || running.has(key);
}

function stopped(
  state: PersistedState,
  input: Extract<Input, { kind: 'stopped' }>,
  facts: Facts,
): Step {
  const { ref, stop } = input;
  const record = recordOf(state, ref);
  if (stopAnswered(state, ref, input.messageId, facts.running)) return unchanged(state);
  const announced: DaemonEvent = {
    type: 'session.stopped',
    at: input.at,
    agent: ref.agent,
    sessionId: ref.sessionId,
    reason: stop.reason,
    detail: stop.detail,
    resetAt: stop.resetAt,
    resetSource: stop.resetSource,
    detectionLatencyMs: input.detectionLatencyMs,
    evidence: input.evidence,
  };
  const next = schedule(state, ref, stop, {
    attempts: record.attempts,
    stoppedAt: input.stoppedAt,
    handled: input.messageId,
    facts,
  });
  return { state: next.state, events: [announced, ...next.events] };
}

/**
 * Decides about a stop (a new one, or a failed attempt's) and makes the one state that holds the
 * decision: the session record, and the job replacing any job the session had.
 */
function schedule(
  state: PersistedState,
  ref: SessionRef,
  stop: StopReason,
  how: {
    readonly attempts: number;
    readonly stoppedAt: number;
    readonly handled?: string | undefined;
    readonly retryOf?: ResumeJob['action'] | undefined;
    readonly facts: Facts;
  },
): Step {
  const { facts } = how;
  const now = facts.now;
  const known = recordOf(state, ref);
  const decision = decide(
    stop,
    {
      attempts: how.attempts,
      compactsOnResume: facts.compactsOnResume(ref.agent),
      previousStop: known.lastStop?.reason,
      retryOf: how.retryOf,
    },
    facts.policy,
    now,
    facts.jitter,
  );
  const session = { agent: ref.agent, sessionId: ref.sessionId };
  const events: DaemonEvent[] = [
    {
      type: 'decision.made',
      at: now,
      ...session,
      reason: stop.reason,
      action: decision.action,
      why: decision.why,
      ...('dueAt' in decision ? { dueAt: decision.dueAt, attempt: decision.attempt } : {}),
    },
  ];
  const key = jobKey(ref);
  const record: SessionRecord = {
    ...known,
    directory: ref.directory ?? known.directory,
    attempts: stop.reason === 'completed' ? 0 : how.attempts,
    handledMessageId: how.handled ?? known.handledMessageId,
    lastStop: { reason: stop.reason, detail: stop.detail, at: now, resetAt: stop.resetAt },
  };
  if (!('dueAt' in decision)) {
    if (decision.action === 'give_up') {
      events.push({
        type: 'resume.gave_up',
        at: now,
        ...session,
        reason: stop.reason,
        why: decision.why,
      });
    }
    return { state: removeJob(upsertSession(state, record), key), events };
  }
  const job: ResumeJob = {
    ...session,
    directory: record.directory,
    reason: stop.reason,
    action: decision.action,
    dueAt: decision.dueAt,
    attempt: decision.attempt,
    createdAt: now,
    stoppedAt: how.stoppedAt,
    why: decision.why,
  };
  events.push({
    type: 'resume.scheduled',
    at: now,
    ...session,
    action: job.action,
    reason: job.reason,
    dueAt: job.dueAt,
    attempt: job.attempt,
    why: job.why,
  });
  return { state: addJob(removeJob(upsertSession(state, record), key), job).state, events };
}

function outcome(state: PersistedState, job: ResumeJob, result: Outcome, facts: Facts): Step {
  const key = jobKey(job);
  const ref: SessionRef = { agent: job.agent, sessionId: job.sessionId, directory: job.directory };
  const session = { agent: job.agent, sessionId: job.sessionId };
  switch (result.kind) {
    case 'aborted':
      return unchanged(state);
    case 'saved': {
      const waitedMs = Math.max(0, result.startedAt - job.stoppedAt);
      // A verified resume ends this stop: max_retries counts consecutive failed attempts only, so
      // an overnight run that meets its limit every few hours is resumed every time.
      const record = { ...recordOf(state, ref), attempts: 0 };
      return {
        state: recordSave(removeJob(upsertSession(state, record), key), result.savedSeconds),
        events: [
          {
            type: 'session.resumed',
            at: result.at,
            ...session,
            action: job.action,
            attempt: job.attempt,
            waitedMs,
            durationMs: Math.max(0, result.at - result.startedAt),
            savedSeconds: result.savedSeconds,
            newSessionId: result.newSessionId,
          },
        ],
      };
    }
    case 'needs_user':
      return {
        state: removeJob(state, key),
        events: [
          {
            type: 'resume.needs_user',
            at: result.at,
            ...session,
            reason: job.reason,
            why: result.why,
          },
        ],
      };
    case 'failed': {
      const failed: DaemonEvent = {
        type: 'resume.failed',
        at: result.at,
        ...session,
        attempt: job.attempt,
        errorType: result.type,
        message: result.message,
      };
      const stop: StopReason = {
        reason: job.reason,
        detail: `retry after ${result.type}`,
        evidence: { agent: job.agent },
      };
      const next = schedule(state, ref, stop, {
        attempts: job.attempt,
        stoppedAt: job.stoppedAt,
        retryOf: job.action,
        facts,
      });
      return { state: next.state, events: [failed, ...next.events] };
    }
  }
}

function command(
  state: PersistedState,
  ref: SessionRef,
  name: SessionCommand,
  at: number,
  facts: Facts,
): Step {
  const key = jobKey(ref);
  const id = ref.sessionId;
  const record = recordOf(state, ref);
  const job = findJob(state, key);
  const running = facts.running.has(key);
  const refuse = (message: string): Step => ({
    state,
    events: [],
    refused: { error: 'conflict', message },
  });
  let next: PersistedState;
  switch (name) {
    case 'pause':
      if (record.paused === true) return refuse(`session ${id} is already paused`);
      next = upsertSession(state, { ...record, paused: true });
      break;
    case 'resume':
      if (record.paused !== true) return refuse(`session ${id} is not paused`);
      next = upsertSession(state, { ...record, paused: false });
      break;
    case 'wake':
      if (job === undefined) return refuse(`session ${id} has no pending resume`);
      if (running) return refuse(`session ${id} is being resumed right now`);
      if (record.paused === true) return refuse(`session ${id} is paused; resume it first`);
      if (facts.daemonPaused) return refuse('the daemon is paused; resume it first');
      next = replaceJob(state, { ...job, dueAt: at });
      break;
    case 'cancel':
      if (job === undefined) return refuse(`session ${id} has no pending resume`);
      if (running) return refuse(`session ${id} is being resumed right now`);
      next = removeJob(state, key);
      break;
    case 'new_session': {
      if (running) return refuse(`session ${id} is being resumed right now`);
      if (!facts.agentEnabled(ref.agent))
        return refuse(`the ${ref.agent} agent is not enabled in this daemon`);
      const forced: ResumeJob = {
        agent: ref.agent,
        sessionId: ref.sessionId,
        directory: ref.directory ?? record.directory,
        reason: record.lastStop?.reason ?? 'unknown',
        action: 'new_session',
        dueAt: at,
        attempt: record.attempts + 1,
        createdAt: at,
        stoppedAt: record.lastStop?.at ?? at,
        why: 'a new session was requested by the user',
      };
      next = addJob(removeJob(state, key), forced).state;
      break;
    }
  }
  return {
    state: next,
    events: [
      { type: 'session.control', at, agent: ref.agent, sessionId: ref.sessionId, command: name },
    ],
  };
}
