import { z } from 'zod';
import { AGENT_KIND_PATTERN, STOP_REASONS, type AgentKind } from './stop-reason.js';

const agentKind = z.string().regex(AGENT_KIND_PATTERN);

/**
 * Resume jobs and the lifetime totals, as persisted. Pure transitions: the state file adapter
 * saves whatever these return before anything waits on a job (exactly-once rests on that).
 */
export const resumeJobSchema = z.object({
  agent: agentKind,
  sessionId: z.string().min(1),
  directory: z.string().optional(),
  reason: z.enum(STOP_REASONS),
  action: z.enum(['resume_same', 'new_session', 'restart_agent_then_resume']),
  /** Epoch ms when the job is due. */
  dueAt: z.number(),
  /** 1-based. */
  attempt: z.number().int().positive(),
  createdAt: z.number(),
  /** When the session stopped: the start of the wait, for time-saved accounting. */
  stoppedAt: z.number(),
  why: z.string(),
  /** Set (and saved) just before the action is sent: after a daemon restart such a job is checked,
   * not blindly sent again. */
  sentAt: z.number().optional(),
  /** A new_session job's new session, saved as soon as it exists: it is verified, never started
   * a second time after a daemon restart. */
  startedSessionId: z.string().min(1).optional(),
});
export type ResumeJob = z.infer<typeof resumeJobSchema>;

/** What is remembered of a session across restarts. */
export const sessionRecordSchema = z.object({
  agent: agentKind,
  sessionId: z.string().min(1),
  directory: z.string().optional(),
  title: z.string().optional(),
  /** Consecutive failed automatic attempts for the current stop; 0 after a verified resume. */
  attempts: z.number().int().nonnegative(),
  /** A person paused this session: its resume jobs are held (never dropped) until resumed. */
  paused: z.boolean().optional(),
  /** The last message whose stop was already handled: a resync does not handle it again. */
  handledMessageId: z.string().optional(),
  lastStop: z
    .object({
      reason: z.enum(STOP_REASONS),
      detail: z.string(),
      at: z.number(),
      resetAt: z.number().optional(),
    })
    .optional(),
});
export type SessionRecord = z.infer<typeof sessionRecordSchema>;

export const persistedStateSchema = z.object({
  version: z.literal(1),
  jobs: z.array(resumeJobSchema),
  sessions: z.array(sessionRecordSchema).default([]),
  totals: z.object({
    saves: z.number().int().nonnegative(),
    timeSavedSeconds: z.number().nonnegative(),
  }),
});
export type PersistedState = z.infer<typeof persistedStateSchema>;

export const EMPTY_STATE: PersistedState = {
  version: 1,
  jobs: [],
  sessions: [],
  totals: { saves: 0, timeSavedSeconds: 0 },
};

/** One session of one agent. `directory` is the project it runs in, when the agent says. */
export interface SessionRef {
  readonly agent: AgentKind;
  readonly sessionId: string;
  readonly directory?: string | undefined;
}

export function jobKey(job: Pick<ResumeJob, 'agent' | 'sessionId'>): string {
  return `${job.agent}:${job.sessionId}`;
}

/** Adds a job unless one is already pending for the session: duplicate signals make no second job. */
export function addJob(
  state: PersistedState,
  job: ResumeJob,
): { state: PersistedState; added: boolean } {
  if (state.jobs.some((j) => jobKey(j) === jobKey(job))) return { state, added: false };
  return { state: { ...state, jobs: [...state.jobs, job] }, added: true };
}

export function upsertSession(state: PersistedState, record: SessionRecord): PersistedState {
  const key = jobKey(record);
  return { ...state, sessions: [...state.sessions.filter((s) => jobKey(s) !== key), record] };
}

export function findSession(state: PersistedState, key: string): SessionRecord | undefined {
  return state.sessions.find((s) => jobKey(s) === key);
}

export function findJob(state: PersistedState, key: string): ResumeJob | undefined {
  return state.jobs.find((j) => jobKey(j) === key);
}

export function replaceJob(state: PersistedState, job: ResumeJob): PersistedState {
  const key = jobKey(job);
  return { ...state, jobs: [...state.jobs.filter((j) => jobKey(j) !== key), job] };
}

export function removeJob(state: PersistedState, key: string): PersistedState {
  return { ...state, jobs: state.jobs.filter((j) => jobKey(j) !== key) };
}

/** The next job to fire: the earliest due, ties broken by creation. */
export function nextDue(jobs: readonly ResumeJob[]): ResumeJob | undefined {
  let first: ResumeJob | undefined;
  for (const job of jobs) {
    if (
      first === undefined ||
      job.dueAt - first.dueAt < 0 ||
      (job.dueAt === first.dueAt && job.createdAt < first.createdAt)
    )
      first = job;
  }
  return first;
}

/** A verified automatic resume: one save, and the time a human would have lost. */
export function recordSave(state: PersistedState, savedSeconds: number): PersistedState {
  return {
    ...state,
    totals: {
      saves: state.totals.saves + 1,
      timeSavedSeconds: state.totals.timeSavedSeconds + Math.max(0, savedSeconds),
    },
  };
}

/**
 * Forgets session records with nothing pending that last stopped before `before` (epoch ms): the
 * state file must not grow for ever. A pending job or a person's pause keeps a record.
 */
export function pruneSessions(
  state: PersistedState,
  before: number,
): { state: PersistedState; removed: number } {
  const pending = new Set(state.jobs.map(jobKey));
  const kept = state.sessions.filter(
    (s) => pending.has(jobKey(s)) || s.paused === true || (s.lastStop?.at ?? 0) >= before,
  );
  const removed = state.sessions.length - kept.length;
  return { state: removed === 0 ? state : { ...state, sessions: kept }, removed };
}
