import { NeedsUserError, type AgentAdapter, type SessionRef } from '../agents/adapter.js';
import type { FailureType } from '../core/events.js';
import {
  jobKey,
  recordSave,
  removeJob,
  replaceJob,
  upsertSession,
  type PersistedState,
  type ResumeJob,
  type SessionRecord,
} from '../core/jobs.js';
import type { StopReason } from '../core/stop-reason.js';
import type { EngineDeps } from './engine.js';
import { backupSession, composeHandoff } from './handoff.js';
import type { LiveSessions } from './live-sessions.js';
import type { ActivityWaiters } from './waiters.js';

export interface ExecuteDeps extends EngineDeps {
  readonly waiters: ActivityWaiters;
  readonly live: LiveSessions;
  readonly save: (change: (s: PersistedState) => PersistedState, what: string) => Promise<void>;
  readonly session: (ref: SessionRef) => SessionRecord;
  readonly reschedule: (
    ref: SessionRef,
    stop: StopReason,
    attempts: number,
    stoppedAt: number,
    handled?: string,
    retryOf?: ResumeJob['action'],
  ) => void;
}

class ResumeFailure extends Error {
  constructor(
    readonly type: FailureType,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Carries out one due job: act, verify the session went busy, then count a save or retry. */
export async function executeJob(job: ResumeJob, d: ExecuteDeps): Promise<void> {
  const key = jobKey(job);
  const ref: SessionRef = { agent: job.agent, sessionId: job.sessionId, directory: job.directory };
  const startedAt = d.clock.now();
  d.live.set(key, { state: 'resuming', nextWakeAt: undefined });
  d.bus.emit({
    type: 'resume.started',
    at: startedAt,
    agent: job.agent,
    sessionId: job.sessionId,
    action: job.action,
    reason: job.reason,
    attempt: job.attempt,
  });
  d.onChange();
  try {
    const adapter = d.adapters.get(job.agent);
    if (adapter === undefined)
      throw new ResumeFailure('agent_unreachable', `no ${job.agent} adapter is enabled`);
    const target = await act(job, ref, adapter, startedAt, d);
    const verified =
      (await d.waiters.wait(
        jobKey(target),
        startedAt,
        d.config.resume.verify_timeout_seconds * 1000,
      )) || (await answeredAnyway(adapter, target, startedAt, d));
    if (!verified) {
      throw new ResumeFailure(
        'not_verified',
        `session did not become busy within ${d.config.resume.verify_timeout_seconds}s`,
      );
    }
    const doneAt = d.clock.now();
    const waitedMs = Math.max(0, startedAt - job.stoppedAt);
    const savedSeconds = waitedMs / 1000 + d.config.metrics.manual_restart_time_seconds;
    // A verified resume ends this stop: max_retries counts consecutive failed attempts only, so an
    // overnight run that meets its limit every few hours is resumed every time.
    const record = { ...d.session(ref), attempts: 0 };
    await d.save((s) => recordSave(removeJob(upsertSession(s, record), key), savedSeconds), 'save');
    d.live.set(key, { state: 'busy' });
    d.bus.emit({
      type: 'session.resumed',
      at: doneAt,
      agent: job.agent,
      sessionId: job.sessionId,
      action: job.action,
      attempt: job.attempt,
      waitedMs,
      durationMs: doneAt - startedAt,
      savedSeconds,
      newSessionId: target.sessionId === job.sessionId ? undefined : target.sessionId,
    });
  } catch (error) {
    if (error instanceof NeedsUserError) {
      d.log.warn({ session: key, why: error.message }, 'resume needs a person');
      d.bus.emit({
        type: 'resume.needs_user',
        at: d.clock.now(),
        agent: job.agent,
        sessionId: job.sessionId,
        reason: job.reason,
        why: error.message,
      });
      d.live.set(key, { state: 'idle', nextWakeAt: undefined });
      await d.save((s) => removeJob(s, key), 'job left to the user');
      return;
    }
    const failure =
      error instanceof ResumeFailure
        ? error
        : new ResumeFailure('request_failed', describe(error), { cause: error });
    d.log.warn(
      { session: key, attempt: job.attempt, type: failure.type, err: error },
      'resume attempt failed',
    );
    d.bus.emit({
      type: 'resume.failed',
      at: d.clock.now(),
      agent: job.agent,
      sessionId: job.sessionId,
      attempt: job.attempt,
      errorType: failure.type,
      message: failure.message,
    });
    await d.save((s) => removeJob(s, key), 'failed job');
    const stop: StopReason = {
      reason: job.reason,
      detail: `retry after ${failure.type}`,
      evidence: { agent: job.agent },
    };
    d.reschedule(ref, stop, job.attempt, job.stoppedAt, undefined, job.action);
  } finally {
    d.onChange();
  }
}

/**
 * No busy observation in time, yet the agent may have answered: the event stream can be down
 * (reconnecting after the agent restarted) while the prompt was taken. Its own record decides.
 */
async function answeredAnyway(
  adapter: AgentAdapter,
  target: SessionRef,
  startedAt: number,
  d: ExecuteDeps,
): Promise<boolean> {
  if (adapter.workedSince === undefined) return false;
  try {
    const worked = await adapter.workedSince(target, startedAt);
    if (worked) {
      d.log.info(
        { session: jobKey(target) },
        'resume verified from the session record (no busy event arrived in time)',
      );
    }
    return worked;
  } catch (error) {
    d.log.warn({ session: jobKey(target), err: error }, 'could not read the session to verify');
    return false;
  }
}

/** Performs the job's action once: a job already sent before a daemon restart is checked, not resent. */
async function act(
  job: ResumeJob,
  ref: SessionRef,
  adapter: AgentAdapter,
  now: number,
  d: ExecuteDeps,
): Promise<SessionRef> {
  if (job.sentAt !== undefined && job.action === 'resume_same') {
    const last = await adapter.lastMessageAt(ref);
    if (last !== undefined && last >= job.sentAt) return ref;
  }
  await d.save((s) => replaceJob(s, { ...job, sentAt: now }), 'job sent');
  if (job.action !== 'new_session') {
    const prompt =
      job.reason === 'crash' ? d.config.resume.interrupted_prompt : d.config.resume.continue_prompt;
    await adapter.sendPrompt(ref, prompt);
    return ref;
  }
  if (d.config.resume.backup_before_new) {
    const path = await backupSession(adapter, ref, d.backupDir, now);
    d.log.info({ session: jobKey(job), backup: path }, 'session backed up before replacement');
  }
  const handoff = await composeHandoff(adapter, ref, d.config.resume.handoff_file);
  const title = `${d.session(ref).title ?? 'Session'} (continued)`;
  const next = await adapter.startSession(
    ref.directory,
    title,
    `${d.config.resume.new_session_prompt}\n\n${handoff}`,
  );
  d.bus.emit({
    type: 'session.started',
    at: d.clock.now(),
    agent: next.agent,
    sessionId: next.sessionId,
    fromSessionId: ref.sessionId,
  });
  return next;
}

function describe(error: unknown): string {
  return error instanceof Error
    ? error.message
    : typeof error === 'string'
      ? error
      : JSON.stringify(error);
}
